"""The fit used for a data set (standardise, then SGD) and its whole-data statistics."""

import numpy as np
import pytest
import torch

from gradproof import numeric
from gradproof.numeric._data._files import read_labelled_csv
from gradproof.numeric._data._fit import standardisation


def data(n=300, d=3, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(loc=[5.0, -3.0, 100.0][:d], scale=[2.0, 0.1, 30.0][:d], size=(n, d))
    y = ((X - X.mean(0)) @ rng.normal(size=d) + rng.normal(size=n) > 0).astype(float)
    return X, y


def chunked(X, y, size):
    return lambda: iter([(X[i:i + size], y[i:i + size]) for i in range(0, len(y), size)])


@pytest.mark.parametrize("size", [7, 64, 1000])
def test_standardisation_merges_chunks_exactly(size):
    X, y = data()
    scaling = standardisation(chunked(X, y, size))
    np.testing.assert_allclose(scaling.mean, X.mean(0), rtol=1e-12)
    np.testing.assert_allclose(scaling.scale, X.std(0, ddof=0), rtol=1e-12)
    Z = scaling.apply(X)
    np.testing.assert_allclose(Z.std(0), 1.0, rtol=1e-12)


def test_a_constant_feature_keeps_scale_one():
    X, y = data()
    X[:, 1] = 4.0
    assert standardisation(chunked(X, y, 50)).scale[1] == 1.0


def test_the_fit_reduces_the_loss_and_its_statistics_are_those_of_the_standardised_data():
    X, y = data()
    fit = numeric.data.fit_logreg(chunked(X, y, 1000), 3)
    Z, t = torch.from_numpy(fit.standardisation.apply(X)), torch.from_numpy(y)
    loss = torch.nn.functional.binary_cross_entropy_with_logits(Z @ fit.w + fit.b, t)
    assert float(loss) < 0.7 * np.log(2)
    stats = numeric.data.logreg_data_statistics(chunked(X, y, 64), fit)
    Gw, gb = numeric.logreg_per_sample_grads(Z, t, fit.w, fit.b)
    g = torch.cat([Gw, gb[:, None]], 1)
    G = g.mean(0)
    assert stats.trace_covariance == pytest.approx(float(((g - G) ** 2).sum(1).mean()), rel=1e-10)
    assert stats.noise_scale == pytest.approx(stats.trace_covariance / float(G @ G), rel=1e-12)
    wrong = (2 * t - 1) * (Z @ fit.w + fit.b) <= 0
    assert stats.wrong_count == int(wrong.sum())
    norms = g.norm(dim=1)
    assert stats.wrong_share == pytest.approx(float(norms[wrong].sum() / norms.sum()), rel=1e-10)


def test_one_chunk_is_fitted_the_same_however_it_was_read(tmp_path):
    X, y = data(200)
    np.savetxt(tmp_path / "d.csv", np.c_[X, y], delimiter=",", header="a,b,c,label", comments="")
    source = numeric.data.open_labelled_file(tmp_path / "d.csv", "label")
    table = read_labelled_csv(tmp_path / "d.csv", "label")
    from_file = numeric.data.fit_logreg(source.chunks, 3)
    in_memory = numeric.data.fit_logreg(lambda: iter([(table.X, table.y)]), 3)
    assert torch.equal(from_file.w, in_memory.w) and torch.equal(from_file.b, in_memory.b)


def test_single_thread_runs_on_one_thread_and_restores_the_count():
    before = torch.get_num_threads()
    with numeric.runtime.single_thread():
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == before
    with pytest.raises(KeyboardInterrupt), numeric.runtime.single_thread():
        raise KeyboardInterrupt
    assert torch.get_num_threads() == before


def _write(tmp_path, X, y, kind):
    if kind == "npy":
        np.save(tmp_path / "d.npy", np.c_[X, y])
        return tmp_path / "d.npy", None
    np.savetxt(tmp_path / "d.csv", np.c_[X, y], delimiter=",", header="a,b,c,label", comments="", fmt="%.17g")
    return tmp_path / "d.csv", "label"


@pytest.mark.parametrize("window_bytes", [None, 8 * 4 * 64 * 3])  # the default: one window; 192 rows: six windows
@pytest.mark.parametrize("kind", ["csv", "npy"])
def test_the_fit_and_the_statistics_do_not_depend_on_the_chunk_size(tmp_path, monkeypatch, window_bytes, kind):
    from gradproof.numeric._data import _streaming

    if window_bytes is not None:
        monkeypatch.setattr(_streaming, "WINDOW_BYTES", window_bytes)
    assert _streaming.window_rows(3) == (192 if window_bytes else 131072)
    X, y = data(1000)
    path, label = _write(tmp_path, X, y, kind)
    results = []
    for size in (1, 7, 64, 100, 1000, 65536):
        source = numeric.data.open_labelled_file(path, label, size)
        fit = numeric.data.fit_logreg(source.chunks, 3)
        given = numeric.data.stream_logreg_moments(source.chunks(), fit.w, fit.b).statistics()
        results.append((fit.w.tolist(), float(fit.b), fit.standardisation.mean.tolist(),
                        numeric.data.logreg_data_statistics(source.chunks, fit).as_dict(), given.as_dict()))
    assert all(r == results[0] for r in results[1:])  # bit for bit, not to rounding
    in_memory = numeric.data.fit_logreg(lambda: iter([(X, y)]), 3)
    assert (in_memory.w.tolist(), float(in_memory.b)) == results[0][:2]


def test_windows_cut_any_chunks_into_the_same_blocks():
    from gradproof.numeric._data._fit import BATCH_SIZE
    from gradproof.numeric._data._streaming import BATCH_MULTIPLE, window_rows, windows

    assert BATCH_MULTIPLE % BATCH_SIZE == 0 and window_rows(3) % BATCH_SIZE == 0 and window_rows(10**9) == 64
    X, y = data(100)
    for size in (1, 3, 10, 100, 500):
        blocks = list(windows(chunked(X, y, size)(), 30))
        assert [len(b[1]) for b in blocks] == [30, 30, 30, 10]
        np.testing.assert_array_equal(np.concatenate([b[0] for b in blocks]), X)
