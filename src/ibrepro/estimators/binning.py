"""Binning estimators: discretise each unit's activation, then plug-in entropies of the rows.

Each sample is one equiprobable input x and the binned layer T = bin(t(x)) is deterministic, so
I(X;T) = H(T) and I(T;Y) = H(T) - sum_y p(y) H(T | Y=y) (Shwartz-Ziv & Tishby 2017, Sec. 3.3;
Saxe et al. 2018). All in bits, batched over leading axes, on whatever device ``acts`` is on.
"""

from __future__ import annotations

import torch

from .entropy import MI, mutual_information
from .inputs import check_layer
from .registry import Estimator, register


def bin_size(acts: torch.Tensor, labels: torch.Tensor, *, size: float) -> MI:
    """I(X;T), I(T;Y) in bits with fixed-width bins: symbol = floor(t / size).

    acts: float ``(..., sample, unit)``, one layer's units; labels: int ``(sample,)``.
    Returns float64 ``(...)`` tensors. Bins are anchored at 0 and unbounded, so the estimate
    depends only on ``size`` (e.g. 0.01, 0.07, 0.15, 0.3), not on the activation range.
    """
    if not size > 0:
        raise ValueError(f"size must be > 0, got {size!r}")
    check_layer(acts, labels)
    symbols = torch.floor(acts.double() / size).to(torch.int64)
    return mutual_information(symbols, labels)


def bin_count(
    acts: torch.Tensor, labels: torch.Tensor, *, bins: int, low: float = -1.0, high: float = 1.0
) -> MI:
    """I(X;T), I(T;Y) in bits with ``bins`` equal-width bins over ``[low, high]``.

    symbol = clamp(floor((t - low) / (high - low) * bins), 0, bins - 1): exactly ``bins`` bins,
    the last one closed at ``high``, values outside the range clipped into the end bins.
    The IDNNs code (Shwartz-Ziv & Tishby 2017) uses ``np.digitize(t, np.linspace(-1, 1, 30))``,
    which is 29 intervals plus one bin for t >= 1.0 (and one for t < -1); we use exactly
    ``bins`` bins instead. Shapes and units as :func:`bin_size`.
    """
    if bins < 1:
        raise ValueError(f"bins must be >= 1, got {bins!r}")
    if not low < high:
        raise ValueError(f"low must be < high, got low={low!r}, high={high!r}")
    check_layer(acts, labels)
    scaled = torch.floor((acts.double() - low) / (high - low) * bins)
    symbols = scaled.clamp(0, bins - 1).to(torch.int64)
    return mutual_information(symbols, labels)


register(Estimator(
    method="bin-size", fn=bin_size, params={"size": float}, units="bits",
    reference="Shwartz-Ziv & Tishby 2017; Saxe et al. 2018",
    description="Fixed-width bins of the given size, floor(t / size), plug-in entropies.",
))
register(Estimator(
    method="bin-count", fn=bin_count, params={"bins": int}, defaults={"low": -1.0, "high": 1.0},
    units="bits", reference="Shwartz-Ziv & Tishby 2017 (IDNNs: 30 bins over [-1, 1])",
    description="A fixed number of equal-width bins over [low, high], ends clipped, plug-in.",
))
