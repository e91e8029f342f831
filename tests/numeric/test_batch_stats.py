"""Batch statistics: against explicit per-sample gradients, streaming, merging, all-reduce."""

import numpy as np
import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from hypothesis import given
from hypothesis import strategies as st

from gradproof import numeric
from gradproof.numeric._statistics import _batch as batch_stats


def problem(B=300, d=5, seed=0):
    g = torch.Generator().manual_seed(seed)
    X = torch.randn(B, d, generator=g, dtype=torch.float64)
    y = (torch.rand(B, generator=g, dtype=torch.float64) > 0.5).double()
    w = torch.randn(d, generator=g, dtype=torch.float64)
    b = torch.randn((), generator=g, dtype=torch.float64)
    return X, y, w, b


def explicit(X, y, w, b):
    """The reference: materialise every per-sample gradient and reduce with torch."""
    Gw, gb = numeric.logreg_per_sample_grads(X, y, w, b)
    g = torch.cat([Gw, gb[:, None]], 1)
    G = g.mean(0)
    trace = torch.cov(g.T, correction=0).trace()  # the covariance over the B samples, divided by B
    wrong = (2 * y - 1) * (X @ w + b) <= 0
    norms = torch.linalg.vector_norm(g, dim=1)
    cos = (g @ G) / (g.norm(dim=1) * G.norm())
    return g, G, trace, wrong, norms[wrong].sum() / norms.sum(), cos


@given(B=st.integers(2, 200), d=st.integers(1, 8), seed=st.integers(0, 1000), block=st.integers(1, 64))
def test_statistics_match_explicit_per_sample_gradients(B, d, seed, block):
    X, y, w, b = problem(B, d, seed)
    original = batch_stats.CACHE_ELEMENTS
    batch_stats.CACHE_ELEMENTS = block  # many small blocks: the merge path is exercised
    try:
        stats, cosines = numeric.logreg_batch_statistics(X, y, w, b)
    finally:
        batch_stats.CACHE_ELEMENTS = original
    g, G, trace, wrong, share, cos = explicit(X, y, w, b)
    torch.testing.assert_close(stats.mean_gradient, G)
    assert stats.trace_covariance == pytest.approx(float(trace), rel=1e-9, abs=1e-12)
    assert stats.noise_scale == pytest.approx(float(trace / (G @ G)), rel=1e-9)
    assert stats.wrong_count == int(wrong.sum())
    assert stats.wrong_fraction == int(wrong.sum()) / B
    assert stats.wrong_share == pytest.approx(float(share), rel=1e-9, abs=1e-15)
    torch.testing.assert_close(cosines, cos)
    norms = numeric.logreg_per_sample_norms(X, numeric.logit_residual(X @ w + b, y))
    torch.testing.assert_close(norms, g.norm(dim=1))


def test_explicit_per_sample_statistics_agree_with_closed_form():
    X, y, w, b = problem()
    g, G, trace, wrong, share, cos = explicit(X, y, w, b)
    stats, cosines = numeric.per_sample_batch_statistics(g, wrong)
    assert stats.trace_covariance == pytest.approx(float(trace), rel=1e-12)
    torch.testing.assert_close(cosines, cos)


def test_merging_chunks_equals_one_pass():
    X, y, w, b = problem(1000, 4)
    whole = numeric.logreg_moments(X, y, w, b)
    parts = [numeric.logreg_moments(X[i:i + 137], y[i:i + 137], w, b) for i in range(0, 1000, 137)]
    merged = parts[0]
    for part in parts[1:]:
        merged = merged.merge(part)
    assert merged.count == whole.count and merged.wrong_count == whole.wrong_count
    torch.testing.assert_close(merged.grad_sum, whole.grad_sum)
    assert merged.sq_norm_sum == pytest.approx(whole.sq_norm_sum, rel=1e-12)
    a, c = merged.statistics(), whole.statistics()
    assert a.noise_scale == pytest.approx(c.noise_scale, rel=1e-10)
    assert a.wrong_share == pytest.approx(c.wrong_share, rel=1e-10)


def test_moments_round_trip_through_a_flat_tensor():
    m = numeric.logreg_moments(*problem(50, 3))
    back = type(m).from_tensor(m.as_tensor())
    for name in ("count", "sq_norm_sum", "wrong_count", "norm_sum", "wrong_norm_sum"):
        assert getattr(back, name) == getattr(m, name), name
    torch.testing.assert_close(back.grad_sum, m.grad_sum)
    torch.testing.assert_close(back.wrong_grad_sum, m.wrong_grad_sum)


def _all_reduce_worker(rank, world, init_file, X, y, w, b, out):
    dist.init_process_group("gloo", init_method=f"file://{init_file}", rank=rank, world_size=world)
    half = X.shape[0] // world
    mine = slice(rank * half, (rank + 1) * half if rank < world - 1 else X.shape[0])
    flat = numeric.logreg_moments(X[mine], y[mine], w, b).as_tensor()
    dist.all_reduce(flat, op=dist.ReduceOp.SUM)
    if rank == 0:
        out.copy_(flat)
    dist.destroy_process_group()


def test_two_processes_all_reduce_to_the_single_pass_result(tmp_path):
    X, y, w, b = problem(400, 3)
    out = torch.zeros(numeric.GradientMoments.HEAD + 2 * 4, dtype=torch.float64).share_memory_()
    mp.spawn(_all_reduce_worker, args=(2, str(tmp_path / "init"), X, y, w, b, out), nprocs=2, join=True)
    reduced = numeric.GradientMoments.from_tensor(out).statistics()
    single = numeric.logreg_moments(X, y, w, b).statistics()
    assert reduced.count == 400
    assert reduced.noise_scale == pytest.approx(single.noise_scale, rel=1e-12)
    assert reduced.wrong_share == pytest.approx(single.wrong_share, rel=1e-12)


def test_streaming_a_file_equals_in_memory(tmp_path):
    X, y, w, b = problem(2500, 4, seed=3)
    np.save(tmp_path / "data.npy", np.c_[X.numpy(), y.numpy()])
    header = "a,b,c,d,label"
    np.savetxt(tmp_path / "data.csv", np.c_[X.numpy(), y.numpy()], delimiter=",", header=header, comments="")
    single = numeric.logreg_moments(X, y, w, b).statistics()
    for name, label in (("data.npy", None), ("data.csv", "label")):
        source = numeric.data.open_labelled_file(tmp_path / name, label, chunk_size=333)
        streamed = numeric.data.stream_logreg_moments(source.chunks(), w, b).statistics()
        assert streamed.count == 2500
        assert streamed.noise_scale == pytest.approx(single.noise_scale, rel=1e-10)
        torch.testing.assert_close(streamed.mean_gradient, single.mean_gradient)


def test_fitting_by_streaming_reduces_the_loss(tmp_path):
    X, y, _, _ = problem(800, 3, seed=5)
    y = ((X @ torch.tensor([1.0, -2.0, 0.5], dtype=torch.float64)) > 0).double()
    np.save(tmp_path / "d.npy", np.c_[X.numpy(), y.numpy()])
    source = numeric.data.open_labelled_file(tmp_path / "d.npy", chunk_size=100)
    w, b = numeric.data.fit_logreg_streaming(source.chunks, 3, epochs=2, batch_size=100)  # its own mini-batches
    loss = torch.nn.functional.binary_cross_entropy_with_logits(X @ w + b, y)
    assert float(loss) < 0.5 * np.log(2)  # half the loss at w = 0, b = 0


@pytest.mark.parametrize("content, message", [
    ("a,label\n1,0\n,1\n", "missing value in column 'a', row 3"),
    ("a,label\n1,0\nx,1\n", "column 'a' is not numeric"),
    ("a,label\n1,0\n2,2\n", "labels must be 0 or 1, found 2"),
    ("a,label\n1,0\n2\n", "row 3 has 1 fields"),
    ("a,label\n1,0\nnan,1\n", "missing or infinite value in column 'a'"),
])
def test_bad_csv_rows_are_named(tmp_path, content, message):
    path = tmp_path / "bad.csv"
    path.write_text(content)
    source = numeric.data.open_labelled_file(path, "label")
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        list(source.chunks())


def test_bad_files_and_weights(tmp_path):
    with pytest.raises(ValueError, match="no such file"):
        numeric.data.open_labelled_file(tmp_path / "none.csv")
    (tmp_path / "a.csv").write_text("a,b\n1,0\n")
    with pytest.raises(ValueError, match="label 'c': no such column"):
        numeric.data.open_labelled_file(tmp_path / "a.csv", "c")
    with pytest.raises(ValueError, match="chunk_size"):
        numeric.data.open_labelled_file(tmp_path / "a.csv", chunk_size=0)
    np.save(tmp_path / "w.npy", np.ones(3))
    with pytest.raises(ValueError, match="expected 4 weights and a bias"):
        numeric.data.load_weights(str(tmp_path / "w.npy"), 4)
    np.save(tmp_path / "bad.npy", np.ones(5))
    with pytest.raises(ValueError, match="expected a numeric 2-D array"):
        numeric.data.open_labelled_file(tmp_path / "bad.npy")


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("options", ["plain", "weight", "pos_weight"])
def test_the_one_pass_kernel_agrees_with_the_blocked_torch_pass(monkeypatch, dtype, options):
    from gradproof.numeric._statistics import _kernel

    if not _kernel.available():
        pytest.skip("numba is not installed")
    X, y, w, b = (t.to(dtype) for t in problem(3000, 7, seed=11))
    kw = {"weight": torch.rand(3000, dtype=dtype)} if options == "weight" else (
        {"pos_weight": torch.tensor([2.0], dtype=dtype)} if options == "pos_weight" else {})
    monkeypatch.setattr(batch_stats, "KERNEL_MIN_ELEMENTS", 1 << 40)
    blocked, blocked_cos = numeric.logreg_batch_statistics(X, y, w, b, **kw)
    monkeypatch.setattr(batch_stats, "KERNEL_MIN_ELEMENTS", 0)
    kernel, kernel_cos = numeric.logreg_batch_statistics(X, y, w, b, **kw)
    rel = numeric.testing.tolerance(dtype).rtol
    torch.testing.assert_close(kernel.mean_gradient, blocked.mean_gradient, rtol=rel, atol=rel)
    assert kernel.trace_covariance == pytest.approx(blocked.trace_covariance, rel=rel)
    assert kernel.wrong_count == blocked.wrong_count
    assert kernel.wrong_share == pytest.approx(blocked.wrong_share, rel=rel)
    torch.testing.assert_close(kernel_cos, blocked_cos, rtol=rel * 10, atol=rel * 10)


@pytest.mark.parametrize("bad", [float("inf"), float("-inf"), float("nan")])
def test_the_kernel_names_a_non_finite_row(monkeypatch, bad):
    from gradproof.numeric._statistics import _kernel

    if not _kernel.available():
        pytest.skip("numba is not installed")
    monkeypatch.setattr(batch_stats, "KERNEL_MIN_ELEMENTS", 0)
    X, y, w, b = problem(500, 4)
    X[123, 2] = bad
    with pytest.raises(ValueError, match="X: contains 1 NaN or infinite value.*row 123"):
        numeric.logreg_moments(X, y, w, b)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_the_kernel_residual_is_logit_residual_at_extreme_logits(monkeypatch, dtype):
    """The kernel compiles numeric's one residual formula; its r_i agree with
    numeric.logit_residual within the dtype's named tolerance for |z| up to 1e4."""
    from gradproof.numeric._statistics import _kernel

    if not _kernel.available():
        pytest.skip("numba is not installed")
    monkeypatch.setattr(batch_stats, "KERNEL_MIN_ELEMENTS", 0)
    z = torch.tensor([-1e4, -100.0, -50.0, -20.0, -3.0, 0.0, 3.0, 20.0, 50.0, 100.0, 1e4], dtype=dtype)
    X, w, b = z[:, None], torch.ones(1, dtype=dtype), torch.zeros((), dtype=dtype)
    options = {"weight": torch.linspace(0.5, 2.0, len(z), dtype=dtype),
               "pos_weight": torch.tensor([2.5], dtype=dtype)}
    tol = numeric.testing.tolerance(dtype)
    for y in (torch.tensor([1.0, 0.0] * 5 + [1.0], dtype=dtype), torch.linspace(0, 1, len(z), dtype=dtype)):
        for chosen in ({}, options):
            _, r, _ = batch_stats._logreg_pass(X, y, w, b, chosen.get("weight"), chosen.get("pos_weight"))
            want = numeric.logit_residual(z, y, **chosen)
            assert bool(numeric.testing.within_tolerance(r, want, tol.rtol, tol.atol).all()), (r, want)
            assert bool((r.abs() > 0).eq(want.abs() > 0).all())  # no underflow where torch keeps a value


def test_gru_batch_statistics_head_and_whole():
    torch.manual_seed(0)
    model = numeric.GRUClassifier(3, 5).double()
    X = torch.randn(20, 6, 3, dtype=torch.float64)
    y = (torch.rand(20, dtype=torch.float64) > 0.5).double()
    grads = numeric.gru_per_sample_grads(model, X, y)
    z, _, _ = numeric.gru_residuals(model, X, y)
    wrong = (2 * y - 1) * z <= 0
    head = torch.cat([grads["head.weight"][:, 0], grads["head.bias"]], dim=1)
    full = torch.cat([g.reshape(20, -1) for g in grads.values()], dim=1)
    for part, per_sample in (("head", head), ("all", full)):
        stats, cosines = numeric.gru_batch_statistics(model, X, y, part=part)
        G = per_sample.mean(0)
        rel = numeric.testing.tolerance(torch.float64).rtol
        trace = torch.cov(per_sample.T, correction=0).trace()
        norms = torch.linalg.vector_norm(per_sample, dim=1)
        assert stats.trace_covariance == pytest.approx(float(trace), rel=rel)
        assert stats.noise_scale == pytest.approx(float(trace / (G @ G)), rel=rel)
        assert stats.wrong_count == int(wrong.sum())
        assert stats.wrong_share == pytest.approx(float(norms[wrong].sum() / norms.sum()), rel=1e-10)
        assert cosines.shape == (20,)
    with pytest.raises(ValueError, match="part:"):
        numeric.gru_batch_statistics(model, X, y, part="gates")
