"""Rules of the repository that a change could silently break."""

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

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


@pytest.mark.parametrize("index", range(3))
def test_readme_python_examples_run(index):
    blocks = re.findall(r"```python\n(.+?)```", (ROOT / "README.md").read_text(), re.S)
    assert len(blocks) == 3
    exec(compile(blocks[index], f"README.md python block {index}", "exec"), {})
