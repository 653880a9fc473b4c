from pathlib import Path as _Path

from ibrepro.kernel_cache import use_keyed_cache as _use_keyed_cache

__version__ = "0.1.0"

# before any module compiles or loads a kernel; the key names this version of the code
SOURCE_KEY = _use_keyed_cache(_Path(__file__).parent).name
