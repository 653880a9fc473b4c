"""Reader of the IDX format of the MNIST files (LeCun et al., http://yann.lecun.com/exdb/mnist/).

An IDX file is a 4-byte magic number (two zero bytes, a type code, the number of dimensions),
one big-endian uint32 per dimension, then the values, big-endian, in C order. Files may be
gzip-compressed (recognised by their first bytes, not their name).
"""

from __future__ import annotations

import gzip
import math
import zlib
from pathlib import Path

import numpy as np

TYPE_CODES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
GZIP_MAGIC = b"\x1f\x8b"


class IdxError(ValueError):
    """A file is not a well-formed IDX file; the message names the file and what is wrong."""


def read_idx(path: str | Path) -> np.ndarray:
    """The array stored in the IDX file ``path`` (plain or gzip), in native byte order."""
    raw = Path(path).read_bytes()
    if raw[:2] == GZIP_MAGIC:
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as error:
            raise IdxError(f"{path}: corrupt gzip data ({error})") from None
    if len(raw) < 4 or raw[:2] != b"\0\0" or raw[2] not in TYPE_CODES:
        raise IdxError(f"{path}: not an IDX file (magic number {raw[:4].hex() or 'missing'}; "
                       f"expected 0000 then a type code among "
                       f"{', '.join(f'{c:02x}' for c in TYPE_CODES)}, then the rank)")
    dtype, ndim = np.dtype(TYPE_CODES[raw[2]]), raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise IdxError(f"{path}: truncated header ({len(raw)} bytes, rank {ndim} needs {header})")
    shape = tuple(int(d) for d in np.frombuffer(raw[4:header], dtype=">u4"))
    expected = header + math.prod(shape) * dtype.itemsize
    if len(raw) != expected:
        raise IdxError(f"{path}: {len(raw)} bytes, but its header (shape {shape}, {dtype.name}) "
                       f"needs {expected}: truncated or not an IDX file")
    data = np.frombuffer(raw, dtype=dtype, offset=header).reshape(shape)
    return data.astype(dtype.newbyteorder("="))
