"""Ctrl-C (SIGINT) during training: a subprocess fitting for a long time is interrupted after a
few epochs; fit raises KeyboardInterrupt between epochs, the estimator keeps the model of the
epochs done, and the engine goes on working."""
import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

pytest.importorskip("sklearn")

SCRIPT = textwrap.dedent("""
    import signal
    import sys
    import numpy as np
    import rbm

    # Python keeps SIGINT ignored when its parent ignored it (a job started in the background by
    # a non-interactive shell, as some CI runners do); a user at a terminal has Ctrl-C.
    signal.signal(signal.SIGINT, signal.default_int_handler)

    X = np.random.default_rng(0).random((3000, 64)) < 0.3
    estimator = rbm.BernoulliRBM(n_components=64, n_iter=1000000, random_state=0, backend="cpu",
                                 verbose=1)
    try:
        estimator.fit(X)
    except KeyboardInterrupt:
        print("interrupted", estimator.components_.shape, estimator._checkpoint.epochs_done,
              flush=True)
        print("transform", estimator.transform(X[:5]).shape, flush=True)
        estimator.partial_fit(X)
        print("partial_fit", estimator._checkpoint.epochs_done, flush=True)
        rbm.BernoulliRBM(n_components=8, n_iter=2, backend="cpu").fit(X)
        print("ok", flush=True)
        sys.exit(0)
    sys.exit(3)
""")


def test_ctrl_c_stops_fit_between_epochs_and_keeps_the_model():
    process = subprocess.Popen([sys.executable, "-c", SCRIPT], stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    lines = []
    try:
        for line in process.stdout:
            lines.append(line)
            if "Iteration 3," in line:
                process.send_signal(signal.SIGINT)
                break
        lines += process.communicate(timeout=120)[0].splitlines(keepends=True)
    finally:
        process.kill()
    output = "".join(lines)
    assert process.returncode == 0, output
    interrupted = next(l for l in lines if l.startswith("interrupted")).split()
    assert interrupted[1:3] == ["(64,", "64)"], output
    done = int(interrupted[3])
    assert done >= 3, output
    assert "transform (5, 64)" in output
    assert f"partial_fit {done + 1}" in output
    assert "ok" in output.splitlines()
