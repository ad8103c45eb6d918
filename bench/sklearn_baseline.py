#!/usr/bin/env python3
"""scikit-learn's BernoulliRBM, one PCD-1 epoch on the MNIST shape: the tool CPU users would
otherwise reach for, measured beside `bench_train --backend cpu` (the CPU backend must not
lose to it). Prints one JSON line per measurement, with the keys bench_train uses.

Usage: sklearn_baseline.py [--mnist-dir DIR] [--hidden 500] [--batch 100] [--dtype float32]
"""
import argparse, datetime, gzip, json, os, platform, struct, time

import numpy as np
from sklearn.neural_network import BernoulliRBM


def load_mnist_train(directory):
    path = os.path.join(directory, "train-images-idx3-ubyte.gz")
    with gzip.open(path, "rb") as f:
        magic, n, rows, cols = struct.unpack(">IIII", f.read(16))
        assert magic == 0x803, hex(magic)
        pixels = np.frombuffer(f.read(), dtype=np.uint8).reshape(n, rows * cols)
    return (pixels / 255.0 > 0.5)  # the same binarization as rbm's mnist: spec (threshold 0.5)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--mnist-dir", default="")
    parser.add_argument("--hidden", type=int, default=500)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--dtype", default="float32", choices=["float32", "float64"])
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()

    if args.mnist_dir and os.path.exists(os.path.join(args.mnist_dir, "train-images-idx3-ubyte.gz")):
        data, source = load_mnist_train(args.mnist_dir), "mnist"
    else:
        data, source = np.random.default_rng(1).random((60000, 784)) < 0.13, "random"
    x = data.astype(args.dtype)
    for _ in range(args.repeat):
        model = BernoulliRBM(n_components=args.hidden, batch_size=args.batch, n_iter=1,
                             learning_rate=0.05, random_state=0)
        start = time.perf_counter()
        model.fit(x)
        seconds = time.perf_counter() - start
        print(json.dumps({"task": "cd_epoch", "backend": "sklearn", "method": "PCD-1",
                          "dtype": args.dtype, "data": source, "D": x.shape[1], "L": args.hidden,
                          "B": args.batch, "k": 1, "models": 1, "seconds": seconds,
                          "device": f"cpu ({os.cpu_count()} threads, {platform.processor() or platform.machine()})",
                          "date": datetime.date.today().isoformat()}), flush=True)


if __name__ == "__main__":
    main()
