"""Where a job computes: ``auto``, ``cpu`` or ``cuda``, resolved without importing torch when it
cannot matter.

Importing torch costs ~1.6 s per job, and estimate and measure jobs on the CPU never need it:
on a machine without the NVIDIA driver (no ``/dev/nvidiactl``, no ``/proc/driver/nvidia``)
``auto`` is the CPU at once; only where a driver exists does torch decide.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch

DEVICES = ("auto", "cpu", "cuda")
_DRIVER_FILES = ("/dev/nvidiactl", "/proc/driver/nvidia/version")


def nvidia_driver_present() -> bool:
    """Whether this machine shows an NVIDIA driver (a CUDA device may exist)."""
    return any(os.path.exists(path) for path in _DRIVER_FILES)


def resolve(device: str) -> str:
    """``"cpu"`` or ``"cuda"`` for ``device`` (one of :data:`DEVICES`): ``auto`` is CUDA when
    torch sees a CUDA device, and torch is imported only if an NVIDIA driver is present."""
    if device not in DEVICES:
        raise ValueError(f"device must be one of {', '.join(DEVICES)}; got {device!r}")
    if device != "auto":
        return device
    if not nvidia_driver_present():
        return "cpu"
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def resolve_device(device: str) -> torch.device:
    """:func:`resolve` as a ``torch.device``, for code that computes with torch anyway."""
    import torch

    return torch.device(resolve(device))
