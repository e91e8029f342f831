"""Rules of the repository that a change could silently break.

Facades are the only way in: a file may import a package's private modules (any ``_name``
below ``numeric``, ``symbolic`` or ``reports``: ``from numeric._x import``, ``import
symbolic._y``, ``from symbolic import _z``) only when it belongs to that package.  For
tests the rule is: ``tests/P/`` (white-box tests of package P) may use P's private modules,
``tests/cli/`` counts as ``reports`` (the CLI lives there), and ``tests/`` itself,
``benchmarks/`` and every other package use facades only.  Names imported from a facade
must be public too (``from numeric import _kernel`` is a private import).
"""

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("symbolic", "numeric", "reports")

FORBIDDEN = {
    "symbolic": {"numeric", "reports", "torch", "matplotlib", "numpy"},
    "numeric": {"reports", "matplotlib"},
}


def imported_top_level(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("package", list(FORBIDDEN))
def test_data_flows_one_way(package):
    for path in (ROOT / package).glob("*.py"):
        clash = imported_top_level(path) & FORBIDDEN[package]
        assert not clash, f"{path.name} imports {clash}"


def test_ci_runs_the_readme_test_command_verbatim():
    readme = (ROOT / "README.md").read_text()
    commands = re.findall(r"```bash\n(.+?)\n```", readme)
    test_command = next(c for c in commands if "pytest" in c)
    report_command = next(c for c in commands if "gradproof report" in c)
    assert test_command in (ROOT / ".ci/run").read_text().splitlines()
    assert "constraints-cpu.txt" in test_command and "constraints-cpu.txt" in report_command
    assert "torch==2.13.0" in (ROOT / "constraints-cpu.txt").read_text()


README_PYTHON = re.findall(r"```python\n(.+?)```", (ROOT / "README.md").read_text(), re.S)


@pytest.mark.parametrize("index", range(len(README_PYTHON)))
def test_readme_python_examples_run(index):
    assert len(README_PYTHON) >= 4
    exec(compile(README_PYTHON[index], f"README.md python block {index}", "exec"), {})


def _owner(path: Path) -> str | None:
    """The package whose private modules ``path`` may import (None: facades only)."""
    parts = path.relative_to(ROOT).parts
    if parts[0] in PACKAGES:
        return parts[0]
    if parts[0] == "tests" and len(parts) > 2:
        return {"cli": "reports"}.get(parts[1], parts[1])
    return None


def private_imports(source: str) -> set[tuple[str, str]]:
    """(package, dotted name) for every absolute import of a private part of one of PACKAGES."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            dotted = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            dotted = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names
                                      if alias.name.startswith("_")]
        else:
            continue
        for name in dotted:
            package, *rest = name.split(".")
            if package in PACKAGES and any(part.startswith("_") for part in rest):
                found.add((package, name))
    return found


def test_the_rule_sees_every_form_of_private_import():
    source = ("import numeric._kernel\nfrom symbolic._linear import x\nfrom symbolic import _gru_cell\n"
              "import numeric\nfrom symbolic import catalog\nfrom . import _kernel\nimport os._x\n")
    assert {name for _, name in private_imports(source)} == {
        "numeric._kernel", "symbolic._linear", "symbolic._gru_cell"}


def test_packages_are_entered_through_their_facades_only():
    offences = []
    for path in sorted(ROOT.rglob("*.py")):
        if any(part.startswith(".") for part in path.relative_to(ROOT).parts):
            continue
        owner = _owner(path)
        for package, name in sorted(private_imports(path.read_text())):
            if package != owner:
                offences.append(f"{path.relative_to(ROOT)} imports {name}")
    assert not offences, "private modules of another package:\n" + "\n".join(offences)
