#!/usr/bin/env python3
"""The Python package against the command-line tool and scikit-learn, side by side in one run,
interleaved so that drift from other load hits all alike. One JSON line per measurement.

  python bench/python_bench.py --rbm build/rbm --mnist-dir ../shared/data/mnist \
      [--hidden 500 --batch 100 --epochs 3 --repeat 3] > bench/results/DATE-cpu-python.jsonl

1. Training on the MNIST shape (D = 784, L = --hidden, B = --batch, CD-1, momentum 0.5,
   lr 0.05, CPU): `rbm train`'s epoch seconds; Engine.train's wall time between two epoch
   callbacks (what the binding adds per epoch: GIL, callback, metrics); BernoulliRBM.fit's
   whole wall time per epoch (validation, binarisation, upload, initialisation included).
2. Exact log-likelihood of the 10 000 MNIST test images at L = 20: `rbm eval` (its own
   clock, which includes reading the files) against BernoulliRBM.score_samples and
   Engine.log_probabilities on the images already in memory (log Z computed each time).
3. rbm.BernoulliRBM.fit against scikit-learn's BernoulliRBM.fit: one PCD-1 SGD epoch each on
   the same float32 array (scikit-learn's algorithm and defaults, B = --batch).
"""
import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

import rbm


def emit(**record):
    record.setdefault("date", datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"))
    record.setdefault("machine", f"{os.cpu_count()} cores, {platform.machine()}")
    print(json.dumps(record), flush=True)


def cli_train(args, spec, out):
    lines = subprocess.run([args.rbm, "train", "--data", spec, "--hidden", str(args.hidden),
                            "--batch", str(args.batch), "--epochs", str(args.epochs),
                            "--backend", "cpu", "--json", "--out", out],
                           check=True, capture_output=True, text=True).stdout.splitlines()
    return [json.loads(l)["seconds"] for l in lines if '"event":"epoch"' in l]


def engine_train(engine, data, config, hidden):
    start = rbm.init_model(data, hidden, config)
    stamps = [time.perf_counter()]
    library = []

    def on_epoch(metrics):
        stamps.append(time.perf_counter())
        library.append(metrics[0].seconds)

    begin = time.perf_counter()
    engine.train(start, config, data, on_epoch=on_epoch)
    stamps[0] = begin
    return np.diff(stamps)[1:], library[1:]  # epoch 1 includes the start of the run


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rbm", required=True, help="the rbm command-line tool")
    parser.add_argument("--mnist-dir", required=True)
    parser.add_argument("--hidden", type=int, default=500)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip-sklearn", action="store_true")
    args = parser.parse_args()
    train_spec = f"mnist:{args.mnist_dir}:train"
    test_spec = f"mnist:{args.mnist_dir}:test"
    train, test = rbm.load_dataset(train_spec), rbm.load_dataset(test_spec)
    X_train, X_test = np.array(train.values), np.array(test.values)
    engine = rbm.Engine("cpu")
    common = dict(D=784, N=len(X_train), device=engine.device_name)
    config = rbm.TrainConfig(batch_size=args.batch, epochs=args.epochs)  # CD-1, momentum, lr 0.05
    work = tempfile.mkdtemp()

    # 1. Training per epoch.
    for run in range(args.repeat):
        seconds = cli_train(args, train_spec, os.path.join(work, "cli.safetensors"))[1:]
        emit(task="train_epoch", tool="rbm train", run=run, L=args.hidden, B=args.batch,
             seconds=statistics.median(seconds), epochs=seconds, **common)
        wall, library = engine_train(engine, train, config, args.hidden)
        emit(task="train_epoch", tool="rbm.Engine.train (Python)", run=run, L=args.hidden,
             B=args.batch, seconds=float(np.median(wall)), epochs=list(wall),
             library_seconds=library, **common)
        estimator = rbm.BernoulliRBM(n_components=args.hidden, batch_size=args.batch,
                                     n_iter=args.epochs, persistent=False, optimizer="momentum",
                                     momentum=0.5, learning_rate=0.05, random_state=1,
                                     backend="cpu")
        begin = time.perf_counter()
        estimator.fit(X_train)
        emit(task="train_epoch", tool="rbm.BernoulliRBM.fit (whole call / epochs)", run=run,
             L=args.hidden, B=args.batch, seconds=(time.perf_counter() - begin) / args.epochs,
             **common)

    # 2. Exact log-likelihood of the test set at L = 20.
    scorer = rbm.BernoulliRBM(n_components=20, n_iter=1, batch_size=100, random_state=0,
                              backend="cpu").fit(X_train)
    model = scorer._model()
    model_path = os.path.join(work, "l20.safetensors")
    rbm.save_model(model_path, model)
    for run in range(args.repeat):
        begin = time.perf_counter()
        out = subprocess.run([args.rbm, "eval", "--model", model_path, "--data", test_spec,
                              "--backend", "cpu", "--json"], check=True, capture_output=True,
                             text=True).stdout
        wall = time.perf_counter() - begin
        record = json.loads(out.strip().splitlines()[-1])
        emit(task="eval_l20", tool="rbm eval", run=run, L=20, N=len(X_test), seconds=record["seconds"],
             process_seconds=wall, log_likelihood=record["log_likelihood"])
        scorer._log_z_cache.clear()
        begin = time.perf_counter()
        mean = float(np.mean(scorer.score_samples(X_test)))
        emit(task="eval_l20", tool="rbm.BernoulliRBM.score_samples", run=run, L=20,
             N=len(X_test), seconds=time.perf_counter() - begin, log_likelihood=mean)
        begin = time.perf_counter()
        mean = float(np.mean(engine.log_probabilities(model, X_test)))
        emit(task="eval_l20", tool="rbm.Engine.log_probabilities (Python)", run=run, L=20,
             N=len(X_test), seconds=time.perf_counter() - begin, log_likelihood=mean)

    # 3. Against scikit-learn: one PCD-1 SGD epoch each, the same float32 data.
    if not args.skip_sklearn:
        from sklearn.neural_network import BernoulliRBM as SklearnRBM
        X32 = X_train.astype(np.float32)
        for run in range(args.repeat):
            for name, make in (("sklearn BernoulliRBM.fit", SklearnRBM),
                               ("rbm.BernoulliRBM.fit", lambda **o: rbm.BernoulliRBM(backend="cpu", **o))):
                estimator = make(n_components=args.hidden, batch_size=args.batch, n_iter=1,
                                 learning_rate=0.05, random_state=0)
                begin = time.perf_counter()
                estimator.fit(X32)
                emit(task="pcd1_sgd_epoch", tool=name, run=run, L=args.hidden, B=args.batch,
                     dtype="float32", seconds=time.perf_counter() - begin, **common)


if __name__ == "__main__":
    main()
