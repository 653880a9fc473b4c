from pathlib import Path as _Path

from ibrepro.kernel_cache import use_keyed_cache as _use_keyed_cache

__version__ = "0.1.0"

_use_keyed_cache(_Path(__file__).parent)  # before any module compiles or loads a kernel
