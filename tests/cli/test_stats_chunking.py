"""``gradproof stats``: the numbers do not depend on ``--chunk-size`` (issue 21, item 5)."""

import json

import numpy as np
import pytest

from gradproof.reports import main


@pytest.fixture
def csv_file(tmp_path):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(700, 3)) * [2.0, 1.0, 30.0] + [5.0, 0.0, 100.0]
    y = ((X - X.mean(0)) @ [1.0, -2.0, 0.05] + 2 * rng.normal(size=700) > 0).astype(int)
    path = tmp_path / "my.csv"
    np.savetxt(path, np.c_[X, y], delimiter=",", header="a,b,c,y", comments="", fmt=["%.6f"] * 3 + ["%d"])
    np.savetxt(tmp_path / "w.csv", [[0.5, -1.0, 0.01, 0.2]], delimiter=",")
    return path


@pytest.mark.parametrize("weights", [False, True])
def test_stats_are_the_same_for_every_chunk_size(csv_file, capsys, weights):
    extra = ["--weights", str(csv_file.parent / "w.csv")] if weights else []
    printed = []
    for size in ("1", "37", "100", "65536"):
        assert main(["stats", "--data", str(csv_file), "--label", "y", "--chunk-size", size, "--json", *extra]) == 0
        report = json.loads(capsys.readouterr().out)
        assert report.pop("chunk_size") == int(size)
        printed.append(report)
    assert 0 < printed[0]["wrong_count"] < 700
    assert all(p == printed[0] for p in printed[1:]), [(p["wrong_count"], p["noise_scale"]) for p in printed]
