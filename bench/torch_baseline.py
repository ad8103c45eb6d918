#!/usr/bin/env python3
"""Plain PyTorch versions of rbm's GPU work, measured on the same GPU in the same call, so that
bench/RESULTS.md can give ratios against a baseline read on that machine rather than quoted.

  logz   exact log Z the obvious way: for every hidden state h (in chunks), c·h + Σ_i softplus(b_i
         + W_i·h), then a log-sum-exp. One exp and one log per (state, visible unit) pair.
  train  one CD-k epoch on the MNIST shape written the obvious way: eager FP32 (TF32 off), and the
         same step captured in a CUDA graph and replayed (the strongest plain-PyTorch version).

Prints one JSON line per measurement with bench_logz / bench_train's keys (backend
"pytorch-eager" or "pytorch-graph"). Runs on the CPU too (slowly; for checking the script).

Usage: torch_baseline.py logz  [--L 20,24] [--D 784] [--scale 0.1] [--device cuda]
       torch_baseline.py train [--L 500] [--B 100] [--k 1] [--mnist-dir DIR] [--graph] [--device cuda]
"""
import argparse, datetime, gzip, json, math, os, struct, time

import torch


def now(device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    return time.perf_counter()


def device_name(device):
    return torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu"


def emit(line, device):
    line.update(device=device_name(device), date=datetime.datetime.now(datetime.timezone.utc).date().isoformat(),
                torch=torch.__version__)
    print(json.dumps(line), flush=True)


# ---- exact log Z ---------------------------------------------------------------------------
def log_z_plain(w, b, c, chunk_log2):
    """log Z = logsumexp_h [c·h + Σ_i softplus(b_i + (W h)_i)], h over all 2^L states, in float32
    per pair and float64 across chunks."""
    d, l = w.shape
    bits = torch.arange(l, device=w.device)
    chunk = 1 << min(chunk_log2, l)
    partial = []
    for start in range(0, 1 << l, chunk):
        states = torch.arange(start, start + chunk, device=w.device)
        h = ((states[:, None] >> bits) & 1).to(torch.float32)  # [chunk][L]
        terms = h @ c + torch.nn.functional.softplus(h @ w.T + b).sum(dim=1)
        partial.append(torch.logsumexp(terms.double(), dim=0))
    return torch.logsumexp(torch.stack(partial), dim=0).item()


def run_logz(args, device):
    gen = torch.Generator(device="cpu").manual_seed(args.seed)
    for l in args.L:
        for scale in args.scale:
            w = (torch.randn(args.D, l, generator=gen) * scale).to(device)
            b = (torch.randn(args.D, generator=gen) * scale).to(device)
            c = torch.zeros(l, device=device)
            chunk_log2 = 18 if device.type == "cuda" else 12  # ~0.8 GB of fields per chunk
            log_z_plain(w[:, :min(l, 12)], b, c[:min(l, 12)], chunk_log2)  # warm-up
            times = []
            for _ in range(args.repeat):
                start = now(device)
                value = log_z_plain(w, b, c, chunk_log2)
                times.append(now(device) - start)
            seconds = sorted(times)[len(times) // 2]
            pairs = float(1 << l) * args.D
            emit({"task": "exact_logz", "backend": "pytorch-eager", "D": args.D, "L": l,
                  "scale": scale, "log_z": value, "seconds": seconds,
                  "pairs_per_s": pairs / seconds}, device)


# ---- CD-k training ---------------------------------------------------------------------------
def load_mnist(directory):
    path = os.path.join(directory or "", "train-images-idx3-ubyte.gz")
    if not directory or not os.path.exists(path):
        return None
    with gzip.open(path, "rb") as f:
        magic, n, rows, cols = struct.unpack(">IIII", f.read(16))
        assert magic == 0x803, hex(magic)
        pixels = torch.frombuffer(bytearray(f.read()), dtype=torch.uint8).reshape(n, rows * cols)
    return (pixels > 127).to(torch.uint8)  # rbm's mnist binarization: value/255 > 0.5


def cd_step(v0, w, b, c, vw, vb, vc, k, lr, momentum):
    """One CD-k step with momentum, the textbook way (Hinton 2010, "A practical guide")."""
    p0 = torch.sigmoid(v0 @ w + c)
    h = torch.bernoulli(p0)
    for _ in range(k):
        x = torch.bernoulli(torch.sigmoid(h @ w.T + b))
        ph = torch.sigmoid(x @ w + c)
        h = torch.bernoulli(ph)
    n = v0.shape[0]
    vw.mul_(momentum).add_((v0.T @ p0 - x.T @ ph) / n, alpha=lr)
    vb.mul_(momentum).add_((v0 - x).mean(0), alpha=lr)
    vc.mul_(momentum).add_((p0 - ph).mean(0), alpha=lr)
    w.add_(vw)
    b.add_(vb)
    c.add_(vc)


def run_train(args, device):
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    data = load_mnist(args.mnist_dir)
    source = "mnist" if data is not None else "random"
    if data is None:
        data = (torch.rand(60000, 784, generator=torch.Generator().manual_seed(1)) < 0.13).to(
            torch.uint8)
    data = data.to(device)
    n, d = data.shape
    for l in args.L:
        for batch in args.B:
            for k in args.k:
                for graph in ([False, True] if args.graph and device.type == "cuda" else [False]):
                    seconds = train_epochs(data, l, batch, k, graph, args.epochs, device)
                    emit({"task": "cd_epoch", "backend": "pytorch-graph" if graph else "pytorch-eager",
                          "data": source, "N": n, "D": d, "L": l, "B": batch, "k": k, "pcd": False,
                          "models": 1, "tf32": False, "seconds": seconds,
                          "gemm_flops": (n // batch) * 2.0 * d * l * (3 * batch + 2 * k * batch)},
                         device)


def train_epochs(data, l, batch, k, graph, epochs, device):
    """Seconds per epoch (median over `epochs` after one warm-up epoch)."""
    torch.manual_seed(0)
    n, d = data.shape
    w = torch.randn(d, l, device=device) * 0.01
    b, c = torch.zeros(d, device=device), torch.zeros(l, device=device)
    vw, vb, vc = torch.zeros_like(w), torch.zeros_like(b), torch.zeros_like(c)
    v0 = torch.empty(batch, d, device=device)  # the graph's static input
    step = lambda: cd_step(v0, w, b, c, vw, vb, vc, k, 0.05, 0.5)
    if graph:
        side = torch.cuda.Stream()
        side.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(side):
            for _ in range(3):
                step()
        torch.cuda.current_stream().wait_stream(side)
        captured = torch.cuda.CUDAGraph()
        with torch.cuda.graph(captured):
            step()
        step = captured.replay
    times = []
    for epoch in range(epochs + 1):
        start = now(device)
        perm = torch.randperm(n, device=device)
        for first in range(0, n - batch + 1, batch):
            v0.copy_(data[perm[first:first + batch]])
            step()
        times.append(now(device) - start)
    steady = sorted(times[1:])
    return steady[len(steady) // 2]


def main():
    ints = lambda s: [int(x) for x in s.split(",")]
    floats = lambda s: [float(x) for x in s.split(",")]
    parser = argparse.ArgumentParser()
    parser.add_argument("task", choices=["logz", "train"])
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--D", type=int, default=784)
    parser.add_argument("--L", type=ints, default=None)
    parser.add_argument("--scale", type=floats, default=[0.1])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--B", type=ints, default=[100])
    parser.add_argument("--k", type=ints, default=[1])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--graph", action="store_true", help="also the CUDA-graph version")
    parser.add_argument("--mnist-dir", default="")
    args = parser.parse_args()
    device = torch.device(args.device)
    if args.task == "logz":
        args.L = args.L or [20, 24]
        run_logz(args, device)
    else:
        args.L = args.L or [500]
        run_train(args, device)


if __name__ == "__main__":
    main()
