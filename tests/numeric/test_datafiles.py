"""Data files: memory bounded by bytes read, one error type, no command-line flags in the library."""

import re
from pathlib import Path

import numpy as np
import pytest
import torch

from gradproof import numeric
from gradproof.numeric import InputError
from gradproof.numeric._data import _files as datafiles


def test_csv_chunks_are_bounded_by_bytes_not_rows(tmp_path, monkeypatch):
    monkeypatch.setattr(datafiles, "CHUNK_BYTES", 10_000)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 200))
    y = (X[:, 0] > 0).astype(float)
    path = tmp_path / "wide.csv"
    np.savetxt(path, np.c_[X, y], delimiter=",", header=",".join([f"f{i}" for i in range(200)] + ["label"]),
               comments="", fmt="%.17g")
    line_bytes = len(path.read_text().splitlines()[1]) + 1
    chunks = list(numeric.data.open_labelled_file(path, "label").chunks())  # 65536 rows per chunk asked for
    assert max(len(c[1]) for c in chunks) <= 10_000 // line_bytes + 1 and len(chunks) > 1
    np.testing.assert_array_equal(np.concatenate([c[0] for c in chunks]), X)


def test_npy_chunks_are_bounded_by_bytes_not_rows(tmp_path, monkeypatch):
    monkeypatch.setattr(datafiles, "CHUNK_BYTES", 80_000)
    data = np.c_[np.ones((100, 999)), np.ones(100)]  # 1000 float64 columns: 8000 bytes a row
    np.save(tmp_path / "wide.npy", data)
    chunks = list(numeric.data.open_labelled_file(tmp_path / "wide.npy").chunks())
    assert [len(c[1]) for c in chunks] == [10] * 10


def test_a_line_longer_than_the_limit_is_refused_unread(tmp_path, monkeypatch):
    monkeypatch.setattr(datafiles, "MAX_LINE_BYTES", 1000)
    path = tmp_path / "long.csv"
    path.write_text("a,label\n" + "1," * 2000 + "0\n")
    with pytest.raises(InputError, match="a line is longer than 1000 characters"):
        list(numeric.data.open_labelled_file(path, "label").chunks())


def test_weights_are_read_with_a_size_bound(tmp_path):
    path = tmp_path / "w.csv"
    path.write_text("1," * 100_000 + "1\n")
    with pytest.raises(InputError, match="weights file .*: longer than"):
        numeric.data.load_weights(path, 2)


def test_the_library_names_its_arguments_not_command_line_flags():
    sources = sorted((Path(numeric.__file__).parent).glob("*.py"))
    flagged = [f"{p.name}: {m.group()}" for p in sources for m in re.finditer(r"[\"'(]--[a-z]", p.read_text())]
    assert flagged == []


def _gru_with_bad_X():
    numeric.gru_per_sample_grads(numeric.GRUClassifier(2, 3), torch.zeros(2, 3), torch.zeros(2))


@pytest.mark.parametrize("call", [
    lambda: numeric.logreg_grad(torch.zeros(2, 2), torch.zeros(2), torch.zeros(2), torch.zeros(()), reduction="avg"),
    lambda: numeric.logreg_per_sample_grads(torch.zeros(2, 2), torch.full((2,), 2.0), torch.zeros(2),
                                            torch.zeros(())),
    lambda: numeric.verify(device="tpu"),
    lambda: numeric.verify(seed=2**70),
    lambda: numeric.testing.tolerance(torch.int64),
    lambda: numeric.data.fit_logreg_streaming(lambda: iter(()), 2, epochs=0),
    lambda: numeric.data.stream_logreg_moments(iter(()), torch.zeros(2), torch.zeros(())),
    lambda: numeric.runtime.check_seed(-1),
    _gru_with_bad_X,
])
def test_bad_input_to_the_library_is_an_input_error(call):
    with pytest.raises(InputError):
        call()


def test_an_unknown_checker_target_is_an_input_error():
    from gradproof import symbolic

    with pytest.raises(symbolic.InputError, match="target: unknown target"):
        symbolic.check("nope", "x")
