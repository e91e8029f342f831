"""The stacked/bidirectional GRU derivations are in the catalog, and each fails when its result is
changed the way a plausible mistake would change it."""

from dataclasses import replace

import pytest
import sympy as sp

from gradproof import symbolic
from gradproof.symbolic._catalog import _gru_stack as stack
from gradproof.symbolic._catalog._gru_cell import H

NAMES = ["gru_layer_coupling", "gru_reverse_time", "gru_head_split", "gru_embedding_row",
         "sigmoid_bceloss_dL_dz"]


def test_in_the_catalog_and_printed():
    catalog = symbolic.catalog()
    assert set(NAMES) <= set(catalog)
    assert "sum over both directions" in catalog["gru_layer_coupling"].statement


def _with_last_step(d, wrong):
    steps = d.steps[:-1] + (replace(d.steps[-1], after=wrong),)
    return replace(d, steps=steps, result=sp.Eq(d.result.lhs, wrong, evaluate=False))


def _swap(expr, old: str, new: str):
    """``expr`` with the IndexedBase named ``old`` renamed ``new``."""
    bases = {b: sp.IndexedBase(new, real=True) for b in expr.atoms(sp.IndexedBase) if str(b) == old}
    assert bases, old
    return expr.xreplace(bases)


@pytest.mark.parametrize("name, mistake", [
    # the backward half of the head weights read as the forward half
    ("gru_head_split", lambda rhs: rhs.replace(lambda e: isinstance(e, sp.Indexed) and
                                                              str(e.base) == "v", lambda e: e.base[e.indices[0] - H])),
    # every step counted, whatever its token
    ("gru_embedding_row", lambda rhs: rhs.replace(lambda e: isinstance(e, sp.Indexed) and str(e.base) == "onehot",
                                                  lambda e: sp.S.One)),
    # the backward direction's recurrence with the forward direction's W_hz
    ("gru_reverse_time", lambda rhs: _swap(rhs, "W^b_hz", "W^f_hz")),
])
def test_a_wrong_result_does_not_verify(name, mistake):
    d = symbolic.catalog()[name]
    assert not _with_last_step(d, mistake(d.result.rhs)).verify()


def test_one_direction_is_not_the_coupling():
    d = stack.gru_layer_coupling()
    only_forward = d.result.rhs.replace(lambda e: isinstance(e, sp.Indexed) and str(e.base) == "g^b",
                                        lambda e: sp.S.Zero)
    assert not _with_last_step(d, only_forward).verify()


def test_the_bceloss_step_needs_the_clamp_inactive():
    d = stack.sigmoid_bceloss_dL_dz()
    first = d.steps[0]
    (clamp, _), = first.substitutions.items()
    active = replace(first, substitutions={clamp: sp.Rational(1, 10**12)})   # m = epsilon > s(1 - s)
    assert not active.holds()
