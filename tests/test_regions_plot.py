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
