"""``normalign plot-regions`` on a tiny trained network: the PNG and its exact class cells."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from normalign.cli import main
from normalign.numerics.experiments.plotting import class_cells, clip_polygon
from normalign.numerics.engine.regions import enumerate_partition, polygon_area


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> tuple[Path, Path, Path]:
    from normalign.numerics.maths.training import blobs, train_mlp

    d = tmp_path_factory.mktemp("plot")
    X, y = blobs(24, 3, seed=1)
    net = train_mlp(X, y, (6, 6), steps=300, seed=1)
    net.to_npz(d / "m.npz")
    np.save(d / "P.npy", X)
    np.save(d / "L.npy", y)
    return d / "m.npz", d / "P.npy", d / "L.npy"


@pytest.mark.theorem("PD")
def test_plot_regions_writes_png(trained, tmp_path: Path, capsys) -> None:
    model, P, L = trained
    out = tmp_path / "sub" / "r.png"
    assert main(["plot-regions", str(model), "--points", str(P), "--labels", str(L), "--out", str(out)]) == 0
    data = out.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000
    assert not [p for p in out.parent.iterdir() if p.name.startswith(".")]  # no temporary left behind


@pytest.mark.theorem("PD")
def test_plot_regions_slice_of_4d_model(tmp_path: Path) -> None:
    from normalign.numerics.engine.network import CPANetwork

    rng = np.random.default_rng(0)
    net = CPANetwork.from_arrays([rng.normal(size=(5, 4)), rng.normal(size=(2, 5))], [rng.normal(size=5), None])
    net.to_npz(tmp_path / "m4.npz")
    out = tmp_path / "s.png"
    assert main(["plot-regions", str(tmp_path / "m4.npz"), "--slice", "0,2", "--out", str(out)]) == 0
    assert out.exists()
    assert main(["plot-regions", str(tmp_path / "m4.npz"), "--out", str(out)]) == 2  # d = 4 needs --slice
    assert main(["plot-regions", str(tmp_path / "m4.npz"), "--slice", "0,9", "--out", str(out)]) == 2
    assert main(["plot-regions", str(tmp_path / "missing.npz")]) == 2


@pytest.mark.theorem("PD")
def test_class_cells_tile_the_box_and_match_forward(trained) -> None:
    from normalign.numerics.engine.network import CPANetwork

    net = CPANetwork.load(trained[0])
    part = enumerate_partition(net, [-3, -3], [3, 3])
    cells = class_cells(net, part)
    assert np.isclose(sum(polygon_area(V) for _, _, V in cells), 36.0, rtol=1e-9)
    for _, k, V in cells:  # the centroid of each class cell is predicted as that class
        c = V.mean(axis=0)
        assert int(np.argmax(net.forward(c[None])[0])) == k


@pytest.mark.theorem("PD")
def test_clip_polygon_square() -> None:
    sq = np.array([[0.0, 0], [1, 0], [1, 1], [0, 1]])
    half = clip_polygon(sq, np.array([1.0, 0.0]), 0.5)
    assert np.isclose(polygon_area(half), 0.5)


def _white_margins(png: Path) -> tuple[int, int, int, int]:
    """Rows / columns of pure white at the top, bottom, left and right of a PNG."""
    from matplotlib.image import imread

    img = imread(png)[..., :3]
    ink = np.any(img < 0.99, axis=2)
    rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    return int(rows[0]), int(ink.shape[0] - 1 - rows[-1]), int(cols[0]), int(ink.shape[1] - 1 - cols[-1])


@pytest.mark.theorem("PD")
def test_plot_regions_png_is_tight_with_labelled_axes(trained, tmp_path: Path) -> None:
    """Readable at a glance: no wasted white border (tight bounding box), axes labelled with units."""
    model, P, L = trained
    out = tmp_path / "r.png"
    assert main(["plot-regions", str(model), "--points", str(P), "--labels", str(L), "--out", str(out)]) == 0
    assert max(_white_margins(out)) <= 12


@pytest.mark.theorem("PD")
def test_partition_figure_legend_outside_the_data_and_names_every_class(trained) -> None:
    from normalign.numerics.engine.network import CPANetwork
    from normalign.numerics.experiments.plotting import partition_figure

    net = CPANetwork.load(trained[0])
    part = enumerate_partition(net, [-3, -3], [3, 3])
    fig = partition_figure(net, part, np.load(trained[1]), np.load(trained[2]), "t")
    fig.canvas.draw()
    ax = fig.axes[0]
    legend = ax.get_legend()
    r = fig.canvas.get_renderer()
    a_box, l_box = ax.get_window_extent(r), legend.get_window_extent(r)
    assert l_box.x0 >= a_box.x1  # to the right of the data area, not over it
    assert "input units" in ax.get_xlabel() and "input units" in ax.get_ylabel()
    texts = [t.get_text() for t in legend.get_texts()]
    classes = {k for _, k, _ in class_cells(net, part)}
    assert [t for t in texts if t.startswith("predicted class")] == [f"predicted class {k}" for k in sorted(classes)]
    assert "decision boundary" in texts


@pytest.mark.theorem("PD")
def test_class_cells_break_ties_as_argmax() -> None:
    """Where every unit is off and the output layer has no bias, both logits are 0 on the region: the
    region is class 0 (argmax), drawn once, and the class cells still tile the box exactly once."""
    from normalign.numerics.engine.network import CPANetwork
    from normalign.numerics.experiments.plotting import region_classes

    W0 = np.array([[1.0, 0.0], [0.0, 1.0]])
    for W1 in (np.array([[1.0, -1.0], [-1.0, 2.0]]), np.array([[1.0, -2.0]])):  # c = 2 and c = 1
        net = CPANetwork.from_arrays([W0, W1], [np.zeros(2), None])
        part = enumerate_partition(net, [-1, -1], [1, 1])
        cells = class_cells(net, part)
        assert np.isclose(sum(polygon_area(V) for _, _, V in cells), 4.0, rtol=1e-12)
        dead = int(part.locate(np.array([[-0.5, -0.5]]))[0])  # x < 0, y < 0: f = 0 there
        assert [k for i, k, _ in cells if i == dead] == [0] == [int(region_classes(net, part)[dead])]
