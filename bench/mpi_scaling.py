#!/usr/bin/env python3
"""Exact log Z on 1 and N MPI ranks against one process: `rbm logz` timings as JSON lines.

For each L, a 784 x L model is trained for one epoch on 2000 MNIST images (weights of a real
model, not noise), then `rbm logz` runs, interleaved and --repeat times over:
  one process with 1 thread, one process with all cores' threads, and
  `mpirun -np R` (R = 2 .. --ranks) with 1 thread per rank.
Each line carries `seconds` (rbm's own wall time of the enumeration, the JSON's `seconds`),
`wall` (the whole command, mpirun's start and end included), `cpu_seconds` (user + system time
of all its processes: the work, which does not depend on other load on the machine), the log Z
printed (bit-equal across the runs or the script fails) and the pairs per second.

  python3 bench/mpi_scaling.py --rbm build/rbm --L 22,24 --repeat 3 > bench/results/DATE-mpi.jsonl
"""
import argparse
import datetime
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time


def run(command, env):
    """The command's last JSON line, its wall time and the CPU seconds of all its processes."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.monotonic()
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    wall = time.monotonic() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if done.returncode != 0:
        sys.exit("failed (%d): %s\n%s" % (done.returncode, " ".join(command), done.stderr))
    records = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    return records[-1], wall, cpu


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rbm", default=os.path.join(here, "..", "build", "rbm"))
    parser.add_argument("--mpirun", default="mpirun")
    parser.add_argument("--mnist", default=os.path.join(here, "..", "..", "shared", "data", "mnist"))
    parser.add_argument("--L", default="22,24")
    parser.add_argument("--ranks", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
    cores = os.cpu_count()
    date = datetime.datetime.utcnow().strftime("%Y-%m-%dT%H:%M:%SZ")
    machine = "%d cores, %s" % (cores, platform.processor() or platform.machine())
    with tempfile.TemporaryDirectory() as scratch:
        for L in [int(x) for x in args.L.split(",")]:
            model = os.path.join(scratch, "l%d.safetensors" % L)
            run([args.rbm, "train", "--data", "mnist:%s:train:limit=2000" % args.mnist,
                 "--hidden", str(L), "--epochs", "1", "--backend", "cpu", "--quiet",
                 "--out", model, "--json"], env)
            logz = [args.rbm, "logz", "--model", model, "--backend", "cpu", "--json"]
            setups = [("1 rank, 1 thread", 1, 1, logz + ["--threads", "1"]),
                      ("1 rank, %d threads" % cores, 1, cores, logz + ["--threads", str(cores)])]
            for ranks in range(2, args.ranks + 1):
                setups.append(("%d ranks, 1 thread each" % ranks, ranks, 1,
                               [args.mpirun, "--oversubscribe", "--bind-to", "core", "-np",
                                str(ranks)] + logz + ["--threads", "1"]))
            first = None
            for repeat in range(args.repeat):
                for name, ranks, threads, command in setups:
                    record, wall, cpu = run(command, env)
                    if first is None:
                        first = record["log_z"]
                    elif record["log_z"] != first:
                        sys.exit("log Z differs: %r vs %r (%s)" % (record["log_z"], first, name))
                    print(json.dumps({
                        "task": "mpi_logz", "setup": name, "D": 784, "L": L, "ranks": ranks,
                        "threads_per_rank": threads, "repeat": repeat,
                        "seconds": record["seconds"], "wall": wall, "cpu_seconds": cpu,
                        "pairs": record["pairs"], "pairs_per_s": record["pairs"] / record["seconds"],
                        "log_z": record["log_z"], "machine": machine, "date": date}), flush=True)


if __name__ == "__main__":
    main()
