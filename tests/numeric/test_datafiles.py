"""Data files: memory bounded by bytes read, one error type, no command-line flags in the library."""

import re
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

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


def _read_both_ways(path, monkeypatch):
    """The chunks as read (numpy's parser where it applies) and as read field by field only."""
    def read():
        try:
            return [(X.tolist(), y.tolist()) for X, y in numeric.data.open_labelled_file(path, "label", 3).chunks()]
        except InputError as error:
            return f"InputError: {error}"
    fast = read()
    with monkeypatch.context() as patched:
        patched.setattr(datafiles, "_fast_block", lambda lines, fields: None)
        slow = read()
    return fast, slow


_CELL = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.floats(width=32).map(lambda v: f"{v:.9e}"),
    st.integers(-10**30, 10**30).map(str),
    st.sampled_from(["", " ", "1_0", "0x10", "1e400", "-1e-400", "nan", "inf", " 2.5 ", "+.5", "1.", "abc", "1,5",
                     '"3"', "1e", "٣", "1.5d3", "\t7"]),
)


@settings(max_examples=150, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(_CELL, _CELL, st.sampled_from(["0", "1", "2", "1.0", ""])), min_size=1, max_size=8),
       st.sampled_from(["\n", "\r\n"]))
def test_the_fast_csv_path_reads_exactly_what_the_csv_module_reads(tmp_path, monkeypatch, rows, newline):
    """numpy's C parser is used only where it gives the same numbers and the same errors as the csv
    module with float(): any cell, quoted or not, finite or not, any chunk boundary."""
    path = tmp_path / "cells.csv"
    path.write_text(newline.join(["a,b,label", *(",".join(row) for row in rows)]) + newline, newline="")
    fast, slow = _read_both_ways(path, monkeypatch)
    assert fast == slow


def test_a_clean_csv_takes_the_fast_path_and_reads_float_exactly(tmp_path, monkeypatch):
    rng = np.random.default_rng(1)
    X = rng.standard_normal((50, 4)) * 10.0 ** rng.integers(-300, 300, size=(50, 4))
    y = (rng.random(50) > 0.5).astype(float)
    path = tmp_path / "clean.csv"
    lines = (",".join(repr(float(v)) for v in row) + f",{int(t)}\n" for row, t in zip(X, y, strict=True))
    path.write_text("a,b,c,d,label\n" + "".join(lines))
    used = []
    fast_block = datafiles._fast_block
    monkeypatch.setattr(datafiles, "_fast_block",
                        lambda lines, fields: used.append(fast_block(lines, fields)) or used[-1])
    table = numeric.data.read_labelled_csv(path, "label")
    assert used and all(block is not None for block in used)
    np.testing.assert_array_equal(table.X, X)  # bit for bit: repr round-trips through both parsers
    np.testing.assert_array_equal(table.y, y)
