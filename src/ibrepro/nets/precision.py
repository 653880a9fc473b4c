"""A network's precision (an experiment's ``bits``), without torch: the DAG asks every
experiment whether it is quantized, and importing torch for that cost each snakemake call 2.6 s."""

from __future__ import annotations

BITS = (4, 8, 32)  # config values; 32 = the float network, no quantizer


def quantized(bits: int | None) -> bool:
    """Whether ``bits`` (an experiment's ``bits``, None when absent) asks for quantizers."""
    if bits is not None and bits not in BITS:
        raise ValueError(f"bits must be one of {BITS} (32 = float network), got {bits!r}")
    return bits is not None and bits < 32
