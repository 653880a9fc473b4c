from pathlib import Path as _Path

from ibrepro.kernel_cache import PackageSource as _PackageSource
from ibrepro.kernel_cache import use_keyed_cache as _use_keyed_cache

__version__ = "0.1.0"

_SOURCE = _PackageSource(_Path(__file__).parent)
_use_keyed_cache(_SOURCE.kernel_key)  # before any module compiles or loads a kernel
SOURCE_KEY = _SOURCE.key  # names this version of the code (the job server's socket)
