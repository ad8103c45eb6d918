"""The installed package: type stubs generated at build time, the py.typed marker, the public
names and the version."""
import pathlib

import rbm


def test_stubs_and_marker_are_installed():
    package = pathlib.Path(rbm.__file__).parent
    assert (package / "py.typed").exists()
    stub = (package / "_rbm.pyi").read_text()
    for name in ("class Engine", "class Model", "class TrainConfig", "def load_dataset",
                 "def write_image_grid", "def train"):
        assert name in stub, name


def test_public_names():
    assert set(rbm.__all__) <= set(dir(rbm)) | {"BernoulliRBM"}
    assert rbm.__version__.count(".") == 2
