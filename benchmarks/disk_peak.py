"""The most disk a command's outputs held at once: runs the command and sums the sizes of the
files under a folder every few seconds (issue 18.5: does each paper's build fit this machine's
free disk?). Prints the peak, when it was reached, and the size at the end, in GB.

    python benchmarks/disk_peak.py results/paper -- snakemake --cores 2 compare

Sampling walks the folder's file sizes only (no reads), a few ms per sample for a results tree,
so it does not disturb a timed build.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import NamedTuple


def folder_bytes(root: Path) -> int:
    """Total size of the files under ``root`` (0 when it does not exist)."""
    total = 0
    for folder, _, files in os.walk(root):
        for name in files:
            try:
                total += os.stat(os.path.join(folder, name)).st_size
            except FileNotFoundError:  # deleted (a temp() file) while walking
                pass
    return total


class Watched(NamedTuple):
    before: int  # bytes under the folder when the command started
    peak: int  # the largest sample
    peak_at: float  # seconds after the start
    after: int  # bytes when the command ended
    seconds: float  # the command's wall time
    returncode: int


def watch(folder: Path, command: list[str], every: float) -> Watched:
    """Run ``command``, sampling ``folder_bytes(folder)`` every ``every`` seconds."""
    start = time.monotonic()
    before = peak = folder_bytes(folder)
    peak_at = 0.0
    job = subprocess.Popen(command)
    while job.poll() is None:
        time.sleep(every)
        size = folder_bytes(folder)
        if size > peak:
            peak, peak_at = size, time.monotonic() - start
    return Watched(before, peak, peak_at, folder_bytes(folder), time.monotonic() - start,
                   job.returncode)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--every", type=float, default=5.0, help="seconds between samples")
    argv = sys.argv[1:]
    if "--" not in argv or argv.index("--") == len(argv) - 1:
        parser.error("give the command after --")
    args = parser.parse_args(argv[:argv.index("--")])
    command = argv[argv.index("--") + 1:]
    w = watch(args.folder, command, args.every)
    print(f"{args.folder}: {w.before / 1e9:.2f} GB before, peak {w.peak / 1e9:.2f} GB "
          f"(+{(w.peak - w.before) / 1e9:.2f}) at {w.peak_at / 60:.1f} min, "
          f"{w.after / 1e9:.2f} GB after {w.seconds / 60:.1f} min; command exit "
          f"{w.returncode}", file=sys.stderr)
    sys.exit(w.returncode)


if __name__ == "__main__":
    main()
