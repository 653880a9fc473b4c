"""benchmarks/disk_peak.py: the peak a command's outputs held, though deleted before it ends."""

import importlib.util
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).parents[1] / "benchmarks" / "disk_peak.py"

# writes 3 MB, holds them, deletes 2 MB (as temp() activations), then exits 3
WORK = """
import os, sys, time
for name in ("a", "b", "c"):
    with open(os.path.join(sys.argv[1], name), "wb") as f:
        f.write(b"x" * 1_000_000)
time.sleep(0.5)
os.remove(os.path.join(sys.argv[1], "a"))
os.remove(os.path.join(sys.argv[1], "b"))
time.sleep(0.3)
sys.exit(3)
"""


def _module():
    spec = importlib.util.spec_from_file_location("disk_peak", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_peak_is_seen_though_the_files_are_gone(tmp_path):
    (tmp_path / "runs").mkdir()
    (tmp_path / "kept").write_bytes(b"y" * 500)
    w = _module().watch(tmp_path, [sys.executable, "-c", WORK, str(tmp_path / "runs")], 0.05)
    assert (w.before, w.peak, w.after, w.returncode) == (500, 3_000_500, 1_000_500, 3)
    assert 0 < w.peak_at < w.seconds


def test_the_command_line_passes_the_exit_code_through_and_reports(tmp_path):
    result = subprocess.run([sys.executable, SCRIPT, tmp_path, "--every", "0.05", "--",
                             sys.executable, "-c", "import sys; sys.exit(4)"],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 4
    assert "0.00 GB before, peak 0.00 GB" in result.stderr and "exit 4" in result.stderr
