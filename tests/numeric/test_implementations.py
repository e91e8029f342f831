"""One hop from a proof to its code: every derivation names the numeric functions that compute
its result (or says why none does), and those functions compute it."""

import pytest
import sympy as sp
import torch

from gradproof import numeric, symbolic


def test_every_derivation_is_implemented_or_says_why_not():
    names = set(symbolic.catalog())
    assert set(numeric.implementations.IMPLEMENTED_BY) | set(numeric.implementations.PROOF_ONLY) == names
    assert not set(numeric.implementations.IMPLEMENTED_BY) & set(numeric.implementations.PROOF_ONLY)
    for functions in numeric.implementations.IMPLEMENTED_BY.values():
        assert functions
        for function in functions:
            assert function.__name__ in numeric.__all__ and getattr(numeric, function.__name__) is function
    assert numeric.implementations.implemented_by("pos_weight_dL_dz")[0] == "numeric.logit_residual"
    assert numeric.implementations.implemented_by("logreg_hessian") == []


def _per_sample(values):
    """Per-sample gradients at logit z and feature x: X = [x, z - x], w = (1, 1), b = 0."""
    X = torch.stack([values["x"], values["z"] - values["x"]], dim=1)
    ones, zero = torch.ones(2, dtype=X.dtype), torch.zeros((), dtype=X.dtype)
    return numeric.logreg_per_sample_grads(X, values["y"], ones, zero)


CALLS = {
    "logreg.dL_dz": (numeric.logit_residual, lambda v: numeric.logit_residual(v["z"], v["y"])),
    "pos_weight.dL_dz": (numeric.logit_residual,
                         lambda v: numeric.logit_residual(v["z"], v["y"], pos_weight=v["pw"])),
    "logreg.dL_dw": (numeric.logreg_per_sample_grads, lambda v: _per_sample(v)[0][:, 0]),
    "logreg.dL_db": (numeric.logreg_per_sample_grads, lambda v: _per_sample(v)[1]),
    "mse_sigmoid.dL_dz": (numeric.mse_sigmoid_logit_grad, lambda v: numeric.mse_sigmoid_logit_grad(v["z"], v["y"])),
}


@pytest.mark.parametrize("target", list(CALLS))
def test_the_named_function_computes_the_derivations_result(target):
    """The derivation's right-hand side (the checker target's reference, lambdified) against
    the function IMPLEMENTED_BY names for it, at random points of the target's domain."""
    chosen = symbolic.targets()[target]
    function, call = CALLS[target]
    assert function in numeric.implementations.IMPLEMENTED_BY[chosen.derivation]
    gen = torch.Generator().manual_seed(0)
    values = {name: low + (high - low) * torch.rand(64, generator=gen, dtype=torch.float64)
              for name, (low, high) in chosen.domains.items()}
    values.setdefault("x", torch.randn(64, generator=gen, dtype=torch.float64))
    reference = sp.lambdify([chosen.variables[name] for name in chosen.domains], chosen.reference,
                            [{"sigmoid": torch.sigmoid}, "math"])
    want = reference(*(values[name] for name in chosen.domains)) * torch.ones(64, dtype=torch.float64)
    tol = numeric.testing.tolerance(torch.float64)
    torch.testing.assert_close(call(values), want, rtol=tol.rtol, atol=tol.atol)
