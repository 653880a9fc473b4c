"""Do the adaptive estimators' compression verdicts depend on the activations' storage precision?

The rank-based adaptive estimators see only the order of a layer's values and its ties: stored
at ``significant_bits`` (config's 12 for most runs) a saturated tanh unit ties at +-1 from
pre-activations x >~ 5.2 instead of >~ 9 in float32, and close values anywhere merge (12 bits
leave 4096 values per octave). One short real run is trained once, its activations stored
losslessly (``short_run.py``, the ``train`` rule's writers), and written again by the trainer's
own ``ActivationWriter`` rounded to ``--bits`` significant bits (netCDF BitRound, as
``significant_bits`` stores a run). Both files get config.yaml's adaptive estimators
(``adaptive-bins-30``, ``adaptive-kde-upper``) by ``apply.estimate_file`` (the estimate rule),
and per estimator and layer the table gives the largest |difference| of I(X;T) over
repetitions and snapshots, and the compression measure of ``figures.compression`` (relative
drop of the repetition-mean I(X;T) from its peak, compressing when >= THRESHOLD) on both files:
whether the verdict changes, and how many repetitions compress on their own.

    nice -n 10 python benchmarks/storage_precision.py --experiment szt-tanh --repetitions 3 \\
        --epochs 2000 --snapshots 30 --out /tmp/storage-precision
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import xarray as xr

sys.path.insert(0, str(Path(__file__).parent))
from short_run import short_run  # noqa: E402

from ibrepro.config import load_file  # noqa: E402
from ibrepro.estimators.apply import estimate_file, layer_coords  # noqa: E402
from ibrepro.figures.compression import THRESHOLD, compression  # noqa: E402
from ibrepro.train.schedule import recorded_epochs  # noqa: E402
from ibrepro.train.writer import ActivationWriter  # noqa: E402

ESTIMATORS = ("adaptive-bins-30", "adaptive-kde-upper")


def rounded_copy(source: Path, target: Path, bits: int) -> None:
    """``source``'s activations written again by the trainer's writer at ``bits`` significant
    bits."""
    with xr.open_dataset(source, mask_and_scale=False) as acts:
        unit_layer, coords = layer_coords(acts)
        widths = [int((unit_layer == layer).sum()) for layer in coords["layer"]]
        with ActivationWriter.create(
            target, repetitions=acts.sizes["rep"], epochs=acts["epoch"].values,
            layer_widths=widths, layer_names=coords["layer_name"][1], labels=acts["y"].values,
            split=acts["split"].values, attrs={"experiment": f"{source} at {bits} bits"},
            significant_bits=bits,
        ) as writer:
            for k, epoch in enumerate(acts["epoch"].values):
                writer.write(int(epoch), acts["activation"][:, k].values)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--experiment", default="szt-tanh")
    parser.add_argument("--repetitions", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=2000)
    parser.add_argument("--snapshots", type=int, default=30)
    parser.add_argument("--bits", type=int, default=12)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", type=Path, default=Path("/tmp/storage-precision"))
    args = parser.parse_args()

    spec = load_file("config.yaml")
    out = args.out / args.experiment
    epochs = [int(e) for e in recorded_epochs(args.epochs, snapshots=args.snapshots)]
    start = time.perf_counter()
    lossless, _ = short_run(args.experiment, out, repetitions=args.repetitions,
                            epochs=args.epochs, record_epochs=epochs, significant_bits=None)
    trained = time.perf_counter() - start
    rounded = out / f"{args.experiment}-activations-{args.bits}bits.nc"
    rounded_copy(lossless, rounded, args.bits)
    with xr.open_dataset(lossless) as a, xr.open_dataset(rounded) as b:
        values, stored = a["activation"].values, b["activation"].values
        saturated = float((np.abs(values[..., a["layer"].values < a["layer"].values.max()])
                           > 0.9999).mean())
        error = np.abs(stored - values) / np.maximum(np.abs(values), 1e-30)
        names = list(layer_coords(a)[1]["layer_name"][1])
    print(f"{args.experiment}: {args.repetitions} repetitions x {args.epochs} epochs "
          f"(trained in {trained:.0f} s), {len(epochs)} snapshots ({epochs[0]}-{epochs[-1]}); "
          f"stored at {args.bits} significant bits: max relative error {error.max():.2e}; "
          f"hidden values with |t| > 0.9999: {100 * saturated:.2f}%")
    print(f"\n| estimator | layer | max abs diff of I(X;T) [bits] | relative drop lossless / "
          f"{args.bits} bits | compresses (threshold {THRESHOLD:g}) lossless / {args.bits} bits "
          f"| reps compressing lossless / {args.bits} bits |")
    print("| --- | --- | --- | --- | --- | --- |")
    changed = []
    for name in ESTIMATORS:
        estimator = spec.estimators[name]
        results = []
        for path, tag in ((lossless, "lossless"), (rounded, f"{args.bits}bits")):
            target = out / f"mi-{name}-{tag}.nc"
            estimate_file(estimator, path, target, device="cpu", workers=args.workers)
            with xr.open_dataset(target) as mi:
                results.append(mi["I_XT"].transpose("rep", "epoch", "layer").values)
        diff = np.abs(results[1] - results[0]).max(axis=(0, 1))
        means = [compression(r.mean(axis=0)) for r in results]
        reps = [compression(r).compresses.sum(axis=0) for r in results]
        for k, layer in enumerate(names):
            verdicts = [bool(m.compresses[k]) for m in means]
            if verdicts[0] != verdicts[1]:
                changed.append(f"{name} {layer}")
            print(f"| {name} | {layer} | {diff[k]:.4f} | {means[0].relative[k]:.3f} / "
                  f"{means[1].relative[k]:.3f} | {'yes' if verdicts[0] else 'no'} / "
                  f"{'yes' if verdicts[1] else 'no'} | {reps[0][k]} / {reps[1][k]} |",
                  flush=True)
    print("\nverdicts changed: " + (", ".join(changed) if changed else "none"))


if __name__ == "__main__":
    main()
