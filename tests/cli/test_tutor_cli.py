"""Issue 22 at the command line: check --json and derive --json with their documented keys, and
derive as a worked solution (one index notation, rules as sentences, --ascii)."""

from __future__ import annotations

import json

import pytest

from gradproof.reports import main

CHECK_KEYS = {"status", "target", "formula", "read_as", "counterexample", "diagnosis", "exceptions", "reason",
              "fault"}


@pytest.mark.parametrize("formula, status, code", [("(sigmoid(z) - y)*x", "proved", 0),
                                                   ("(y - sigmoid(z))*x", "refuted", 1)])
def test_check_json_has_the_documented_keys(capsys, formula, status, code):
    assert main(["check", "--json", "logreg.dL_dw", formula]) == code
    found = json.loads(capsys.readouterr().out)
    assert set(found) == CHECK_KEYS
    assert found["status"] == status and found["formula"] == formula
    if status == "refuted":
        assert "sign error" in found["diagnosis"] and found["counterexample"]["expected"]
    else:
        assert found["counterexample"] is None and found["diagnosis"] is None


def test_derive_json_has_the_documented_keys(capsys):
    assert main(["derive", "bce_dL_dz", "--json"]) == 0
    found = json.loads(capsys.readouterr().out)
    keys = {"name", "title", "result", "steps", "ranges", "hypotheses", "facts", "verified", "step_status"}
    assert keys <= set(found)
    assert found["verified"] is True and all(s["status"] == "verified" for s in found["step_status"])
    assert {"before", "after", "rule"} == set(found["steps"][0])


def test_derive_reads_as_a_worked_solution(capsys):
    assert main(["derive", "batch_mean_gradient"]) == 0
    out = capsys.readouterr().out
    assert "Derivative(" not in out and "y[i]" not in out and "X[i, k]" not in out
    assert "σ(z_i) − y_i" in out and "X_ik" in out and "Σ_{i=0}^{B − 1}" in out
    assert "The derivative of a finite sum is the sum of the derivatives." in out
    assert main(["derive", "batch_mean_gradient", "--ascii"]) == 0
    plain = capsys.readouterr().out
    assert "sigma(z_i) - y_i" in plain and "σ" not in plain


def _readme_check_examples() -> list[tuple[list[str], list[str]]]:
    """Each '$ gradproof check TARGET "FORMULA"' of README's console block with the lines shown under it."""
    import shlex
    from pathlib import Path

    lines = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8").splitlines()
    examples = []
    for number, line in enumerate(lines):
        if not line.startswith("$ gradproof check ") or "--" in line.split("#")[0]:
            continue
        shown = []
        for after in lines[number + 1:]:
            if after.startswith("$") or after.startswith("```"):
                break
            shown.append(after)
        if shown:
            examples.append((shlex.split(line[2:].split("   #")[0])[1:], shown))
    return examples


@pytest.mark.parametrize("argv, shown", _readme_check_examples(), ids=lambda value: str(value)[:40])
def test_readme_shows_what_check_prints(capsys, argv, shown):
    """README's check examples are today's output (a line with '...' is matched up to and after it)."""
    main(argv)
    printed = capsys.readouterr().out.splitlines()
    assert len(printed) == len(shown), printed
    for got, want in zip(printed, shown):
        head, _, tail = want.partition("...")
        assert got.startswith(head) and got.endswith(tail) if "..." in want else got == want, (got, want)


def test_readme_has_check_examples():
    assert len(_readme_check_examples()) >= 3
