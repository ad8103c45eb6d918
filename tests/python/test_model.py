"""rbm.Model: parameters as NumPy views, unit types, copies, pickling, model files."""
import json
import os
import pathlib
import pickle
import struct
import subprocess

import numpy as np
import pytest

import rbm
from conftest import random_model


def test_parameters_are_views_of_the_model():
    model = rbm.Model.zeros(4, 3)
    assert model.W.shape == (4, 3) and model.b.shape == (4,) and model.c.shape == (3,)
    assert model.W.dtype == np.float32
    model.W[1, 2] = 0.5
    model.c = [1, 2, 3]
    assert model.W[1, 2] == np.float32(0.5)
    np.testing.assert_array_equal(model.c, [1, 2, 3])
    W = model.W
    del model  # the view keeps the model alive
    assert W[1, 2] == np.float32(0.5)


def test_unit_types_are_names():
    model = rbm.Model.zeros(4, 3, hidden_type="potts")
    assert (model.visible_type, model.hidden_type) == ("bernoulli", "potts")
    model.visible_type = "spin"
    with pytest.raises(rbm.InvalidArgument):
        model.visible_type = "potts"
    with pytest.raises(rbm.InvalidArgument):
        model.hidden_type = "gaussian"


def test_copies_and_pickles_are_independent_and_equal():
    model = random_model(5, 3, hidden_type="spin")
    model.provenance = '{"made": "here"}'
    for other in (model.copy(), pickle.loads(pickle.dumps(model))):
        np.testing.assert_array_equal(other.W, model.W)
        np.testing.assert_array_equal(other.b, model.b)
        np.testing.assert_array_equal(other.c, model.c)
        assert other.hidden_type == "spin" and other.provenance == model.provenance
        other.W[0, 0] += 1
        assert other.W[0, 0] != model.W[0, 0]


def test_transposed_swaps_the_layers():
    model = random_model(5, 3)
    t = model.transposed()
    np.testing.assert_array_equal(t.W, model.W.T)
    np.testing.assert_array_equal(t.b, model.c)


def safetensors_header(path):
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        return json.loads(f.read(n))


def test_model_files_round_trip_in_the_library_format(tmp_path):
    model = random_model(6, 4)
    path = tmp_path / "m.safetensors"
    rbm.save_model(path, model)
    header = safetensors_header(path)
    assert header["weights"]["shape"] == [6, 4] and header["weights"]["dtype"] == "F32"
    assert header["__metadata__"]["format"] == "rbm"
    loaded = rbm.load_model(str(path))
    np.testing.assert_array_equal(loaded.W, model.W)
    rbm.save_model(path, [model, loaded])
    assert len(rbm.load_models(path)) == 2


@pytest.mark.skipif(not os.environ.get("RBM_CLI"), reason="RBM_CLI (the rbm command) not given")
def test_the_command_line_tool_reads_and_writes_the_same_files(tmp_path, engine):
    cli = os.environ["RBM_CLI"]
    trained = tmp_path / "cli.safetensors"
    subprocess.run([cli, "train", "--data", "bas:3", "--hidden", "4", "--epochs", "2",
                    "--batch", "5", "--backend", "cpu", "--quiet", "--out", str(trained)],
                   check=True, capture_output=True)
    model = rbm.load_model(trained)
    assert (model.n_visible, model.n_hidden) == (9, 4)
    mine = tmp_path / "python.safetensors"
    rbm.save_model(mine, model)
    out = subprocess.run([cli, "eval", "--model", str(mine), "--data", "bas:3", "--backend", "cpu",
                          "--json"], check=True, capture_output=True, text=True).stdout
    evaluated = json.loads(out.strip().splitlines()[-1])
    data = rbm.load_dataset("bas:3")
    expected = engine.mean_log_likelihood(model, data)
    assert evaluated["log_likelihood"] == pytest.approx(expected, abs=1e-9)


def test_save_tensors_writes_named_arrays(tmp_path):
    path = tmp_path / "features.safetensors"
    rbm.save_tensors(path, {"features": np.arange(6.0).reshape(2, 3), "ids": [1, 2]},
                     metadata={"made_by": "test"})
    header = safetensors_header(path)
    assert header["features"]["shape"] == [2, 3] and header["ids"]["dtype"] == "F32"
    assert header["__metadata__"]["made_by"] == "test"
    with pytest.raises(rbm.InvalidArgument, match="finite"):
        rbm.save_tensors(path, {"x": [np.nan]})
