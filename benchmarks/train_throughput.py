"""Training throughput: the batched trainer vs a plain per-repetition PyTorch loop.

Both train the SZT tanh experiment of config.yaml (12-10-7-5-4-3-2, SGD, batch 256) with the
same work per epoch: mini-batch updates, then loss/accuracy on all samples, and every layer's
output copied to the host at the snapshot epochs. Prints seconds per epoch (all repetitions)
for each and their ratio, measured in this one run.

    python benchmarks/train_throughput.py --repetitions 50 --epochs 200 --loop-epochs 20
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from ibrepro import data
from ibrepro.config import load_file
from ibrepro.train.loop import repetition_seeds, resolve_device, train
from ibrepro.train.schedule import snapshot_epochs


def per_repetition_loop(spec, x, y, train_mask, epochs, snapshots, device) -> float:
    """Seconds per epoch (all repetitions) of the usual approach: one model at a time."""
    x = torch.as_tensor(x, dtype=torch.float32, device=device)
    y = torch.as_tensor(y, dtype=torch.int64, device=device)
    x_train, y_train = x[torch.as_tensor(train_mask)], y[torch.as_tensor(train_mask)]
    widths = [x.shape[1], *spec["hidden"], 2]
    act = {"tanh": torch.nn.Tanh, "relu": torch.nn.ReLU}
    _sync(device)
    start = time.perf_counter()
    for seed in repetition_seeds(spec["seed"], spec["repetitions"]):
        torch.manual_seed(seed % 2**63)
        layers = []
        for i, (fan_in, fan_out) in enumerate(zip(widths[:-1], widths[1:], strict=True)):
            layers.append(torch.nn.Linear(fan_in, fan_out))
            if i < len(spec["activations"]):
                layers.append(act[spec["activations"][i]]())
        model = torch.nn.Sequential(*layers).to(device)
        optimizer = torch.optim.SGD(model.parameters(), lr=spec["lr"])
        for epoch in range(1, epochs + 1):
            for batch in torch.randperm(len(y_train), device=device).split(spec["batch_size"]):
                loss = torch.nn.functional.cross_entropy(model(x_train[batch]), y_train[batch])
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
            with torch.no_grad():
                outputs, h = [], x
                for layer in model:
                    h = layer(h)
                    outputs.append(h)
                torch.nn.functional.cross_entropy(h, y).item()  # the per-epoch metrics
                if epoch in snapshots:
                    torch.cat(outputs, dim=1).cpu()
    _sync(device)
    return (time.perf_counter() - start) / epochs


def batched(spec, x, y, train_mask, epochs, snapshots, device) -> float:
    """Seconds per epoch (all repetitions) of ibrepro's batched trainer."""
    _sync(device)
    start = time.perf_counter()
    train({**spec, "epochs": epochs}, x, y, train_mask, snapshot_epochs=np.array(sorted(snapshots)),
          on_snapshot=lambda epoch, acts: None, device=device, progress=False)
    _sync(device)
    return (time.perf_counter() - start) / epochs


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--experiment", default="szt-tanh")
    parser.add_argument("--repetitions", type=int, default=50)
    parser.add_argument("--epochs", type=int, default=200, help="epochs of the batched run")
    parser.add_argument("--loop-epochs", type=int, default=20,
                        help="epochs of the per-repetition loop (it is slow)")
    parser.add_argument("--device", default="auto")
    args = parser.parse_args()

    paper = load_file("config.yaml", scale="paper").experiments[args.experiment]
    spec = {**paper, "repetitions": args.repetitions}
    ds = data.build("szt", {"kind": "szt", "test_fraction": 0.2, "split_seed": 0})
    arrays = ds["x"].values, ds["y"].values, ds["split"].values == "train"
    device = resolve_device(args.device)
    def snaps(epochs: int) -> set[int]:  # the paper schedule's mean density (280 per 8000)
        count = max(2, round(spec["snapshots"] * epochs / spec["epochs"]))
        return set(snapshot_epochs(epochs, count).tolist())

    t_batched = batched(spec, *arrays, args.epochs, snaps(args.epochs), device)
    t_loop = per_repetition_loop(spec, *arrays, args.loop_epochs, snaps(args.loop_epochs), device)
    name = torch.cuda.get_device_name() if device.type == "cuda" else "cpu"
    print(f"device {name}, torch {torch.__version__}, {args.repetitions} repetitions, "
          f"{args.experiment}")
    print(f"batched trainer:        {t_batched * 1e3:9.2f} ms/epoch ({args.epochs} epochs)")
    print(f"per-repetition loop:    {t_loop * 1e3:9.2f} ms/epoch ({args.loop_epochs} epochs)")
    print(f"speed-up (loop/batched): {t_loop / t_batched:8.1f}x")
    print(f"paper scale (8000 epochs) batched: {t_batched * 8000:.0f} s")


if __name__ == "__main__":
    main()
