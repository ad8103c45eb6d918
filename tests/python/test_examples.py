"""The Python examples run end to end in their --quick mode and write their pictures and
numbers (MNIST when ../shared/data has it, else scikit-learn's digits)."""
import json
import os
import struct
import subprocess
import sys

import pytest

from conftest import DATA_DIR, REPO

pytest.importorskip("sklearn")


def run(script, out):
    # One BLAS thread: see conftest._one_blas_thread.
    env = dict(os.environ, RBM_DATA_DIR=str(DATA_DIR), RBM_BACKEND="cpu", OPENBLAS_NUM_THREADS="1")
    result = subprocess.run([sys.executable, str(REPO / "examples/python" / script), "--quick",
                             "--out", str(out)], capture_output=True, text=True, env=env,
                            timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def png_size(path):
    """(width, height) from a PNG's IHDR chunk, after checking the signature."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR", path
    return struct.unpack(">II", data[16:24])


def test_digits_example(tmp_path):
    output = run("digits.py", tmp_path)
    for name in ("filters.png", "reconstructions.png", "denoising.png"):
        width, height = png_size(tmp_path / name)
        assert width > 100 and height > 40
    noisy, denoised = (float(x.split()[-1].rstrip(",")) for x in
                       output.split("Hamming error:")[1].split("\n")[0].split(","))
    assert denoised < noisy  # the model removes part of the noise


def test_features_example(tmp_path):
    output = run("features.py", tmp_path)
    lines = [json.loads(l) for l in (tmp_path / "learning_curves.jsonl").read_text().splitlines()]
    assert len(lines) >= 3
    assert all(0.1 < l["raw_accuracy"] <= 1 and 0.1 < l["rbm_accuracy"] <= 1 for l in lines)
    if "no plot" not in output:
        assert png_size(tmp_path / "learning_curves.png")[0] > 200
