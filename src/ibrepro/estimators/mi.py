"""What an estimator returns, and which implementation an input picks.

Estimators take numpy arrays or torch tensors and answer in kind: numpy arrays go to the numba
kernels (the CPU path, no torch imported), tensors to the torch implementations (``*_torch.py``:
CUDA jobs, and callers that hold tensors). Telling them apart must not import torch.
"""

from __future__ import annotations

from typing import Any, NamedTuple


class MI(NamedTuple):
    """Mutual-information estimates, each shaped like the leading (group) axes of the input:
    numpy arrays for numpy input, tensors for tensors."""

    I_XT: Any
    I_TY: Any


def is_tensor(array: object) -> bool:
    """Whether ``array`` is a torch tensor (checked without importing torch)."""
    return type(array).__module__.startswith("torch")
