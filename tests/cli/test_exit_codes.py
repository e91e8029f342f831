"""Hostile and careless input at the command line: one line, the documented exit code, no data lost."""

import errno
import os
import re
import shutil
import subprocess
import sys
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
    with pytest.raises(ValueError, match="no such file"):  # bad input: --debug shows where it came from
        main(["stats", "--data", str(tmp_path / "missing.csv"), "--debug"])


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
    import signal

    from gradproof.reports._cli import _main as cli

    section = (ROOT / "README.md").read_text().split("## Exit codes", 1)[1].split("\n## ", 1)[0]
    listed = {int(code) for row in re.findall(r"^\| ([\d, ]+) \|", section, re.M) for code in row.split(",")}
    codes = {value for name, value in vars(cli).items() if name.startswith("EXIT_")}
    assert codes | {128 + signal.SIGTERM, 128 + signal.SIGHUP} <= listed
