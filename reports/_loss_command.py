"""``gradproof loss LOSS``: derive a binary loss's gradients, state its margin properties, and verify
the torch code generated from the proof against three witnesses."""

from __future__ import annotations

import json

__all__ = ["run_loss"]


def _derivation_report(derivation) -> dict:
    checks = derivation.step_checks()
    facts = [fact.holds() for fact in derivation.facts]
    verified = derivation.chain_is_linked() and all(checks) and all(facts)
    return {"name": derivation.name, "verified": verified,
            "steps": ["proved" if ok else "undecided" for ok in checks],
            "facts": ["proved" if ok else "undecided" for ok in facts]}


def run_loss(args) -> int:
    import sympy as sp

    import numeric
    import symbolic

    from . import _tables
    from ._kit import derivation_latex

    loss = symbolic.loss(args.loss)
    derivations = loss.derivations
    verdicts = [_derivation_report(d) for d in derivations]
    results = numeric.loss_checks(loss)
    rewrites = numeric.stable_rewrites(loss.grad)
    failed = not all(r.passed for r in results)
    undecided = loss.undecided or not all(v["verified"] for v in verdicts)
    if args.json:
        print(json.dumps({**loss.as_dict(), "derivations": verdicts, "stable_rewrites": rewrites,
                          "verification": [r.as_dict() for r in results]}, indent=2))
    else:
        formula = (f"\\[ L(z, y) = {symbolic.latex(loss.expression)} \\]" if args.latex
                   else f"L(z, y) = {sp.sstr(loss.expression)}")
        print(f"{loss.name}: {loss.title}\n  source: {loss.source}\n\n{formula}\n")
        for d, v in zip(derivations, verdicts):
            print(derivation_latex(d) if args.latex else d.text())
            bad = [i + 1 for i, status in enumerate(v["steps"]) if status != "proved"]
            print("  verified: yes, every step re-checked by SymPy\n" if v["verified"] else
                  f"  verified: undecided (steps {bad} or a fact not confirmed)\n")
        for note in loss.undecided:
            print(f"undecided: {note}")
        print("margin properties (hard labels, m = (2y - 1) z):")
        for verdict in loss.margin_profile():
            print(verdict.text())
        print("\ngenerated torch code: stable rewrites " + ("; ".join(rewrites) if rewrites else "none needed"))
        print(_tables.verification_table(results))
    return 1 if failed else 3 if undecided else 0
