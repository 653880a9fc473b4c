"""Unpickling that can rebuild numpy arrays and nothing else.

A pickle can call any importable function while it loads; this unpickler resolves only the
three globals that numpy array reconstruction needs, so loading a third-party file (such as the
MNIST ``mnist.pkl.gz``) runs no other code.
"""

from __future__ import annotations

import pickle
from typing import BinaryIO

import numpy as np

_RECONSTRUCT = np.ndarray.__reduce__(np.empty(0))[0]  # numpy's own array rebuilder
ALLOWED = {
    ("numpy.core.multiarray", "_reconstruct"): _RECONSTRUCT,  # pickles made by numpy < 2
    ("numpy._core.multiarray", "_reconstruct"): _RECONSTRUCT,  # pickles made by numpy >= 2
    ("numpy", "ndarray"): np.ndarray,
    ("numpy", "dtype"): np.dtype,
}


class NumpyUnpickler(pickle.Unpickler):
    """``pickle.Unpickler`` whose ``find_class`` allows only :data:`ALLOWED`."""

    def find_class(self, module: str, name: str):
        try:
            return ALLOWED[module, name]
        except KeyError:
            raise pickle.UnpicklingError(
                f"refused to load global {module}.{name}: only numpy array reconstruction "
                f"({', '.join(f'{m}.{n}' for m, n in ALLOWED)}) is allowed") from None


def load_numpy_pickle(handle: BinaryIO, *, encoding: str = "latin1"):
    """Unpickle ``handle`` with :class:`NumpyUnpickler`. ``encoding="latin1"`` reads the str
    objects of Python-2 pickles (numpy's array bytes among them)."""
    return NumpyUnpickler(handle, encoding=encoding).load()
