"""The time limits of the exact engine count CPU time, so a loaded machine decides the same."""

import time

import pytest

from gradproof.symbolic._proof._zero import TimeLimitError, time_limit


def _spin():
    while True:
        pass


def test_waiting_costs_no_budget():
    with time_limit(0.2):
        time.sleep(0.4)  # wall-clock time passes, CPU time does not: no interruption


def test_cpu_work_is_interrupted():
    start = time.process_time()
    with pytest.raises(TimeLimitError):
        with time_limit(0.1):
            _spin()
    assert time.process_time() - start < 1.0


def test_an_inner_limit_never_outlives_the_outer_one():
    start = time.process_time()
    with pytest.raises(TimeLimitError):
        with time_limit(0.1):
            with time_limit(30):
                _spin()
    assert time.process_time() - start < 1.0


def test_the_outer_limit_resumes_after_an_inner_one():
    start = time.process_time()
    with pytest.raises(TimeLimitError):
        with time_limit(0.3):
            with time_limit(0.05):
                pass
            _spin()
    assert 0.25 <= time.process_time() - start < 1.5


def _spin_for(cpu_seconds):
    end = time.process_time() + cpu_seconds
    while time.process_time() < end:
        pass


def test_an_expiry_that_is_swallowed_fires_again():
    """A finaliser drops an exception raised while it runs; the limit must not be lost with it."""
    start = time.process_time()
    with pytest.raises(TimeLimitError):
        with time_limit(0.1):
            try:
                _spin()
            except TimeLimitError:
                pass  # swallowed, as the interpreter does inside __del__
            _spin_for(3.0)
    assert time.process_time() - start < 1.5


def test_no_expiry_escapes_the_limit():
    for _ in range(20):
        with pytest.raises(TimeLimitError):
            with time_limit(0.01):
                _spin()
    _spin_for(0.5)  # a repeat still armed would interrupt this
