"""Estimator cost: seconds for one SZT experiment at paper scale, per registered method.

One SZT experiment at paper scale is 50 repetitions x 280 snapshot epochs x 6 layers (widths
10-7-5-4-3-2) on all 4096 samples. Like ``apply.py``, each repetition's block of epochs
``(epoch, sample, unit)`` goes to the device once and every layer's units are estimated in one
batched call. The activations are synthetic (tanh of Gaussians, float32; 8-bit codes of them
for ``exact-discrete``): the cost depends on the shapes, not on the values, except that
binning cost grows with the number of distinct rows, which random data maximises.
``sample-propagation`` gets every layer of a block at once with a random 12-10-7-5-4-3-2 net
per epoch (noise 0.005, Goldfeld's SZT beta) and the paper-scale parameters of config.yaml.

To finish in reasonable time on a CPU, time fewer repetitions and epochs and extrapolate
linearly (cost is linear in both: every (rep, epoch, layer) is an independent group). The
output says which numbers were measured and which extrapolated.

    python benchmarks/estimators.py --device cpu --measure-reps 1 --kde-measure-epochs 14 --repeat 3
    python benchmarks/estimators.py --device cuda            # the whole experiment, measured
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch
import xarray as xr

from ibrepro.estimators import get, validate_params
from ibrepro.estimators.apply import layer_params
from ibrepro.nets.mlp import Network
from ibrepro.train.loop import resolve_device

DIMS = ("epoch", "sample", "unit")  # of one repetition's block, as apply.py reads it

# case -> (method, parameters as an experiment would use them: Saxe's SZT noise, rip's 0.07,
# 30 bins, Lorenzen's 256 bins over the global range)
CASES = {
    "bin-size": ("bin-size", {"size": 0.07}),
    "bin-count": ("bin-count", {"bins": 30}),
    "bin-count-layer-epoch": ("bin-count", {"bins": 30, "range": "layer-epoch"}),
    "bin-count-layer": ("bin-count", {"bins": 30, "range": "layer"}),
    "bin-count-global": ("bin-count", {"bins": 30, "range": "global"}),
    "bin-count-256-global": ("bin-count", {"bins": 256, "range": "global"}),
    "adaptive-bins": ("adaptive-bins", {"bins": 30}),
    "exact-discrete": ("exact-discrete", {}),
    "kde-upper": ("kde-upper", {"noise_variance": 1e-3}),
    "kde-lower": ("kde-lower", {"noise_variance": 1e-3}),
    "adaptive-kde-upper": ("adaptive-kde-upper", {"noise_fraction": 0.05}),
    "adaptive-kde-lower": ("adaptive-kde-lower", {"noise_fraction": 0.05}),
    "sample-propagation": ("sample-propagation",
                           {"mc_samples": 4096, "propagations": 32, "conditional_mc_samples": 32}),
}
INPUT_WIDTH = 12  # SZT inputs, for the random net of sample-propagation


def _random_network(epochs: int, widths: list[int], device: torch.device) -> Network:
    """A noisy net per epoch (beta = 0.005) with random weights, ``INPUT_WIDTH`` inputs."""
    sizes = [INPUT_WIDTH, *widths]
    weights = [torch.randn(epochs, a, b, device=device) / a**0.5
               for a, b in zip(sizes[:-1], sizes[1:], strict=True)]
    biases = [torch.zeros(epochs, 1, b, device=device) for b in widths]
    return Network(weights, biases, ["tanh"] * (len(widths) - 1), 0.005)


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def time_method(method: str, params: dict, blocks: list[np.ndarray], labels: np.ndarray,
                widths: list[int], device: torch.device) -> float:
    """Seconds to estimate every layer of every block (one block = one repetition), a first
    pass over the block included where the estimator needs one (``apply.layer_params``)."""
    estimator, params = get(method), validate_params(method, params)
    bounds = np.cumsum([0, *widths])
    unit_layer = np.repeat(np.arange(1, len(widths) + 1), widths)
    labels_device = torch.as_tensor(labels, device=device)
    _sync(device)
    start = time.perf_counter()
    for block in blocks:
        per_layer = layer_params(estimator, params, xr.DataArray(block, dims=DIMS), unit_layer,
                                 np.unique(unit_layer), len(block))
        acts = torch.as_tensor(block, device=device)
        if "codes" in estimator.needs:
            acts = torch.round((acts + 1) * 127.5).to(torch.uint8)
        if "weights" in estimator.needs:  # every layer at once, as apply.py does
            network = _random_network(len(block), widths, device)
            mi = estimator.fn([acts[..., lo:hi] for lo, hi in zip(bounds[:-1], bounds[1:],
                                                                   strict=True)],
                              labels_device, network=network, **params)
            mi.I_XT.cpu(), mi.I_TY.cpu()
            continue
        for k, (lo, hi) in enumerate(zip(bounds[:-1], bounds[1:], strict=True)):
            mi = estimator.fn(acts[..., lo:hi], labels_device, **per_layer[k])
            mi.I_XT.cpu(), mi.I_TY.cpu()
    _sync(device)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--device", default="auto", help="auto | cpu | cuda")
    parser.add_argument("--reps", type=int, default=50, help="repetitions of the experiment")
    parser.add_argument("--epochs", type=int, default=280, help="snapshot epochs per rep")
    parser.add_argument("--samples", type=int, default=4096)
    parser.add_argument("--widths", default="10,7,5,4,3,2", help="units of each layer")
    parser.add_argument("--measure-reps", type=int, default=None,
                        help="repetitions actually timed (default: all)")
    parser.add_argument("--measure-epochs", type=int, default=None,
                        help="epochs per timed repetition (default: all)")
    parser.add_argument("--kde-measure-epochs", type=int, default=None,
                        help="epochs per timed repetition for the N^2 methods, KDE and "
                             "sample-propagation (default: as above)")
    parser.add_argument("--methods", default=",".join(CASES),
                        help=f"comma-separated cases: {', '.join(CASES)}")
    parser.add_argument("--repeat", type=int, default=1,
                        help="time each method this many times and keep the fastest "
                             "(for a machine shared with other jobs)")
    args = parser.parse_args()

    device = resolve_device(args.device)
    widths = [int(w) for w in args.widths.split(",")]
    measure_reps = args.measure_reps or args.reps
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 2, args.samples)
    print(f"device {device} ({torch.cuda.get_device_name(device) if device.type == 'cuda' else ''}"
          f"{torch.get_num_threads()} CPU threads); target: {args.reps} reps x {args.epochs} "
          f"epochs x {len(widths)} layers {widths}, {args.samples} samples")
    print(f"{'case':<22} {'measured':>26} {'seconds':>9}   {'one experiment':>16}")
    for case in args.methods.split(","):
        method, params = CASES[case]
        is_kde = "kde" in method or method == "sample-propagation"
        epochs = (args.kde_measure_epochs if is_kde and args.kde_measure_epochs
                  else args.measure_epochs) or args.epochs
        blocks = [np.tanh(rng.standard_normal((epochs, args.samples, sum(widths)),
                                              dtype=np.float32)) for _ in range(measure_reps)]
        time_method(method, params, [blocks[0][:2]], labels, widths, device)  # warm-up
        seconds = min(time_method(method, params, blocks, labels, widths, device)
                      for _ in range(args.repeat))
        factor = (args.reps / measure_reps) * (args.epochs / epochs)
        label = "measured" if factor == 1 else f"extrapolated x{factor:g}"
        print(f"{case:<22} {f'{measure_reps} reps x {epochs} epochs':>26} {seconds:9.2f}   "
              f"{seconds * factor:12.1f} s ({label})", flush=True)


if __name__ == "__main__":
    main()
