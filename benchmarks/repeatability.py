"""Is a rebuild repeatable? Compare two results trees built from the same commit and config.

Every NetCDF file present in both trees (runs, MI, measures, pruning) is compared variable by
variable: the largest absolute difference, and whether the two are bit-identical. Every paper
report CSV present in both is compared claim by claim: the verdict, and our value. DESIGN.md
promises the same numbers for the same config and seed on the same device; this prints what a
second build on this machine gave, and exits non-zero when a verdict differs. Paper-scale
builds delete the activations once read (``config.yaml: keep_activations``): build both with
``snakemake --notemp`` to compare them too.

    python benchmarks/repeatability.py results/paper /path/to/second/results/paper
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

import numpy as np
import xarray as xr


def compare_netcdf(a: Path, b: Path) -> list[tuple[str, float, bool]]:
    """Per numeric variable of ``a``: (name, max |a - b| ignoring shared NaNs, identical), read
    one slice of the first dimension at a time (a paper-scale activations file is ~7 GB)."""
    rows = []
    with xr.open_dataset(a) as first, xr.open_dataset(b) as second:
        for name, var in first.data_vars.items():
            if name not in second or not np.issubdtype(var.dtype, np.number):
                continue
            if var.shape != second[name].shape:
                rows.append((name, float("inf"), False))
                continue
            slices = [{}] if var.ndim == 0 else [{var.dims[0]: i} for i in range(var.shape[0])]
            largest, same = 0.0, True
            for where in slices:
                # at least 1-d: a 0-d slice (a scalar variable, or one row of a 1-d one) takes
                # no mask
                x, y = np.atleast_1d(var[where].values, second[name][where].values)
                both = ~(np.isnan(x) & np.isnan(y)) if x.dtype.kind == "f" else slice(None)
                diff = np.abs(x[both].astype(np.float64) - y[both].astype(np.float64))
                largest = max(largest, float(diff.max(initial=0.0)))
                same &= bool(np.array_equal(x, y, equal_nan=x.dtype.kind == "f"))
            rows.append((name, largest, same))
    return rows


def _claims(path: Path) -> dict[str, dict[str, str]]:
    with path.open(newline="") as handle:
        return {row["claim"]: row for row in csv.DictReader(handle)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("first", type=Path)
    parser.add_argument("second", type=Path)
    args = parser.parse_args()
    files = sorted(p.relative_to(args.first) for p in args.first.rglob("*.nc")
                   if (args.second / p.relative_to(args.first)).is_file())
    print(f"{'file':58} {'variable':22} {'max |diff|':>11} identical")
    for rel in files:
        for name, diff, same in compare_netcdf(args.first / rel, args.second / rel):
            print(f"{str(rel):58} {name:22} {diff:11.3g} {'yes' if same else 'no'}")
    changed = 0
    for report in sorted(args.first.glob("report/*.csv")):
        other = args.second / report.relative_to(args.first)
        if not other.is_file():
            continue
        first, second = _claims(report), _claims(other)
        for claim, row in first.items():
            again = second.get(claim, {})
            verdict = (row.get("verdict"), again.get("verdict"))
            if verdict[0] != verdict[1] or row.get("ours") != again.get("ours"):
                changed += verdict[0] != verdict[1]
                print(f"{report.name}: {claim}: verdict {verdict[0]} -> {verdict[1]}, "
                      f"ours {row.get('ours')} -> {again.get('ours')}")
        print(f"{report.name}: {len(first)} claims, "
              f"{sum(first[c].get('verdict') == second.get(c, {}).get('verdict') for c in first)}"
              " verdicts the same")
    return 1 if changed else 0


if __name__ == "__main__":
    sys.exit(main())
