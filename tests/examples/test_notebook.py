"""The student notebook runs top to bottom with the installed toolkit, so it never goes stale."""

from __future__ import annotations

from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat", reason="nbformat is a dev dependency: pip install -e '.[dev]'")
nbclient = pytest.importorskip("nbclient", reason="nbclient is a dev dependency: pip install -e '.[dev]'")

NOTEBOOK = Path(__file__).resolve().parents[2] / "examples" / "why-one-scalar.ipynb"


@pytest.fixture(scope="module")
def executed():
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(notebook)
    # An error in any cell raises CellExecutionError, naming the cell and the traceback.
    nbclient.NotebookClient(notebook, timeout=300, kernel_name="python3", allow_errors=False,
                            resources={"metadata": {"path": str(NOTEBOOK.parent)}}).execute()
    return notebook


def _text(cell) -> str:
    return "".join(out.get("text", "") or out.get("data", {}).get("text/plain", "") for out in cell.outputs)


def test_the_notebook_runs_and_every_code_cell_shows_something(executed):
    code = [cell for cell in executed.cells if cell.cell_type == "code"]
    assert len(code) >= 6
    silent = [i for i, cell in enumerate(code) if i > 0 and not _text(cell).strip()]
    assert not silent, f"code cells {silent} print nothing"


def test_the_notebook_walks_the_lesson(executed):
    shown = "\n".join(_text(cell) for cell in executed.cells if cell.cell_type == "code")
    assert "sample 0 (right)" in shown and "sample 1 (wrong)" in shown
    assert "proved | refuted" in shown
    assert "mean of per-sample gradients == batch gradient" in shown
    assert "B_simple" in shown


def test_the_stored_notebook_carries_no_outputs():
    """Kept clean in the repository: its outputs come from running it, never from a stored run."""
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    assert all(not cell.get("outputs") for cell in notebook.cells if cell.cell_type == "code")
