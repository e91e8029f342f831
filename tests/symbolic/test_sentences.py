"""Issue 22: every rule of the catalog and of a loss's derivations is a sentence from one table."""

from __future__ import annotations

from gradproof import symbolic
from gradproof.symbolic._catalog import SENTENCES


def test_every_catalog_rule_is_a_sentence_of_the_table():
    sentences = set(SENTENCES.values())
    for name, derivation in symbolic.catalog().items():
        for step in derivation.steps:
            assert step.rule in sentences, (name, step.rule)
            assert step.rule[0].isupper() and step.rule.endswith("."), step.rule


def test_a_loss_uses_the_same_sentences():
    sentences = set(SENTENCES.values())
    for derivation in symbolic.loss("focal").derivations[:3]:
        assert all(step.rule in sentences for step in derivation.steps), derivation.name
