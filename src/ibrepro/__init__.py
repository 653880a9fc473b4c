from pathlib import Path as _Path

from ibrepro.kernel_cache import PackageSource as _PackageSource
from ibrepro.kernel_cache import use_keyed_cache as _use_keyed_cache

__version__ = "0.1.0"

_source = _PackageSource(_Path(__file__).parent)  # every module's bytes: not kept past the keys
_use_keyed_cache(_source.kernel_key)  # before any module compiles or loads a kernel
SOURCE_KEY = _source.key  # names this version of the code (the job server's socket)
del _source
