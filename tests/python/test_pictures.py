"""Pictures through Python: image grids always, plots when the library has PLplot."""
import struct

import numpy as np
import pytest

import rbm


def png_size(path):
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def test_image_grids_from_images_rows_and_filters(tmp_path):
    images = np.random.default_rng(0).random((6, 4, 5))
    rbm.write_image_grid(tmp_path / "a.png", images, columns=3, scale=2, padding=1)
    # 3 columns of 5 pixels ×2, 4 paddings; 2 rows of 4 ×2, 3 paddings.
    assert png_size(tmp_path / "a.png") == (3 * 10 + 4, 2 * 8 + 3)
    rbm.write_image_grid(tmp_path / "b.png", images.reshape(6, 20), image_shape=(4, 5), columns=3,
                         scale=2, padding=1)
    assert (tmp_path / "b.png").read_bytes() == (tmp_path / "a.png").read_bytes()
    model = rbm.Model(np.random.default_rng(1).normal(size=(16, 3)))
    rbm.write_image_grid(tmp_path / "w.png", model.W, pixel_major=True, pixel_scale="symmetric",
                         columns=3)
    assert png_size(tmp_path / "w.png") == (3 * 4 + 4, 4 + 2)  # square 4×4 images found


def test_image_grids_refuse_bad_input(tmp_path):
    with pytest.raises(rbm.InvalidArgument, match="not a square"):
        rbm.write_image_grid(tmp_path / "x.png", np.zeros((2, 10)))
    with pytest.raises(rbm.InvalidArgument, match="finite"):
        rbm.write_image_grid(tmp_path / "x.png", np.full((1, 2, 2), np.nan))
    with pytest.raises(rbm.InvalidArgument, match="pixel_scale"):
        rbm.write_image_grid(tmp_path / "x.png", np.zeros((1, 2, 2)), pixel_scale="log")


def test_plots(tmp_path):
    series = [rbm.Series([1, 2, 3], [0.5, 0.7, 0.8], "a", y_error=[0.1, 0.1, 0.05])]
    if not rbm.plots_available():
        with pytest.raises(rbm.NotBuilt):
            rbm.write_line_plot(tmp_path / "p.png", series)
        return
    rbm.write_line_plot(tmp_path / "p.png", series, title="t", log_x=True,
                        reference_lines=[rbm.ReferenceLine(0.9, "best")], width=400, height=300)
    assert png_size(tmp_path / "p.png") == (400, 300)
    rbm.write_bar_chart(tmp_path / "b.png", ["x", "y"], [rbm.BarSeries([1, 2], "s")])
    rbm.write_heatmap(tmp_path / "h.png", np.arange(6.0).reshape(2, 3), diverging=True)
    assert png_size(tmp_path / "h.png") == (800, 500)
