"""Every docstring example of the installed package runs, as the reader sees it (``gradproof.*`` names)."""

import doctest
import importlib
import pkgutil

import pytest

import gradproof

MODULES = sorted(
    info.name for info in pkgutil.walk_packages(
        [str(p) for p in gradproof.__path__], prefix="gradproof.", onerror=lambda name: None)
    if not info.name.endswith("__main__"))
# the parts are mapped from the repository's top-level folders: walk each of them too
for part in ("symbolic", "numeric", "reports"):
    module = importlib.import_module(f"gradproof.{part}")
    MODULES += sorted({f"gradproof.{part}"} | {
        info.name for info in pkgutil.walk_packages(module.__path__, prefix=f"gradproof.{part}.")
        if not info.name.endswith("__main__")})

WITH_EXAMPLES = [name for name in MODULES
                 if doctest.DocTestFinder().find(importlib.import_module(name), name, globs={})
                 and any(t.examples for t in doctest.DocTestFinder().find(importlib.import_module(name)))]


def test_the_examples_were_found():
    assert len(WITH_EXAMPLES) >= 10, WITH_EXAMPLES


@pytest.mark.parametrize("name", WITH_EXAMPLES)
def test_docstring_examples_run(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE, verbose=False)
    assert result.attempted > 0
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples of {name} failed (output above)"
