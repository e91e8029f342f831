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

from gradproof.reports._build import _install, _output
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


@pytest.mark.parametrize("step", ["an old file moved aside", "a new file moved in"])
def test_an_error_while_installing_puts_the_old_report_back(tmp_path, monkeypatch, step):
    out = write_report(tmp_path / "out")
    (out / "notes.txt").write_text("mine")
    before = files(out)
    target = (os, "replace") if step.startswith("an old") else (_install, "move_no_replace")
    real = getattr(*target)
    moves = []

    def move(src, dst):
        moves.append(src)
        if len(moves) == 3:  # the journal (for os.replace) or one new file is in: the next one fails
            raise OSError(errno.ENOSPC, "No space left on device", str(dst))
        return real(src, dst)

    monkeypatch.setattr(*target, move)
    with pytest.raises(OSError, match="No space"):
        write_report(out, "v2")
    assert files(out) == before and not leftovers(tmp_path)


def leftovers(root):
    """gradproof's temporary folders and lock files under ``root`` (its markers aside)."""
    return [p for p in Path(root).rglob(".gradproof-*") if p.name != MARKER]


def test_a_file_the_user_makes_during_the_install_is_kept(tmp_path, monkeypatch):
    out = write_report(tmp_path / "out")
    real = _output.install

    def install_while_the_user_works(stage, out, *args):
        (out / "figures/mine.csv").write_text("mine")  # after the check, before the moves
        (out / "figures/empty").mkdir()
        (out / "late.txt").write_text("mine too")
        return real(stage, out, *args)

    monkeypatch.setattr(_output, "install", install_while_the_user_works)
    write_report(out, "v2")
    assert (out / "figures/mine.csv").read_text() == "mine" and (out / "figures/empty").is_dir()
    assert (out / "late.txt").read_text() == "mine too" and (out / "report.pdf").read_text() == "pdf v2"
    assert json.loads((out / MARKER).read_text())["files"] == {
        "report.pdf": sha("pdf v2"), "figures/f1.csv": sha("csv v2"), "manifest.json": sha("{}")}
    assert not leftovers(tmp_path)
    with pytest.raises(InputError, match="figures/empty/?|figures/mine.csv was not written"):
        write_report(out, "v3")  # the next run names the user's file instead of replacing its folder
    assert (out / "figures/mine.csv").read_text() == "mine"


def sha(text):
    import hashlib

    return hashlib.sha256(text.encode()).hexdigest()


@pytest.mark.parametrize("race", ["a new product's place", "an old product edited"])
def test_a_file_in_the_way_or_edited_during_the_install_rolls_it_back(tmp_path, monkeypatch, race):
    out = write_report(tmp_path / "out")
    real = _output.install

    def install_while_the_user_works(stage, out, *args):
        if race == "an old product edited":
            (out / "report.pdf").write_text("edited by hand")
        else:
            (out / "figures/f2.csv").write_text("mine")
            (stage / "figures/f2.csv").write_text("csv v2")
            args = (args[0], args[1], {**args[2], "figures/f2.csv": sha("csv v2")}, *args[3:])
        return real(stage, out, *args)

    monkeypatch.setattr(_output, "install", install_while_the_user_works)
    with pytest.raises(InputError, match="while the report was being installed; .*nothing was replaced"):
        write_report(out, "v2")
    kept = files(out)
    assert kept.pop("figures/f2.csv", b"mine") == b"mine"
    assert kept.pop("report.pdf") == (b"edited by hand" if race.endswith("edited") else b"pdf v1")
    assert kept == {"figures/f1.csv": b"csv v1", "manifest.json": b"{}", MARKER: kept[MARKER]}
    assert not leftovers(tmp_path)


@pytest.mark.parametrize("make", ["symlink to /dev/zero", "symlink to /dev/urandom", "fifo", "deeply nested",
                                  "too long", "a directory", "no listing"])
@pytest.mark.parametrize("where", ["in the directory", "in a stale stage beside it"])
def test_a_marker_is_read_only_as_a_small_regular_file(tmp_path, make, where):
    out = write_report(tmp_path / "out")
    folder = out
    if where != "in the directory":
        folder = tmp_path / ".gradproof-stage-planted"
        folder.mkdir()
    marker = folder / (MARKER if folder == out else ".gradproof-stage.json")
    marker.unlink(missing_ok=True)
    if make.startswith("symlink"):
        if not Path(make.split()[-1]).exists():
            pytest.skip("no such device here")
        marker.symlink_to(make.split()[-1])
    elif make == "fifo":
        os.mkfifo(marker)
    elif make == "deeply nested":
        marker.write_text("[" * 200_000 + "]" * 200_000)
    elif make == "too long":
        marker.write_bytes(b" " * (_output.MARKER_LIMIT + 1))
    elif make == "a directory":
        marker.mkdir()
    else:
        marker.write_text('{"files": [1, 2]}')
    signal.alarm(20)  # a read that blocks fails the test instead of hanging it
    try:
        if folder == out:
            before = files(out)
            with pytest.raises(InputError, match=r"marker \.gradproof-report\.json is unreadable"):
                write_report(out, "v2")
            assert files(out) == before
        else:  # not provably gradproof's: left alone, and the run goes on
            write_report(out, "v2")
            assert (out / "report.pdf").read_text() == "pdf v2" and os.path.lexists(marker)
    finally:
        signal.alarm(0)


def test_a_second_run_into_the_same_directory_is_refused_at_once(tmp_path):
    out = write_report(tmp_path / "out")
    with staged_output(out, PRODUCTS) as stage:
        (stage / "report.pdf").write_text("pdf v2")
        with pytest.raises(InputError, match=rf"another gradproof run \(pid {os.getpid()}\) is writing a report"):
            write_report(out, "v3")
        write_report(tmp_path / "elsewhere")  # another directory is another lock
    assert (out / "report.pdf").read_text() == "pdf v2" and not leftovers(tmp_path)
    assert set(files(out)) == {"report.pdf", MARKER}  # the listed files of v1 went, v2's came


def test_a_lock_file_left_by_a_killed_run_is_taken_over(tmp_path):
    (tmp_path / ".gradproof-lock-out").write_text("12345\n")  # nobody holds it
    write_report(tmp_path / "out")
    assert not leftovers(tmp_path)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_during_the_install_lets_it_finish_and_says_so(tmp_path, monkeypatch, sig):
    out = write_report(tmp_path / "out")
    real = _output.install

    def interrupted(*args):
        os.kill(os.getpid(), sig)
        time.sleep(0.2)  # the handler would have run by now
        return real(*args)

    monkeypatch.setattr(_output, "install", interrupted)
    told = []
    with pytest.raises(KeyboardInterrupt) as info, staged_output(out, PRODUCTS, told.append) as stage:
        (stage / "report.pdf").write_text("pdf v2")
    assert getattr(info.value, "signum", signal.SIGINT) == sig
    assert told == [out] and (out / "report.pdf").read_text() == "pdf v2" and not leftovers(tmp_path)
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL


KILLED = ["after the first old file", "after the first new file", "after the last new file"]


@pytest.mark.skipif(not hasattr(os, "fork"), reason="forks a run to kill it")
@pytest.mark.parametrize("moment", KILLED)
def test_the_next_run_finishes_or_rolls_back_what_a_sigkill_left(tmp_path, monkeypatch, moment):
    out = write_report(tmp_path / "out")
    (out / "notes.txt").write_text("mine")
    old = files(out)
    pid = os.fork()
    if pid == 0:  # the run that is killed
        try:
            counts = {"old": 0, "new": 0}
            real_replace, real_move = os.replace, _install.move_no_replace

            def replace(src, dst):
                real_replace(src, dst)
                counts["old"] += ".gradproof-old-" in str(dst) and "files" in Path(dst).parts
                if moment == KILLED[0] and counts["old"] == 1:
                    os.kill(os.getpid(), signal.SIGKILL)

            def move(src, dst):
                real_move(src, dst)
                counts["new"] += 1
                if (moment == KILLED[1] and counts["new"] == 1) or (moment == KILLED[2] and counts["new"] == 3):
                    os.kill(os.getpid(), signal.SIGKILL)

            monkeypatch.setattr(os, "replace", replace)
            monkeypatch.setattr(_install, "move_no_replace", move)
            write_report(out, "v2")
        finally:
            os._exit(3)
    assert os.waitpid(pid, 0)[1] == signal.SIGKILL
    kinds = (".gradproof-lock-", ".gradproof-stage-", ".gradproof-old-")
    left = sorted(("out/" if p.parent == out else "") + next(k for k in kinds if p.name.startswith(k))
                  for p in leftovers(tmp_path) if p.parent in (tmp_path, out))
    assert left == [".gradproof-lock-", ".gradproof-stage-", "out/.gradproof-old-"]
    with staged_output(out, PRODUCTS) as stage:  # the next run: recovers first, then is refused nothing
        assert files(out) == (old if moment != KILLED[2] else {**files(out)})
        if moment == KILLED[2]:  # every new file was in: the install is finished
            assert (out / "report.pdf").read_text() == "pdf v2" and (out / "notes.txt").read_text() == "mine"
            assert json.loads((out / MARKER).read_text())["files"] == {
                "report.pdf": sha("pdf v2"), "figures/f1.csv": sha("csv v2"), "manifest.json": sha("{}")}
        assert [p for p in leftovers(tmp_path)
                if stage not in (p, *p.parents) and not p.name.startswith(".gradproof-lock")] == []
        (stage / "report.pdf").write_text("pdf v3")
    assert set(files(out)) == {"report.pdf", "notes.txt", MARKER} and not leftovers(tmp_path)


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


def test_an_old_file_that_cannot_go_back_is_kept_and_named_until_its_place_is_free(tmp_path, monkeypatch):
    out = write_report(tmp_path / "out")
    real = _install.move_no_replace

    def move(src, dst):
        if not (out / "report.pdf").exists():  # the old one went aside: the user saves a file there
            (out / "report.pdf").write_text("the user's")
        return real(src, dst)

    monkeypatch.setattr(_install, "move_no_replace", move)
    with pytest.raises(InputError, match=r"could not put back report.pdf .*the old file is kept in .*\.gradproof-old-"):
        write_report(out, "v2")
    assert (out / "report.pdf").read_text() == "the user's"
    held = [p for p in out.glob(".gradproof-old-*/files/report.pdf")]
    assert [p.read_text() for p in held] == ["pdf v1"]
    monkeypatch.setattr(_install, "move_no_replace", real)
    with pytest.raises(InputError, match="could not put back report.pdf"):  # said again, nothing lost
        write_report(out, "v3")
    (out / "report.pdf").rename(tmp_path / "users-report.pdf")  # the user moves theirs away
    write_report(out, "v4")  # the old report is put back whole first, then replaced
    assert files(out) == {"report.pdf": b"pdf v4", "figures/f1.csv": b"csv v4", "manifest.json": b"{}",
                          MARKER: files(out)[MARKER]} and not leftovers(tmp_path)
