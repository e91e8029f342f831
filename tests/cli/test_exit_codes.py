"""Hostile and careless input at the command line: one line, the documented exit code, no data lost."""

import errno
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from gradproof.reports import main

ROOT = Path(__file__).resolve().parents[2]


def one_line_error(capsys, *fragments):
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("gradproof: error:"), err
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    return lines[0]


def test_report_never_deletes_the_users_files(tmp_path, capsys):
    out = tmp_path / "thesis"
    (out / "figures").mkdir(parents=True)
    (out / "figures/thesis_fig1.csv").write_text("mine")
    (out / "manifest.json").write_text('{"mine": true}')
    assert main(["report", "--out", str(out), "--quiet"]) == 2
    one_line_error(capsys, "did not write")
    assert (out / "figures/thesis_fig1.csv").read_text() == "mine"
    assert (out / "manifest.json").read_text() == '{"mine": true}'
    assert main(["report", "--out", "/", "--quiet"]) == 2
    one_line_error(capsys, "--out /")


@pytest.mark.parametrize("error, code, fragment", [
    (OSError(errno.EROFS, "Read-only file system", "/ro/out"), 2, "/ro/out: Read-only file system"),
    (PermissionError(errno.EACCES, "Permission denied", "/locked/out"), 2, "/locked/out: Permission denied"),
    (OSError(errno.ENOSPC, "No space left on device", "/full/out/f1.png"), 4, "could not write /full/out/f1.png"),
    (OSError(errno.EDQUOT, "Disk quota exceeded", "/q/out/report.pdf"), 4, "Disk quota exceeded"),
])
def test_write_errors_are_one_line_with_their_own_exit_code(tmp_path, monkeypatch, capsys, error, code, fragment):
    def fail(stage, *args):
        (stage / "report.pdf").write_text("partial")
        raise error

    monkeypatch.setattr("gradproof.reports._build._report._write_products", fail)
    old = tmp_path / "out"
    assert main(["report", "--out", str(old), "--quiet"]) == code
    one_line_error(capsys, fragment)
    assert not old.exists() and not list(tmp_path.iterdir())


def _unshare_works() -> bool:
    if shutil.which("unshare") is None or not sys.platform.startswith("linux"):
        return False
    return subprocess.run(["unshare", "-Urm", "true"], capture_output=True).returncode == 0


FULL_THEN_READ_ONLY = """
import subprocess, sys
from pathlib import Path
from gradproof.reports._build import _report
from gradproof.reports._build._output import staged_output
from gradproof.reports import main

out = Path(sys.argv[1])
with staged_output(out) as stage:
    (stage / "report.pdf").write_text("the old report")
_report._write_products = lambda stage, *args: (stage / "report.pdf").write_bytes(bytes(2_000_000))
print(main(["report", "--quiet", "--out", str(out)]), flush=True)
subprocess.run(["mount", "-o", "remount,ro", str(out.parent)], check=True)
print(main(["report", "--quiet", "--out", str(out)]), flush=True)
print(out.joinpath("report.pdf").read_text())
"""


@pytest.mark.skipif(not _unshare_works(), reason="needs unshare -Urm (user and mount namespaces) for a real "
                    "read-only and a real full file system; the monkeypatched test above covers the mapping")
def test_a_real_full_then_read_only_file_system(tmp_path):
    fs = tmp_path / "fs"
    script = (f"mkdir {fs} && mount -t tmpfs -o size=256k tmpfs {fs} && "
              f"{sys.executable} -c '{FULL_THEN_READ_ONLY}' {fs}/out")
    done = subprocess.run(["unshare", "-Urm", "sh", "-c", script], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.stdout.split("\n")[:3] == ["4", "2", "the old report"], done.stdout + done.stderr
    full, read_only = done.stderr.strip().splitlines()
    assert full == f"gradproof: error: could not write {fs}/out: No space left on device; nothing was replaced"
    assert read_only.startswith("gradproof: error: ") and f"{fs}/out" in read_only
    assert read_only.endswith("Read-only file system")


def test_seed_out_of_range_names_the_flag(capsys, tmp_path):
    assert main(["report", "--seed", str(2**70), "--out", str(tmp_path / "r")]) == 2
    one_line_error(capsys, "--seed", "4294967295")
    assert not (tmp_path / "r").exists()


def test_debug_anywhere_never_turns_a_usage_error_into_a_traceback(capsys, tmp_path):
    for args in (["check", "--debug", "--frobnicate"], ["--debug", "frobnicate"], ["derive", "x", "--all", "--debug"],
                 ["stats", "--debug"]):
        assert main(args) == 2
        one_line_error(capsys)
    missing = str(tmp_path / "missing.csv")
    for args in (["stats", "--data", missing, "--debug"], ["--debug", "stats", "--data", missing]):
        assert main(args) == 2  # bad input: --debug shows where it came from, with the same exit code
        err = capsys.readouterr().err
        assert "Traceback" in err and err.strip().splitlines()[-1].startswith("gradproof: error: --data ")


def test_an_internal_error_is_shown_as_a_bug(monkeypatch, capsys):
    from gradproof import symbolic

    def broken(*args, **kwargs):
        raise ValueError("shapes differ: (3,) against (4,)")

    monkeypatch.setattr(symbolic, "check", broken)
    assert main(["check", "logreg.dL_dw", "x"]) == 70
    err = capsys.readouterr().err
    assert "Traceback" in err and "shapes differ" in err and "internal error" in err.splitlines()[-1]


def _npy(tmp_path, name, array):
    np.save(tmp_path / name, array, allow_pickle=True)
    return str(tmp_path / name)


GOOD = np.c_[np.arange(6.0).reshape(3, 2), [0.0, 1.0, 1.0]]


@pytest.mark.parametrize("array", [
    GOOD.astype(complex) + 1j,
    GOOD.astype("timedelta64[s]"),
    GOOD.astype("datetime64[s]"),
    GOOD.astype(bool),
    GOOD.astype(object),
])
def test_data_and_weights_of_the_wrong_kind_are_refused(tmp_path, capsys, array):
    good = _npy(tmp_path, "good.npy", GOOD)
    assert main(["stats", "--data", _npy(tmp_path, "bad.npy", array)]) == 2
    one_line_error(capsys, "--data", "expected real numbers")
    weights = array[0] if array.dtype != object else np.array([1, 2, 3], dtype=object)
    assert main(["stats", "--data", good, "--weights", _npy(tmp_path, "w.npy", weights)]) == 2
    one_line_error(capsys, "--weights")


@pytest.mark.parametrize("make", [
    lambda tmp_path: "/dev/zero",
    lambda tmp_path: os.mkfifo(tmp_path / "fifo") or str(tmp_path / "fifo"),
    lambda tmp_path: str(tmp_path),
])
def test_endless_or_special_files_are_not_read(tmp_path, capsys, make):
    if not hasattr(os, "mkfifo") or not Path("/dev/zero").exists():
        pytest.skip("no FIFOs or /dev/zero on this system")
    special = make(tmp_path)
    good = _npy(tmp_path, "good.npy", GOOD)
    assert main(["stats", "--data", good, "--weights", special]) == 2
    one_line_error(capsys, "--weights", "not a regular file")
    assert main(["stats", "--data", special]) == 2
    one_line_error(capsys, "--data", "not a regular file")


@pytest.mark.parametrize("content, fragment", [
    ("a,label\n" + "1" * 200_000 + ",0\n", "field larger than field limit"),
    ("a,label\n1,0\n\0,1\n", "contains NUL bytes"),
    (b"a,label\n1,0\n\xff\xfe,1\n", "not UTF-8 text"),
    ("a,label\n1,0\n", "at least two samples"),
])
def test_malformed_or_too_small_data_is_one_line(tmp_path, capsys, content, fragment):
    data = tmp_path / "d.csv"
    data.write_bytes(content if isinstance(content, bytes) else content.encode())
    assert main(["stats", "--data", str(data), "--weights", _npy(tmp_path, "w.npy", np.zeros(2))]) == 2
    one_line_error(capsys, fragment)


def test_errors_quote_short_excerpts_never_the_file(tmp_path, capsys):
    secret = [f"secret_{i}" for i in range(1000)]
    data = tmp_path / "d.csv"
    data.write_text(",".join(secret) + "\n" + ",".join("0" * 1000) + "\n")
    assert main(["stats", "--data", str(data), "--label", "y"]) == 2
    line = one_line_error(capsys, "--label 'y': no such column")
    assert "secret_999" not in line and len(line) < 400


@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="no /proc")
def test_the_environment_is_not_echoed(capsys):
    assert main(["stats", "--data", "/proc/self/environ", "--label", "y"]) == 2
    line = one_line_error(capsys, "contains NUL bytes")
    assert os.environ["PATH"] not in line and len(line) < 400


def test_the_readme_lists_every_exit_code_the_cli_can_give():
    from gradproof.reports._cli import _main as cli

    section = (ROOT / "README.md").read_text().split("## Exit codes", 1)[1].split("\n## ", 1)[0]
    listed = {int(code) for row in re.findall(r"^\| ([\d, ]+) \|", section, re.M) for code in row.split(",")}
    codes = {value for name, value in vars(cli).items() if name.startswith("EXIT_")}
    assert codes | {128 + signal.SIGTERM, 128 + signal.SIGHUP} <= listed


# ---------------------------------------------------------------------------------------------
# signals (issue 21, item 3): one line, an exit code that says what is on disk, never a traceback


def _stub_products(monkeypatch, during):
    """build_report's heavy work replaced by three small files, ``during(stage)`` called midway."""
    def write(stage, *args):
        (stage / "report.pdf").write_text("new")
        during(stage)
        (stage / "manifest.json").write_text("{}")

    monkeypatch.setattr("gradproof.reports._build._report._write_products", write)


def _old_report(tmp_path, monkeypatch):
    out = tmp_path / "out"
    _stub_products(monkeypatch, lambda stage: (stage / "report.pdf").write_text("old"))
    assert main(["report", "--out", str(out), "--quiet"]) == 0
    return out, {p.name: p.read_bytes() for p in out.iterdir()}


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_while_the_report_is_made_leaves_the_old_one(tmp_path, monkeypatch, capsys, sig):
    out, before = _old_report(tmp_path, monkeypatch)
    _stub_products(monkeypatch, lambda stage: (os.kill(os.getpid(), sig), time.sleep(5)))
    assert main(["report", "--out", str(out), "--quiet"]) == 128 + sig
    assert capsys.readouterr().err.strip() == ("gradproof: interrupted" if sig == signal.SIGINT
                                                else f"gradproof: terminated by signal {sig}")
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before and sorted(os.listdir(tmp_path)) == ["out"]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # main restores what it found
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_during_the_install_is_exit_0_and_says_the_report_is_complete(tmp_path, monkeypatch, capsys, sig):
    from gradproof.reports._build import _output

    out, _ = _old_report(tmp_path, monkeypatch)
    _stub_products(monkeypatch, lambda stage: None)
    real = _output.install

    def install(*args):
        os.kill(os.getpid(), sig)
        return real(*args)

    monkeypatch.setattr(_output, "install", install)
    assert main(["report", "--out", str(out), "--quiet"]) == 0
    line = capsys.readouterr().err.strip()
    assert line.endswith(f"after the new report was installed: {out} holds it, complete"), line
    assert (out / "report.pdf").read_text() == "new" and sorted(os.listdir(tmp_path)) == ["out"]


def test_a_signal_that_a_library_turns_into_another_error_is_still_an_interruption(tmp_path, monkeypatch, capsys):
    def import_cut_short(stage):
        try:
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(5)
        except KeyboardInterrupt:  # as numpy's C import does: "numpy.core.multiarray failed to import"
            raise ImportError("numpy.core.multiarray failed to import") from None

    _stub_products(monkeypatch, import_cut_short)
    assert main(["report", "--out", str(tmp_path / "out"), "--quiet"]) == 130
    assert capsys.readouterr().err.strip() == "gradproof: interrupted"
    assert not os.listdir(tmp_path)


def test_a_second_report_into_the_same_folder_is_refused_in_one_line(tmp_path, monkeypatch, capsys):
    out = tmp_path / "out"
    codes = []
    _stub_products(monkeypatch, lambda stage: codes.append(main(["report", "--out", str(out), "--quiet"])))
    assert main(["report", "--out", str(out), "--quiet"]) == 0 and codes == [2]
    one_line_error(capsys, f"--out {out}: another gradproof run (pid {os.getpid()}) is writing a report there")
    assert (out / "report.pdf").read_text() == "new"


START = "import time:"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="signals a child process")
def test_ctrl_c_at_any_moment_of_the_start_up_is_one_line_and_130(tmp_path):
    """From the moment gradproof's code runs (its first import) to the end of the work: the
    interpreter's own start before that is Python's."""
    rng = np.random.default_rng(21)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-X", "importtime", "-m", "gradproof", "check", "logreg.dL_dz", "sigmoid(z) - y"]
    def start():
        child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)
        lines = []
        for line in child.stderr:  # import times are printed as each module is done: gradproof's first
            lines.append(line)
            if "| gradproof" in line:
                break
        return child, lines

    took = []
    for _ in range(2):  # how long the run takes from there, on this machine now (the faster of two)
        child, _ = start()
        began = time.monotonic()
        child.communicate(timeout=60)
        took.append(time.monotonic() - began)
    codes = []
    for delay in np.sort(rng.uniform(0.0, 0.8 * min(took), size=8)):
        child, lines = start()
        time.sleep(delay)
        child.send_signal(signal.SIGINT)
        rest = child.stderr.read()
        child.wait(timeout=60)
        said = [line for line in (lines + rest.splitlines(True)) if not line.startswith(START)]
        assert "Traceback" not in "".join(said) and len(said) <= 1, (delay, "".join(said)[-2000:])
        assert child.returncode in (130, 0), (delay, child.returncode, said)
        assert child.returncode == 0 or said == ["gradproof: interrupted\n"], said
        codes.append(child.returncode)
    assert codes.count(130) >= 2, codes  # they land before the work is done


@pytest.mark.parametrize("plant", [
    lambda marker: marker.symlink_to("/dev/zero"),
    lambda marker: os.mkfifo(marker),
    lambda marker: marker.write_text("[" * 100_000 + "]" * 100_000),
])
def test_a_hostile_marker_is_refused_in_one_line(tmp_path, monkeypatch, capsys, plant):
    out, _ = _old_report(tmp_path, monkeypatch)
    (out / ".gradproof-report.json").unlink()
    plant(out / ".gradproof-report.json")
    signal.alarm(20)  # a blocking read fails the test instead of hanging it
    try:
        assert main(["report", "--out", str(out), "--quiet"]) == 2
    finally:
        signal.alarm(0)
    one_line_error(capsys, f"--out {out}: its marker .gradproof-report.json is unreadable (it ")
    assert (out / "report.pdf").read_text() == "old"
