"""Training throughput: the CPU engine against today's alternatives and the hardware's floor.

For each experiment of config.yaml (paper scale; default szt-tanh with 50 repetitions, MNIST-138
and Lorenzen's 8-bit BOTTLENECK-2 on MNIST), one run measures milliseconds per epoch (all
repetitions: the mini-batch updates, the evaluation on every sample, every layer's output
copied at the paper schedule's snapshot density) of

- the CPU engine (``train.engine_cpu``, compiled per-repetition kernels),
- the torch engine on the CPU (``train.engine_torch``: the batched autograd trainer the
  workflow used before, and the CUDA path),
- a plain per-repetition PyTorch loop (one ``nn.Sequential`` and optimizer per repetition;
  float tanh/relu nets only),
- the hardware floor: the epoch's FLOPs at the rate this machine measures for a large float32
  GEMM (torch.mm, 2048^2, all threads), plus its tanh/exp evaluations at the rate of numpy's
  vectorised float32 tanh (one call per thread, side by side),

and the share of the floor the CPU engine reaches.

With ``--device cuda`` the torch engine (a CUDA graph per epoch) and the loop run on the GPU;
the CPU engine and the floor stay the CPU's.

    python benchmarks/train_throughput.py
    python benchmarks/train_throughput.py --cases szt-tanh --epochs 400
"""

from __future__ import annotations

import argparse
import time
from concurrent.futures import ThreadPoolExecutor

import numba
import numpy as np
import torch

from ibrepro import data
from ibrepro.config import load_file
from ibrepro.train.loop import make_engine, repetition_seeds, resolve_device
from ibrepro.train.schedule import snapshot_epochs

# case -> (experiment, epochs of the CPU engine, of the torch engine, of the loop, repetitions)
CASES = {
    "szt-tanh": ("szt-tanh", 400, 30, 5, 50),
    "mnist138-tanh": ("mnist138-tanh", 100, 10, 2, 20),
    "lorenzen-mnist-bottleneck-2": ("lorenzen-mnist-bottleneck-2", 2, 1, 0, 20),
}
SATURATING = {"tanh", "sigmoid", "softplus", "centred-softplus", "elu", "swish"}


def recorded(spec: dict, epochs: int) -> set[int]:
    """Snapshot epochs at the paper schedule's mean density over ``epochs`` epochs."""
    count = max(2, round(spec["snapshots"] * epochs / spec["epochs"]))
    return set(snapshot_epochs(epochs, count).tolist())


def engine_ms(spec, arrays, epochs, engine, device) -> float:
    """Milliseconds per epoch of ``epochs`` epochs on ``engine``, snapshots copied (the clock
    stops after the last epoch's metrics reach the host)."""
    x, y, train = arrays
    run = make_engine(spec, x, y, train, repetition_seeds(spec["seed"], spec["repetitions"]),
                      device, engine=engine)
    snaps = recorded(spec, epochs)
    run.evaluate(0, True)
    run.train_epoch(1, True)  # compiled code loaded, buffers touched
    start = time.perf_counter()
    for epoch in range(2, epochs + 2):
        run.train_epoch(epoch, epoch - 1 in snaps)
        if epoch - 1 in snaps:
            run.snapshot()
    run.history_array()
    return (time.perf_counter() - start) / epochs * 1e3


def loop_ms(spec, arrays, epochs, device) -> float:
    """Milliseconds per epoch of the usual approach: one model and optimizer at a time."""
    x, y, train = (torch.as_tensor(a, device=device) for a in arrays)
    x = x.float()
    x_train, y_train = x[train], y[train]
    widths = [x.shape[1], *spec["hidden"], int(y.max()) + 1]
    act = {"tanh": torch.nn.Tanh, "relu": torch.nn.ReLU}
    optimizers = {"sgd": torch.optim.SGD, "adam": torch.optim.Adam}
    snaps = recorded(spec, epochs)
    start = time.perf_counter()
    for seed in repetition_seeds(spec["seed"], spec["repetitions"]):
        torch.manual_seed(seed % 2**63)
        layers = []
        for i, (fan_in, fan_out) in enumerate(zip(widths[:-1], widths[1:], strict=True)):
            layers.append(torch.nn.Linear(fan_in, fan_out))
            if i < len(spec["activations"]):
                layers.append(act[spec["activations"][i]]())
        model = torch.nn.Sequential(*layers).to(device)
        optimizer = optimizers[spec["optimizer"]](model.parameters(), lr=spec["lr"])
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
                torch.nn.functional.cross_entropy(h, y).item()
                if epoch in snaps:
                    torch.cat(outputs, dim=1).cpu()
    return (time.perf_counter() - start) / epochs * 1e3


def gemm_rate(threads: int) -> float:
    """FLOP/s of a 2048^2 float32 torch.mm on ``threads`` threads (best of 5)."""
    torch.set_num_threads(threads)
    a, b = torch.randn(2048, 2048), torch.randn(2048, 2048)
    best = np.inf
    for _ in range(5):
        start = time.perf_counter()
        torch.mm(a, b)
        best = min(best, time.perf_counter() - start)
    return 2 * 2048**3 / best


def tanh_rate(threads: int) -> float:
    """float32 tanh values per second: numpy's vectorised tanh on a cache-sized array, one
    call per thread at once (numpy releases the GIL), best of 5."""
    x = np.random.default_rng(0).standard_normal((threads, 65536)).astype(np.float32)
    out = np.empty_like(x)
    reps = 100
    with ThreadPoolExecutor(threads) as pool:
        def work(t):
            for _ in range(reps):
                np.tanh(x[t], out=out[t])
        best = np.inf
        for _ in range(5):
            start = time.perf_counter()
            list(pool.map(work, range(threads)))
            best = min(best, time.perf_counter() - start)
    return threads * reps * x.shape[1] / best


def epoch_work(spec: dict, features: int, classes: int, n_train: int, n_all: int):
    """(FLOPs, transcendental evaluations) of one epoch of all repetitions: forward, the
    backward pass (weight gradients of every layer, input gradients of all but the first) on
    the training samples, and the forward pass on all samples."""
    widths = [features, *spec["hidden"], classes]
    macs = [a * b for a, b in zip(widths[:-1], widths[1:], strict=True)]
    train_flops = 2 * (sum(macs) + sum(macs) + sum(macs[1:])) * n_train
    flops = (train_flops + 2 * sum(macs) * n_all) * spec["repetitions"]
    curved = sum(w for w, a in zip(spec["hidden"], spec["activations"], strict=True)
                 if a in SATURATING)
    transcendental = (curved + classes) * (n_train + n_all) * spec["repetitions"]
    return flops, transcendental


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", default=",".join(CASES), help=f"of {', '.join(CASES)}")
    parser.add_argument("--epochs", type=int, help="CPU engine epochs (default per case)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--device", default="cpu", help="of the torch engine and the loop")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    numba.set_num_threads(args.threads)
    device = resolve_device(args.device)
    paper = load_file("config.yaml", scale="paper")
    gemm, tanh = gemm_rate(args.threads), tanh_rate(args.threads)
    torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, numba {numba.__version__}, {args.threads} threads, "
          f"torch engine on {device}; "
          f"floor rates: GEMM {gemm / 1e9:.0f} GFLOP/s, tanh {tanh / 1e6:.0f} M/s")
    print(f"{'case':30s} {'reps':>4s} {'engine':>9s} {'torch':>9s} {'loop':>9s} {'floor':>8s}"
          f" {'of floor':>8s} {'vs torch':>8s} {'vs loop':>8s}  (ms/epoch)")
    for case in args.cases.split(","):
        experiment, e_engine, e_torch, e_loop, reps = CASES[case]
        spec = {**paper.experiments[experiment], "repetitions": reps}
        ds = data.build(spec["dataset"], paper.datasets[spec["dataset"]])
        train_mask = ds["split"].values == "train"
        arrays = (ds["x"].values.astype(np.float32), ds["y"].values, train_mask)
        flops, transcendental = epoch_work(spec, arrays[0].shape[1], int(arrays[1].max()) + 1,
                                           int(train_mask.sum()), len(train_mask))
        floor = (flops / gemm + transcendental / tanh) * 1e3
        fast = engine_ms(spec, arrays, args.epochs or e_engine, "cpu", resolve_device("cpu"))
        slow = engine_ms(spec, arrays, e_torch, "torch", device)
        plain = (loop_ms(spec, arrays, e_loop, device)
                 if e_loop and not spec.get("bits") else float("nan"))
        print(f"{case:30s} {reps:4d} {fast:9.2f} {slow:9.2f} {plain:9.2f} {floor:8.2f}"
              f" {floor / fast:8.0%} {slow / fast:7.1f}x {plain / fast:7.1f}x")
        print(f"{'':30s} epoch: {flops / 1e6:.0f} MFLOP, {transcendental / 1e6:.1f} M tanh/exp;"
              f" {spec['epochs']} epochs on the CPU engine: {fast * spec['epochs'] / 1e3:.0f} s")


if __name__ == "__main__":
    main()
