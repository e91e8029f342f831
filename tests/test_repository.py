"""Rules of the repository that a change could silently break, checked at every depth.

The layout (DESIGN.md has the picture): the folders ``symbolic/``, ``numeric/`` and ``reports/``
are installed as ``gradproof.symbolic``, ``gradproof.numeric`` and ``gradproof.reports``; each is
split into sub-packages, private (``_proof``, ``_gru``, ...) or public (``symbolic.printing``),
each behind the facade of its ``__init__.py``.

- **One way.** ``symbolic`` imports neither ``numeric`` nor ``reports`` (nor torch, numpy,
  matplotlib); ``numeric`` does not import ``reports`` (nor matplotlib).  Nothing imports the
  bare top-level names ``symbolic``, ``numeric`` or ``reports``: it is ``gradproof.X``.
- **Facades are the only way in.**  A module may import a private name (a module or any
  ``_name``) only from a package it lives in: the private children of its own package and of
  each package above it are visible, nothing below a sibling's facade is.  So
  ``numeric/_statistics/_batch.py`` may use ``numeric._gru`` (a sibling sub-package, through its
  facade) but not ``numeric._gru._bptt``.  ``tests/P/`` (white-box tests of P; ``tests/cli/``
  counts as ``reports``) may use any private part of P and none of another package;
  ``tests/`` itself and ``benchmarks/`` use public names only.
- **No import circle at any level**, function-level imports included: neither between modules,
  nor between the sub-packages of any package (one module of ``_a`` importing ``_b`` and one of
  ``_b`` importing ``_a`` is a circle of ``_a`` and ``_b``).
"""

from __future__ import annotations

import ast
import re
import subprocess
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PARTS = ("symbolic", "numeric", "reports")
FOLDERS = {"gradproof": ROOT / "gradproof", **{part: ROOT / part for part in PARTS}}

FORBIDDEN = {
    "symbolic": {"gradproof.numeric", "gradproof.reports", "torch", "matplotlib", "numpy"},
    "numeric": {"gradproof.reports", "matplotlib"},
}


def module_name(path: Path) -> tuple[str, ...]:
    """The installed name of a source file: ``numeric/_gru/_bptt.py`` -> gradproof.numeric._gru._bptt."""
    for top, folder in FOLDERS.items():
        if path.is_relative_to(folder):
            inner = path.relative_to(folder).with_suffix("").parts
            parts = ("gradproof",) + (() if top == "gradproof" else (top,)) + inner
            return parts[:-1] if parts[-1] == "__init__" else parts
    raise ValueError(f"{path} is not part of the package")


def package_of(path: Path) -> tuple[str, ...]:
    name = module_name(path)
    return name if path.name == "__init__.py" else name[:-1]


def sources() -> list[Path]:
    return sorted(p for folder in FOLDERS.values() for p in folder.rglob("*.py") if "__pycache__" not in p.parts)


def imports(path: Path, source: str | None = None) -> list[tuple[tuple[str, ...], list[str], int]]:
    """(module imported, names imported from it, line) for every import statement, function-level
    ones included; relative imports resolved against ``path``'s package (outside the package
    they are left as written)."""
    tree = ast.parse(path.read_text() if source is None else source)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(tuple(alias.name.split(".")), [], node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            names = [alias.name for alias in node.names]
            if node.level:
                base = package_of(path)[: len(package_of(path)) - node.level + 1]
                target = base + (tuple(node.module.split(".")) if node.module else ())
            else:
                target = tuple(node.module.split("."))
            found.append((target, names, node.lineno))
    return found


def accessed(target: tuple[str, ...], names: list[str]) -> list[tuple[str, ...]]:
    """What an import reaches: the module, and each private name taken from it."""
    return [target] + [target + (name,) for name in names if name.startswith("_") and name != "__version__"]


def is_private(part: str) -> bool:
    return part.startswith("_") and not (part.startswith("__") and part.endswith("__"))


def facade_offence(importer: tuple[str, ...], reached: tuple[str, ...]) -> bool:
    """True when ``reached`` lies below the facade of a package that ``importer`` (a package path)
    is not inside: past the common prefix, only the first component may be private."""
    common = 0
    while common < min(len(importer), len(reached)) and importer[common] == reached[common]:
        common += 1
    return any(is_private(part) for part in reached[common + 1:])


# ---------------------------------------------------------------------------------------------
# the layout


def test_every_module_is_seen_at_every_depth():
    names = {module_name(p) for p in sources()}
    assert len(names) > 90, len(names)
    depths = {len(n) for n in names}
    assert {2, 3, 4} <= depths, depths  # facades, modules and sub-packages' modules all walked
    for part in PARTS:
        subpackages = [n for n in names if len(n) == 3 and n[1] == part and (FOLDERS[part] / n[2]).is_dir()]
        assert subpackages, f"{part} has no sub-packages"


def test_nothing_is_installed_as_a_top_level_part():
    pyproject = (ROOT / "pyproject.toml").read_text()
    for part in PARTS:
        assert f'"gradproof.{part}" = "{part}"' in pyproject
    listed = set(re.findall(r'"(gradproof[\w.]*)"', pyproject.split("packages = [", 1)[1].split("]", 1)[0]))
    on_disk = {".".join(module_name(p.parent / "__init__.py")) for p in sources() if p.name == "__init__.py"}
    assert listed == on_disk, f"pyproject's packages and the folders differ: {listed ^ on_disk}"


@pytest.mark.parametrize("part", list(FORBIDDEN))
def test_data_flows_one_way(part):
    offences = []
    for path in sorted(FOLDERS[part].rglob("*.py")):
        for target, _, line in imports(path):
            dotted = ".".join(target)
            if any(dotted == bad or dotted.startswith(bad + ".") for bad in FORBIDDEN[part]):
                offences.append(f"{path.relative_to(ROOT)}:{line} imports {dotted}")
    assert not offences, "\n".join(offences)


def _user_files() -> list[Path]:
    """Every Python file of the repository that git would keep (not build/, not a virtual environment)."""
    listed = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard", "*.py"],
                            cwd=ROOT, capture_output=True, text=True)
    if listed.returncode == 0:
        return sorted(ROOT / name for name in listed.stdout.split() if (ROOT / name).is_file())
    return sorted(p for p in ROOT.rglob("*.py") if not any(
        part.startswith(".") or part in ("__pycache__", "build", "dist") for part in p.relative_to(ROOT).parts))


def test_nothing_imports_a_bare_part_name():
    offences = []
    for path in _user_files():
        for target, _, line in imports(path):
            if target[0] in PARTS:
                offences.append(f"{path.relative_to(ROOT)}:{line} imports {'.'.join(target)}")
    assert not offences, "import gradproof.X, never X:\n" + "\n".join(offences)


# ---------------------------------------------------------------------------------------------
# facades


def _white_box(path: Path) -> tuple[str, ...] | None:
    """The package whose private parts a test file may use; None: public names only."""
    parts = path.relative_to(ROOT).parts
    if parts[0] == "tests" and len(parts) > 2:
        return ("gradproof", {"cli": "reports"}.get(parts[1], parts[1]))
    return None


def facade_offences(path: Path, source: str | None = None) -> list[str]:
    inside = path.is_relative_to(ROOT / "gradproof") or any(path.is_relative_to(FOLDERS[p]) for p in PARTS)
    found = []
    for target, names, line in imports(path, source):
        if target[0] != "gradproof":
            continue
        for reached in accessed(target, names):
            if inside:
                bad = facade_offence(package_of(path), reached)
            elif (box := _white_box(path)) is not None:
                bad = reached[:2] != box and any(is_private(part) for part in reached)
            else:
                bad = any(is_private(part) for part in reached)
            if bad:
                found.append(f"{path.relative_to(ROOT)}:{line} reaches {'.'.join(reached)}")
    return found


def test_the_facade_rule_sees_every_form_of_private_import():
    inside = FOLDERS["numeric"] / "_statistics" / "_batch.py"
    cases = {
        "from .._gru import gru_per_sample_grads\n": False,   # a sibling, through its facade
        "from .._gru._bptt import forward_layer\n": True,      # below the sibling's facade
        "from .._gru import _bptt\n": True,                    # a private module taken from a facade
        "from . import _kernel\n": False,                      # own package
        "from .._logreg import misclassified\n": False,        # a private module of the package above
        "from gradproof.symbolic import InputError\n": False,
        "from gradproof.symbolic._proof import evaluate\n": True,
        "import gradproof.symbolic._checker._parse\n": True,
        "from gradproof.symbolic import _proof\n": True,
        "from gradproof.symbolic.printing import typst\n": False,  # a public sub-namespace
        "def f():\n    from .._gru._shares import run_in_shares\n": True,  # function-level too
    }
    for source, bad in cases.items():
        assert bool(facade_offences(inside, source)) is bad, source
    test_file = ROOT / "tests" / "numeric" / "test_x.py"
    assert not facade_offences(test_file, "from gradproof.numeric._gru._bptt import cell_step\n")
    assert facade_offences(test_file, "from gradproof.symbolic._proof import evaluate\n")
    assert facade_offences(ROOT / "benchmarks" / "bench_x.py", "from gradproof.numeric._gru import x\n")
    assert not facade_offences(ROOT / "benchmarks" / "bench_x.py", "from gradproof import numeric\n")


def test_packages_are_entered_through_their_facades_only():
    offences = [o for path in _user_files() for o in facade_offences(path)]
    assert not offences, "private parts reached across a facade:\n" + "\n".join(offences)


# ---------------------------------------------------------------------------------------------
# circles


def module_graph() -> dict[tuple[str, ...], set[tuple[str, ...]]]:
    """Each module of the package and the modules of the package it imports (anywhere in it)."""
    modules = {module_name(p): p for p in sources()}
    graph: dict[tuple[str, ...], set[tuple[str, ...]]] = defaultdict(set)
    for name, path in modules.items():
        graph[name]
        for target, names, _ in imports(path):
            submodules = [target + (n,) for n in names if target + (n,) in modules]
            # ``from P import m`` of a submodule m imports m (P, its parent, is already on the way in)
            reached = submodules if submodules and len(submodules) == len(names) else [target, *submodules]
            graph[name] |= {r for r in reached if r in modules and r != name}
    return graph


def circles(graph: dict) -> list[list]:
    """The strongly connected components of more than one node (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in list(graph):
        if node not in index:
            visit(node)
    return found


def level_graphs(graph: dict) -> dict[tuple[str, ...], dict]:
    """For each package P: its children, with an edge a -> b when something inside a (not P's own
    facade) imports something inside b."""
    levels: dict[tuple[str, ...], dict] = defaultdict(lambda: defaultdict(set))
    for source, targets in graph.items():
        for target in targets:
            common = 0
            while common < min(len(source), len(target)) and source[common] == target[common]:
                common += 1
            if common < len(source) and common < len(target):
                levels[source[:common]][source[common]].add(target[common])
    return levels


def test_the_circle_finder_finds_circles():
    assert circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert circles({"a": {"b"}, "b": set()}) == []
    levels = level_graphs({("g", "p", "_a", "m"): {("g", "p", "_b", "n")}, ("g", "p", "_b", "n"): {("g", "p", "_a")}})
    assert circles(levels[("g", "p")]) == [["_a", "_b"]]


def test_no_import_circle_between_modules():
    found = circles(module_graph())
    assert not found, "\n".join(" -> ".join(".".join(m) for m in c) for c in found)


# the picture of docs/DESIGN.md: each package's parts from the top down; a part imports only parts drawn above it
ORDER = {
    ("gradproof",): ["_version", "symbolic", "numeric", "reports", "__main__"],
    ("gradproof", "symbolic"): ["_vocabulary", "printing", "_proof", "_catalog", "_checker", "_losses"],
    ("gradproof", "numeric"): ["_validation", "_devices", "_threads", "_logreg", "_losses", "_gru", "_statistics",
                               "_training", "_data", "_verification",
                               "testing", "data", "losses", "training", "runtime", "implementations"],
    ("gradproof", "reports"): ["_links", "_figure_data", "_experiments", "_figures", "_document", "_build", "_cli",
                               "__main__"],
}


def test_the_parts_import_each_other_in_the_order_of_the_picture():
    names = {module_name(p) for p in sources()}
    levels = level_graphs(module_graph())
    offences = []
    for package, order in ORDER.items():
        children = {n[len(package)] for n in names if len(n) > len(package) and n[:len(package)] == package}
        assert children == set(order), f"{'.'.join(package)}: the picture lists {set(order) ^ children} wrongly"
        for source, targets in levels[package].items():
            offences += [f"{'.'.join(package)}: {source} imports {target}, which the picture draws below it"
                         for target in targets if order.index(target) > order.index(source)]
    assert not offences, "\n".join(offences)


def test_no_import_circle_between_the_parts_of_any_package():
    graph = module_graph()
    levels = level_graphs(graph)
    assert ("gradproof", "numeric") in levels and ("gradproof", "reports") in levels
    offences = [f"{'.'.join(package)}: {' <-> '.join(c)}" for package, children in sorted(levels.items())
                for c in circles(children)]
    assert not offences, "\n".join(offences)


# ---------------------------------------------------------------------------------------------
# the README and CI


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
