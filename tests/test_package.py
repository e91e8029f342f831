"""The installed package as a user meets it: one ``gradproof`` namespace, a version, typed."""

import importlib.metadata
import subprocess
import sys
from pathlib import Path

import pytest

import gradproof
from gradproof.reports import main


def test_version_is_the_distribution_version(capsys):
    assert gradproof.__version__ == importlib.metadata.version("gradproof")
    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out.strip() == f"gradproof {gradproof.__version__}"


def test_import_gradproof_is_cheap_and_its_parts_load_on_use():
    code = ("import sys, gradproof; before = {'sympy', 'torch'} & set(sys.modules); "
            "numeric = gradproof.numeric; print(sorted(before), 'torch' in sys.modules, numeric.__name__)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["[]", "True", "gradproof.numeric"]
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        gradproof.nothing  # noqa: B018


@pytest.mark.parametrize("name", ["symbolic", "numeric", "reports"])
def test_no_top_level_part_is_installed(name, tmp_path):
    """From another directory, only gradproof.X exists: a user's own reports/ or numeric.py cannot
    be shadowed by gradproof, nor shadow it."""
    (tmp_path / f"{name}.py").write_text("MINE = True\n")
    code = f"import {name}, gradproof.{name} as part; print({name}.MINE, part.__name__)"
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["True", f"gradproof.{name}"]


def test_typed():
    assert (Path(gradproof.__file__).parent / "py.typed").is_file()


def test_python_m_gradproof_runs_the_cli():
    out = subprocess.run([sys.executable, "-m", "gradproof", "--version"], capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.strip() == f"gradproof {gradproof.__version__}"


ROOT = Path(__file__).resolve().parents[1]


def _build(kind: str, out: Path) -> Path:
    """setuptools' own PEP 517 hook, run in the repository: no network, no isolated environment."""
    code = f"from setuptools import build_meta; print(build_meta.build_{kind}({str(out)!r}))"
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    return out / done.stdout.strip().splitlines()[-1]


def test_the_sdist_carries_what_the_tests_and_the_readme_need(tmp_path):
    import tarfile

    with tarfile.open(_build("sdist", tmp_path)) as archive:
        names = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    tracked = subprocess.run(["git", "ls-files", "tests", "docs"], cwd=ROOT, capture_output=True, text=True)
    needed = set(tracked.stdout.split()) | {"README.md", "LICENSE", "CITATION.cff", "constraints-cpu.txt",
                                            "pyproject.toml", "reports/_document/gradproof.typ",
                                            "gradproof/py.typed"}
    assert tracked.returncode == 0 and len(needed) > 40
    assert needed <= names, f"missing from the sdist: {sorted(needed - names)}"


def test_the_wheel_installs_one_gradproof_namespace(tmp_path):
    import zipfile

    with zipfile.ZipFile(_build("wheel", tmp_path)) as wheel:
        names = wheel.namelist()
    tops = {name.split("/", 1)[0] for name in names}
    assert tops == {"gradproof", f"gradproof-{gradproof.__version__}.dist-info"}, tops
    assert {"gradproof/py.typed", "gradproof/symbolic/_proof/_zero.py", "gradproof/numeric/_gru/_bptt.py",
            "gradproof/reports/_document/gradproof.typ"} <= set(names)


def test_results_show_themselves_in_a_notebook():
    import torch

    from gradproof import numeric, symbolic

    loss = symbolic.loss("focal")
    X, y = torch.randn(20, 3, dtype=torch.float64), torch.rand(20, dtype=torch.float64)
    stats, _ = numeric.logreg_batch_statistics(X, y, torch.randn(3, dtype=torch.float64),
                                               torch.tensor(0.1, dtype=torch.float64))
    check = numeric.verify(dtypes=(torch.float64,))[0]
    verdict = symbolic.check("logreg.dL_dz", "sigmoid(z) - y + 1/2")
    shown = [symbolic.catalog()["bce_dL_dz"], verdict, loss, loss.margin_profile()[0], stats, check]
    for result in shown:
        text, page, maths = str(result), result._repr_html_(), result._repr_latex_()
        assert text and "object at 0x" not in text, type(result)
        assert page.startswith(("<pre", "<table")) and "<script" not in page, type(result)
        assert maths.startswith("$") and maths.endswith("$") and maths.count("{") == maths.count("}"), type(result)
    assert str(verdict).startswith("refuted: logreg.dL_dz") and "\\ne" in verdict._repr_latex_()
    assert "logreg.dL\\_dz" in verdict._repr_latex_()  # a name is text, escaped for LaTeX
    assert str(check).startswith(f"{check.status}: {check.name}")
    assert f"{stats.count}" in str(stats) and "B_simple" in str(stats)
    assert symbolic.printing.html_text("<b>&") == '<pre style="white-space: pre-wrap">&lt;b&gt;&amp;</pre>'
