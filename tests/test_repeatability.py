"""benchmarks/repeatability.py: two results trees compared file by file and claim by claim."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import xarray as xr

SCRIPT = Path(__file__).parents[1] / "benchmarks" / "repeatability.py"
HEADER = "claim,paper,ours,verdict\n"


def _tree(root: Path, values: np.ndarray, verdict: str) -> Path:
    (root / "mi" / "net").mkdir(parents=True)
    (root / "report").mkdir()
    xr.Dataset({"I_XT": (("rep", "layer"), values)}).to_netcdf(root / "mi" / "net" / "e.nc")
    (root / "report" / "p.csv").write_text(HEADER + f"p/a,1,{values.sum()},{verdict}\n")
    return root


def _compare(a: Path, b: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, SCRIPT, a, b], capture_output=True, text=True,
                          check=False)


def test_identical_trees_pass_and_say_so(tmp_path):
    values = np.array([[1.0, np.nan], [2.0, 3.0]])
    out = _compare(_tree(tmp_path / "a", values, "reproduced"),
                   _tree(tmp_path / "b", values.copy(), "reproduced"))
    assert out.returncode == 0, out.stderr
    assert "I_XT" in out.stdout and " yes" in out.stdout
    assert "1 claims, 1 verdicts the same" in out.stdout


def test_a_changed_verdict_fails_and_a_changed_value_is_measured(tmp_path):
    values = np.array([[1.0, 2.0]])
    out = _compare(_tree(tmp_path / "a", values, "reproduced"),
                   _tree(tmp_path / "b", values + 0.5, "not reproduced"))
    assert out.returncode == 1
    assert "0.5" in out.stdout and " no" in out.stdout
    assert "verdict reproduced -> not reproduced" in out.stdout


def test_scalar_and_one_dimensional_integer_variables_are_compared(tmp_path):
    """A 0-d slice (a scalar variable, a row of a 1-d one) once crashed the masked difference."""
    for root, shift in ((tmp_path / "a", 0), (tmp_path / "b", 2)):
        (root / "runs" / "net").mkdir(parents=True)
        xr.Dataset({"seed": ((), np.int64(7 + shift)), "epochs": (("rep",), np.array([3, 4])),
                    "noise": ((), 0.5)}).to_netcdf(root / "runs" / "net" / "metrics.nc")
    out = _compare(tmp_path / "a", tmp_path / "b")
    assert out.returncode == 0, out.stderr  # no report: no verdict differs
    rows = {line.split()[1]: line.split()[2:] for line in out.stdout.splitlines()
            if line.startswith("runs/net/metrics.nc")}
    assert rows == {"seed": ["2", "no"], "epochs": ["0", "yes"], "noise": ["0", "yes"]}
