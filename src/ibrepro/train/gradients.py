"""Gradient statistics of Shwartz-Ziv & Tishby 2017 (Fig. 4, "drift and diffusion").

Over one epoch's mini-batches b = 1..B, each layer's weight gradient G_b ``(rep, fan_in,
fan_out)`` (repetition r's own gradient: the batched loss sums per-repetition means) has the
element-wise mean m = (1/B) sum_b G_b and standard deviation s = sqrt((1/B) sum_b (G_b - m)^2)
(over the batches, ddof 0; the epoch's last, smaller batch counts as one). The statistics are
their Frobenius norms ||m|| and ||s|| per layer and repetition, with ||W|| of the weights at the
end of the epoch (SZT normalise both by it) and the signal-to-noise ratio SNR = ||m|| / ||s||:
large in the drift phase (gradients agree across batches), small in the diffusion phase.
Accumulated in float64 by Welford's update (no cancellation when s << m), in place, so a CUDA
graph of the epoch can hold it.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

STATISTICS = {  # name in metrics.nc -> long_name
    "gradient_mean_norm": "Frobenius norm of the mean weight gradient over the epoch's batches",
    "gradient_std_norm": "Frobenius norm of the std of the weight gradients over the batches",
    "weight_norm": "Frobenius norm of the weights at the end of the epoch",
}


class GradientMoments:
    """Running per-element mean and sum of squared deviations of each layer's gradients."""

    def __init__(self, weights: Sequence[torch.Tensor]):
        self.count = torch.zeros((), dtype=torch.float64, device=weights[0].device)
        self.mean = [torch.zeros_like(w, dtype=torch.float64) for w in weights]
        self.m2 = [torch.zeros_like(w, dtype=torch.float64) for w in weights]

    def reset(self) -> None:
        """Start a new epoch."""
        self.count.zero_()
        for t in (*self.mean, *self.m2):
            t.zero_()

    def add(self, gradients: Sequence[torch.Tensor]) -> None:
        """One mini-batch's gradients, one ``(rep, fan_in, fan_out)`` tensor per layer."""
        self.count.add_(1)
        for mean, m2, g in zip(self.mean, self.m2, gradients, strict=True):
            delta = g.double() - mean
            mean.add_(delta / self.count)
            m2.add_(delta * (g.double() - mean))

    def norms(self, weights: Sequence[torch.Tensor]) -> torch.Tensor:
        """``(rep, statistic, layer)`` float64, statistics in ``STATISTICS`` order: ||m||, ||s||
        of the batches added since ``reset``, and ||W|| of ``weights``."""
        def norm(t: torch.Tensor) -> torch.Tensor:
            return t.double().flatten(1).norm(dim=1)

        stats = [torch.stack([norm(mean), norm((m2 / self.count).sqrt()), norm(w.detach())])
                 for mean, m2, w in zip(self.mean, self.m2, weights, strict=True)]
        return torch.stack(stats, -1).transpose(0, 1)
