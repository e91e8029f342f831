"""The output directory: only what gradproof wrote is replaced; stages never outlive their run."""

import errno
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from gradproof.reports._build._output import MARKER, Terminated, remove_stale_stages, staged_output
from gradproof.reports._build._worker import Background
from gradproof.symbolic import InputError

PRODUCTS = ("report.pdf", "figures", "manifest.json")


def write_report(out, text="v1"):
    """A stand-in for build_report's products, written through the real staging."""
    with staged_output(out, PRODUCTS) as stage:
        (stage / "report.pdf").write_text(f"pdf {text}")
        (stage / "figures").mkdir()
        (stage / "figures/f1.csv").write_text(f"csv {text}")
        (stage / "manifest.json").write_text("{}")
    return out


def files(root):
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in Path(root).rglob("*") if p.is_file()}


def test_a_report_replaces_its_own_products_and_leaves_the_users_files(tmp_path):
    out = write_report(tmp_path / "out")
    assert json.loads((out / MARKER).read_text())["files"].keys() == {"report.pdf", "figures/f1.csv",
                                                                       "manifest.json"}
    (out / "notes.txt").write_text("mine")
    write_report(out, "v2")
    assert (out / "report.pdf").read_text() == "pdf v2" and (out / "notes.txt").read_text() == "mine"
    assert not [p for p in tmp_path.rglob(".gradproof-*") if p.name != MARKER]


@pytest.mark.parametrize("plant", [
    lambda out: (out / "figures").mkdir() or (out / "figures/thesis_fig1.csv").write_text("mine"),
    lambda out: (out / "manifest.json").write_text('{"someone": "else"}'),
])
def test_a_directory_of_the_users_files_is_refused_untouched(tmp_path, plant):
    out = tmp_path / "out"
    out.mkdir()
    plant(out)
    before = files(out)
    with pytest.raises(InputError, match="holds files gradproof did not write"):
        write_report(out)
    assert files(out) == before and not list(tmp_path.glob(".gradproof-*"))


@pytest.mark.parametrize("tamper, message", [
    (lambda out: (out / "figures/thesis_fig1.csv").write_text("mine"), "figures/thesis_fig1.csv was not written"),
    (lambda out: (out / "report.pdf").write_text("edited by hand"), "report.pdf was not written"),
    (lambda out: shutil.rmtree(out / "figures") or (out / "figures").symlink_to(out.parent),
     "figures is not a plain file"),
    (lambda out: (out / MARKER).write_text('{"files": {"../elsewhere": "0"}}'), "outside the directory"),
    (lambda out: (out / MARKER).write_text('{"files": {"": "0"}}'), "outside the directory"),
    (lambda out: (out / MARKER).write_text("not json"), "unreadable"),
])
def test_in_a_marked_directory_only_unchanged_own_files_are_replaced(tmp_path, tamper, message):
    out = write_report(tmp_path / "out")
    tamper(out)
    before = files(out)
    with pytest.raises(InputError, match=message):
        write_report(out, "v2")
    assert files(out) == before


def test_root_home_and_a_busy_working_directory_are_refused(tmp_path, monkeypatch):
    with pytest.raises(InputError, match="root"):
        write_report(Path("/"))
    monkeypatch.setenv("HOME", str(tmp_path))
    with pytest.raises(InputError, match="home"):
        write_report(tmp_path)
    (tmp_path / "work").mkdir()
    (tmp_path / "work/thesis.tex").write_text("mine")
    monkeypatch.chdir(tmp_path / "work")
    with pytest.raises(InputError, match="did not write"):
        write_report(Path("."))
    assert os.listdir(tmp_path / "work") == ["thesis.tex"]


def test_an_error_while_installing_puts_the_old_report_back(tmp_path, monkeypatch):
    out = write_report(tmp_path / "out")
    before = files(out)
    real = os.replace
    moves = []

    def replace(src, dst):
        moves.append(src)
        if len(moves) == 6:  # the four old products went aside, one new one came in
            raise OSError(errno.ENOSPC, "No space left on device", str(dst))
        return real(src, dst)

    monkeypatch.setattr(os, "replace", replace)
    with pytest.raises(OSError, match="No space"):
        write_report(out, "v2")
    assert files(out) == before and not list(tmp_path.rglob(".gradproof-[so]*"))


def test_sigterm_unwinds_like_ctrl_c(tmp_path):
    with pytest.raises(Terminated) as info, staged_output(tmp_path / "out") as stage:
        (stage / "report.pdf").write_text("partial")
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(5)
    assert info.value.signum == signal.SIGTERM and isinstance(info.value, KeyboardInterrupt)
    assert not list(tmp_path.iterdir())
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL


def test_a_worker_error_reaches_the_parent_with_its_type():
    def fail():
        raise OSError(errno.ENOSPC, "No space left on device", "/full/f1.png")

    with Background() as pool:
        job = pool.submit(fail)
        with pytest.raises(OSError) as info:
            job.result()
    assert info.value.errno == errno.ENOSPC and info.value.filename == "/full/f1.png"


CHILD = """
import sys, time
from pathlib import Path
from gradproof.reports._build._output import Terminated, staged_output
from gradproof.reports._build._worker import Background

def work(stage):
    (stage / "figures").write_text("drawing")
    time.sleep(120)

try:
    with staged_output(Path(sys.argv[1])) as stage, Background() as pool:
        job = pool.submit(work, stage)
        while not (stage / "figures").exists():
            time.sleep(0.01)
        print(job.process.pid, stage, flush=True)
        job.result()
except Terminated as stop:
    sys.exit(128 + stop.signum)
"""


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")  # a zombie waits only to be reaped


def wait_until(condition, seconds=10.0):
    end = time.monotonic() + seconds
    while not condition() and time.monotonic() < end:
        time.sleep(0.05)
    return condition()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads process states from /proc")
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL])
def test_the_figure_worker_dies_with_its_parent_and_no_stage_outlives_them(tmp_path, sig):
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    parent = subprocess.Popen([sys.executable, "-c", CHILD, str(tmp_path / "out")], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, env=env)
    worker, stage = parent.stdout.readline().split()
    parent.send_signal(sig)
    out, err = parent.communicate(timeout=30)  # returns only once no process holds the pipes
    assert parent.returncode == (128 + sig if sig == signal.SIGTERM else -sig), err
    assert wait_until(lambda: not alive(int(worker)))
    if sig == signal.SIGTERM:
        assert not Path(stage).exists()
    else:  # nobody could clean up; the next run proves the stage dead and removes it
        assert Path(stage).exists()
        assert remove_stale_stages(tmp_path) == [Path(stage)] and not Path(stage).exists()


def test_stages_of_live_or_unknown_runs_are_kept(tmp_path):
    with staged_output(tmp_path / "out") as stage:
        assert remove_stale_stages(tmp_path) == []
    foreign = tmp_path / ".gradproof-stage-foreign"
    foreign.mkdir()  # no owner recorded: not provably gradproof's, not provably dead
    (foreign / ".gradproof-stage.json").write_text(json.dumps({"host": "elsewhere", "pid": 1}))
    unmarked = tmp_path / ".gradproof-stage-unmarked"
    unmarked.mkdir()
    assert remove_stale_stages(tmp_path) == [] and foreign.exists() and unmarked.exists()
    assert stage.name.startswith(".gradproof-stage-") and not stage.exists()
