#!/usr/bin/env python3
"""AIS for a Bernoulli RBM in plain numpy (float32, what a Python user would write), timed on
the same model and data as `rbm logz --method ais`: the baseline of bench/ais_bench.sh.

Salakhutdinov & Murray (2008): base-rate model A (visible biases fitted to the data, no weights),
p_k ∝ exp(-(1-β_k) E_A - β_k E_B) with E_B's hidden units summed out, one Gibbs sweep per β on
the chains, log w += log f_k(v) - log f_{k-1}(v). Prints one JSON line.
"""
import argparse
import gzip
import json
import struct
import time

import numpy as np


def load_model(path):
    with open(path, "rb") as f:
        header = json.loads(f.read(struct.unpack("<Q", f.read(8))[0]))
        body = f.read()
    tensor = {}
    for name, spec in header.items():
        if name != "__metadata__":
            begin, end = spec["data_offsets"]
            tensor[name] = np.frombuffer(body[begin:end], dtype=np.float32).reshape(spec["shape"])
    return tensor["weights"], tensor["visible_bias"], tensor["hidden_bias"]


def mnist_train_images(directory):
    with gzip.open(f"{directory}/train-images-idx3-ubyte.gz") as f:
        raw = np.frombuffer(f.read(), dtype=np.uint8, offset=16)
    return (raw.reshape(-1, 784) > 127.5).astype(np.float32)  # the library's threshold 0.5


def schedule(n_betas):  # the knots of Salakhutdinov & Murray's 500 + 4000 + 10000 steps
    s = np.arange(n_betas + 1) / n_betas
    return np.interp(s, [0.0, 500 / 14500, 4500 / 14500, 1.0], [0.0, 0.5, 0.9, 1.0])


def ais(w, b, c, base, betas, chains, rng):
    def log_f(v, beta):  # log of the unnormalised marginal of v at β
        return ((1 - beta) * v @ base + beta * (v @ b)
                + np.logaddexp(0, beta * (v @ w + c)).sum(axis=1))

    v = (rng.random((chains, w.shape[0]), dtype=np.float32)
         < 1 / (1 + np.exp(-base))).astype(np.float32)
    log_w = np.zeros(chains)
    for k in range(1, len(betas)):
        log_w += log_f(v, betas[k]) - log_f(v, betas[k - 1])
        if k + 1 < len(betas):  # one Gibbs sweep at β_k
            beta = np.float32(betas[k])
            h = (rng.random((chains, w.shape[1]), dtype=np.float32)
                 < 1 / (1 + np.exp(-beta * (v @ w + c)))).astype(np.float32)
            field = (1 - beta) * base + beta * (h @ w.T + b)
            v = (rng.random(v.shape, dtype=np.float32) < 1 / (1 + np.exp(-field))).astype(np.float32)
    log_z_base = np.logaddexp(0, base).sum() + w.shape[1] * np.log(2)
    top = log_w.max()
    mean = np.exp(log_w - top).mean()
    log_z = log_z_base + top + np.log(mean)
    error = np.exp(log_w - top).std(ddof=1) / np.sqrt(chains) / mean
    return log_z, error


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", required=True)
    parser.add_argument("--mnist", required=True, help="directory of the MNIST IDX files")
    parser.add_argument("--betas", type=int, default=10000)
    parser.add_argument("--chains", type=int, default=100)
    args = parser.parse_args()
    w, b, c = load_model(args.model)
    data = mnist_train_images(args.mnist)
    eps = 1 / (2 * len(data) + 2)
    p = np.clip(data.mean(axis=0), eps, 1 - eps)
    base = np.log(p / (1 - p)).astype(np.float32)
    start = time.perf_counter()
    log_z, error = ais(w, b, c, base, schedule(args.betas), args.chains, np.random.default_rng(1))
    print(json.dumps({"method": "ais", "log_z": float(log_z), "log_z_error": float(error),
                      "seconds": time.perf_counter() - start,
                      "numpy": np.__version__}))


if __name__ == "__main__":
    main()
