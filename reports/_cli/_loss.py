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


def _import_numeric() -> None:
    from gradproof import numeric  # noqa: F401 - torch, the slow import, done while SymPy derives


def _numeric_part(loss) -> tuple[list[dict], str, list[str]]:
    """The checks as plain data (a CheckResult would import numeric, and torch, to be unpickled):
    their dicts, their table and the stable rewrites."""
    from gradproof import numeric

    from .._document import verification_table

    results = numeric.losses.loss_checks(loss)
    return [r.as_dict() for r in results], verification_table(results), numeric.losses.stable_rewrites(loss.grad)


def run_loss(args) -> int:
    import sympy as sp

    from gradproof import symbolic

    from .._document import derivation_latex
    from ._ahead import Ahead

    with Ahead(_import_numeric, _numeric_part) as numeric_part:  # torch imports in a child meanwhile
        loss = symbolic.loss(args.loss)
        numeric_part.submit(loss)
        derivations = loss.derivations
        verdicts = [_derivation_report(d) for d in derivations]
        checks, table, rewrites = numeric_part.result()
    failed = not all(check["passed"] for check in checks)
    undecided = loss.undecided or not all(v["verified"] for v in verdicts)
    if args.json:
        print(json.dumps({**loss.as_dict(), "derivations": verdicts, "stable_rewrites": rewrites,
                          "verification": checks}, indent=2))
    else:
        formula = (f"\\[ L(z, y) = {symbolic.printing.witnessed_latex(loss.expression)} \\]" if args.latex
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
        print(table)
    return 1 if failed else 3 if undecided else 0
