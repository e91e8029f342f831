"""``reports._ahead.Ahead``: work done in a forked child (gradproof loss imports torch there while
SymPy derives), with the same result, errors and output as the work done in order."""

import os
import subprocess
import sys
import time

import pytest

from gradproof import symbolic
from gradproof.reports import main
from gradproof.reports._cli import _ahead

PREPARED = []


def _prepare():
    PREPARED.append(os.getpid())


def _work(arg):
    return arg * 2, os.getpid(), list(PREPARED)


@pytest.fixture(params=[True, False], ids=["forked", "in order"])
def forking(request, monkeypatch):
    monkeypatch.setattr(_ahead, "can_fork", lambda: request.param)  # torch is imported here: the child uses none
    PREPARED.clear()
    return request.param


def test_the_result_comes_from_the_child_that_prepared(forking):
    with _ahead.Ahead(_prepare, _work) as ahead:
        ahead.submit(21)
        value, pid, prepared = ahead.result()
    assert value == 42 and prepared == [pid]
    assert (pid != os.getpid()) is forking and (PREPARED == []) is forking  # the child's import stays there


def test_an_error_in_the_work_is_raised_here_with_its_type(forking):
    def fail(arg):
        raise symbolic.InputError(f"loss: {arg} is bad")

    with _ahead.Ahead(_prepare, fail) as ahead:
        ahead.submit("x")
        with pytest.raises(symbolic.InputError, match="loss: x is bad"):
            ahead.result()


def test_an_error_while_preparing_is_raised_here(forking):
    def broken():
        raise ImportError("no module named torch")

    with _ahead.Ahead(broken, _work) as ahead:
        ahead.submit(1)
        with pytest.raises(ImportError, match="no module named torch"):
            ahead.result()


def test_leaving_before_the_result_stops_the_child(monkeypatch):
    monkeypatch.setattr(_ahead, "can_fork", lambda: True)
    with pytest.raises(symbolic.InputError):
        with _ahead.Ahead(lambda: time.sleep(60), _work) as ahead:
            child = ahead._pid
            raise symbolic.InputError("a bad loss, found before the work was submitted")
    with pytest.raises(ProcessLookupError):
        os.kill(child, 0)  # killed and reaped, not left running


def test_gradproof_loss_cold_prints_what_it_prints_in_order(capsys):
    script = ("import sys; from gradproof.reports import main; code = main(['loss', 'bce']); "
              "print('torch imported here:', 'torch' in sys.modules, file=sys.stderr); sys.exit(code)")
    cold = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}, timeout=300)
    assert cold.returncode == 0 and "torch imported here: False" in cold.stderr  # the child imported it
    assert main(["loss", "bce"]) == 0  # torch is imported in this process: no fork
    assert cold.stdout == capsys.readouterr().out and "4 of 4 checks passed" in cold.stdout
