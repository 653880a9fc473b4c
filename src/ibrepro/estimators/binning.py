"""Binning estimators: discretise each unit's activation, then plug-in entropies of the rows.

Each sample is one equiprobable input x and the binned layer T = bin(t(x)) is deterministic, so
I(X;T) = H(T) and I(T;Y) = H(T) - sum_y p(y) H(T | Y=y) (Shwartz-Ziv & Tishby 2017, Sec. 3.3;
Saxe et al. 2018). All in bits, batched over leading axes. Numpy input runs one numba kernel
per call that bins each group's values and feeds them straight to the entropy kernel
(``entropy.plugin_sums``): no int64 symbol array the size of the block is ever written, which
page faults alone made cost as much as the entropies. Torch tensors (CUDA) bin with tensor
operations and ``entropy_torch``; both give the same bits on the CPU.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from ibrepro.kernel_cache import njit

from .entropy import grouped_mi, mutual_information, plugin_sums, workspace
from .inputs import check_layer, value_range
from .mi import MI, is_tensor
from .registry import Estimator, register


@njit(cache=True, nogil=True)
def _floor_sums(acts, size, label_index, label_bits, xlogx, sums, class_sums):
    """``plugin_sums`` of floor(t / size) (t as float64) for every group ``(group, n, unit)``."""
    groups, n, d = acts.shape
    columns, work, hists = workspace(n, d)
    for g in range(groups):
        for i in range(n):
            for u in range(d):
                columns[u, i] = np.int64(np.floor(np.float64(acts[g, i, u]) / size))
        sums[g] = plugin_sums(columns, label_index, label_bits, xlogx, class_sums[g], work, hists)


@njit(cache=True, nogil=True)
def _range_sums(acts, low, high, bins, label_index, label_bits, xlogx, sums, class_sums):
    """``plugin_sums`` of clamp(floor((t - low) / width * bins), 0, bins - 1) per group, low and
    high float64 ``(group,)``, width = high - low or 1 if that is not > 0."""
    groups, n, d = acts.shape
    columns, work, hists = workspace(n, d)
    top = np.float64(bins - 1)
    for g in range(groups):
        width = high[g] - low[g]
        if not width > 0:
            width = 1.0
        for i in range(n):
            for u in range(d):
                scaled = np.floor((np.float64(acts[g, i, u]) - low[g]) / width * bins)
                columns[u, i] = np.int64(min(max(scaled, 0.0), top))
        sums[g] = plugin_sums(columns, label_index, label_bits, xlogx, class_sums[g], work, hists)


def bin_size(acts, labels, *, size: float) -> MI:
    """I(X;T), I(T;Y) in bits with fixed-width bins: symbol = floor(t / size).

    acts: float ``(..., sample, unit)``, one layer's units; labels: int ``(sample,)`` (numpy
    arrays, or torch tensors). Returns float64 ``(...)`` arrays (tensors). Bins are anchored at
    0 and unbounded, so the estimate depends only on ``size`` (e.g. 0.01, 0.07, 0.15, 0.3),
    not on the activation range.
    """
    if not size > 0:
        raise ValueError(f"size must be > 0, got {size!r}")
    check_layer(acts, labels)
    if is_tensor(acts):
        import torch

        return mutual_information(torch.floor(acts.double() / size).to(torch.int64), labels)
    return grouped_mi(_floor_sums, acts, labels, float(size))


RANGES = ("fixed", "layer-epoch", "layer", "global")  # bin_count's ``range`` values
_SPANNING = ("layer", "global")  # ranges over all epochs: apply.py's first pass supplies them


class BinnedMI(NamedTuple):
    """:class:`MI` plus the range ``[bin_low, bin_high]`` the bins spanned, activation units."""

    I_XT: Any
    I_TY: Any
    bin_low: Any
    bin_high: Any


def bin_count(
    acts, labels, *, bins: int, low: float = -1.0, high: float = 1.0, range: str = "fixed",
) -> BinnedMI:
    """I(X;T), I(T;Y) in bits with ``bins`` equal-width bins over ``[low, high]``, and that range.

    symbol = clamp(floor((t - low) / (high - low) * bins), 0, bins - 1): exactly ``bins`` bins,
    the last one closed at ``high``, values outside the range clipped into the end bins.
    The IDNNs code (Shwartz-Ziv & Tishby 2017) uses ``np.digitize(t, np.linspace(-1, 1, 30))``,
    which is 29 intervals plus one bin for t >= 1.0 (and one for t < -1); we use exactly
    ``bins`` bins instead.

    ``range`` says where ``[low, high]`` comes from (Saxe et al. 2018 bin ReLU layers up to the
    largest activation seen over all epochs; Lorenzen et al. 2022, App. A, use the global range):

    - ``fixed``: the given ``low`` and ``high`` (IDNNs: [-1, 1] for tanh).
    - ``layer-epoch``: each group's own min and max (one layer at one rep and epoch, over its
      samples and units); ``low`` and ``high`` are ignored.
    - ``layer``: the layer's min and max over all epochs of the repetition; ``global``: the min
      and max over all layers, the output (softmax) layer included, and all epochs of the
      repetition, as Lorenzen et al.'s code, which pools every recorded layer (for tanh nets
      the softmax's [0, 1] lies inside the hidden layers' range anyway). One block of epochs
      cannot see these, so ``low`` and ``high`` must be them: ``apply.py`` finds them in a
      first pass over the file (``Estimator.observed_range``). Values outside are an error.

    An observed range of zero width (a constant layer) puts every value in bin 0.
    acts: float ``(..., sample, unit)``, one layer's units; labels: int ``(sample,)`` (numpy
    arrays, or torch tensors). Returns float64 ``(...)`` arrays (tensors): I_XT, I_TY in bits
    and ``bin_low``, ``bin_high``.
    """
    if bins < 1:
        raise ValueError(f"bins must be >= 1, got {bins!r}")
    if range not in RANGES:
        raise ValueError(f"range must be one of {', '.join(map(repr, RANGES))}; got {range!r}")
    if not (low < high if range == "fixed" else low <= high):
        raise ValueError(f"low must be < high, got low={low!r}, high={high!r}")
    check_layer(acts, labels)
    if not is_tensor(acts):
        return _bin_count_numpy(acts, labels, bins, low, high, range)
    import torch

    values = acts.double()
    if range == "layer-epoch":
        bin_low, bin_high = values.amin(dim=(-2, -1)), values.amax(dim=(-2, -1))
    else:
        if range in _SPANNING and ((values < low).any() or (values > high).any()):
            raise ValueError(f"range={range!r}: values outside low={low!r}, high={high!r}, "
                             "which must be their observed range over all epochs")
        bin_low = torch.full(values.shape[:-2], low, dtype=torch.float64, device=values.device)
        bin_high = torch.full_like(bin_low, high)
    width = bin_high - bin_low
    width = torch.where(width > 0, width, 1.0)[..., None, None]  # zero width: all values at low
    scaled = torch.floor((values - bin_low[..., None, None]) / width * bins)
    symbols = scaled.clamp(0, bins - 1).to(torch.int64)
    return BinnedMI(*mutual_information(symbols, labels), bin_low=bin_low, bin_high=bin_high)


def _bin_count_numpy(acts: np.ndarray, labels: np.ndarray, bins: int, low: float, high: float,
                     range: str) -> BinnedMI:
    """:func:`bin_count` of a numpy array, with the numba kernel."""
    flat = acts.reshape(-1, *acts.shape[-2:])
    if range == "layer-epoch":
        bin_low = flat.min(axis=(-2, -1)).astype(np.float64)
        bin_high = flat.max(axis=(-2, -1)).astype(np.float64)
    else:
        observed = value_range(flat) if range in _SPANNING and flat.size else (low, high)
        if observed[0] < low or observed[1] > high:
            raise ValueError(f"range={range!r}: values outside low={low!r}, high={high!r}, "
                             "which must be their observed range over all epochs")
        bin_low, bin_high = np.full(len(flat), float(low)), np.full(len(flat), float(high))
    mi = grouped_mi(_range_sums, flat, labels, bin_low, bin_high, int(bins))
    lead = acts.shape[:-2]
    return BinnedMI(mi.I_XT.reshape(lead), mi.I_TY.reshape(lead), bin_low.reshape(lead),
                    bin_high.reshape(lead))


def _observed_range(params) -> str | None:
    """The first pass ``apply.py`` must make for these ``bin-count`` parameters."""
    return params["range"] if params["range"] in _SPANNING else None


register(Estimator(
    method="bin-size", fn=bin_size, params={"size": float}, units="bits",
    reference="Shwartz-Ziv & Tishby 2017; Saxe et al. 2018",
    description="Fixed-width bins of the given size, floor(t / size), plug-in entropies.",
))
register(Estimator(
    method="bin-count", fn=bin_count, params={"bins": int},
    defaults={"low": -1.0, "high": 1.0, "range": "fixed"}, choices={"range": RANGES},
    units="bits", reference="Shwartz-Ziv & Tishby 2017 (IDNNs: 30 bins over [-1, 1]); "
    "Saxe et al. 2018; Lorenzen et al. 2022, App. A (observed ranges)",
    description="A fixed number of equal-width bins over [low, high] or an observed range "
    "(range: fixed, layer-epoch, layer, global), ends clipped, plug-in.",
    outputs={
        "bin_low": {"long_name": "lower end of the bins' range", "units": "activation units"},
        "bin_high": {"long_name": "upper end of the bins' range", "units": "activation units"},
    },
    observed_range=_observed_range,
))
