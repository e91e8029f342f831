"""The soak of issue 21: ``gradproof report`` runs racing each other, a user writing files into the
output folder meanwhile, and signals at random moments, for a bounded number of rounds.

Each run is the real command line (``main``), forked from this process so that it starts in a
millisecond; only the heavy work (experiments, figures, Typst) is replaced by a stand-in that
writes a report of 40 small files whose every byte says which run wrote it.  After every round
(after the next, clean run where one was killed with SIGKILL, since nothing can clean up then):

- every file and folder the user made is where the user left it, as the user wrote it;
- the folder holds exactly one complete report: the marker is a regular file listing every
  gradproof file there (nothing else is gradproof's), each with its hash, all of one run;
- no stage, old-report or lock entry is left, beside the folder or in it;
- the exit code says what is on disk: 0 only for the run whose report is there (or one that
  the other run of the round replaced after it), 2, 4, 130 and 143 only for runs whose report
  is not, one line on stderr each and no traceback.

Run it longer by hand: ``python tests/reports/test_soak.py ROUNDS``.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import random
import re
import signal
import sys
import threading
import time
from pathlib import Path

import pytest

import gradproof
from gradproof.reports import main
from gradproof.reports._build import _report

MARKER = ".gradproof-report.json"
NAMES = ["report.pdf", "report.typ", "gradproof.typ", "manifest.json"] + \
    [f"figures/f{i}.csv" for i in range(18)] + [f"derivations/d{i}.tex" for i in range(18)]
STOPPING = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def _stand_in(stage: Path, seed: int, *args) -> None:
    """The report of run ``seed``: 40 files, with a pause in the middle where a signal may land
    (a negative pause: the disk is full instead)."""
    pause = float(os.environ.get("SOAK_PAUSE", "0"))
    if pause < 0:
        raise OSError(errno.ENOSPC, "No space left on device", str(stage / "report.pdf"))
    (stage / "figures").mkdir()
    (stage / "derivations").mkdir()
    for number, name in enumerate(NAMES):
        (stage / name).write_text(f"run {seed}: {name}\n")
        if number == len(NAMES) // 2:
            time.sleep(pause)


def _run(out: Path, seed: int, pause: float, err: Path) -> int:
    """Fork one ``gradproof report --out OUT --seed SEED`` as the program runs it (``main()`` reading
    sys.argv, gradproof's start-up handler until then); its pid.  Its stderr goes to ``err``."""
    signal.pthread_sigmask(signal.SIG_BLOCK, STOPPING)  # till the child has its handlers
    pid = os.fork()
    if pid:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, STOPPING)
        return pid
    code = 99
    try:
        signal.signal(signal.SIGINT, getattr(gradproof, "_interrupted_at_start", signal.default_int_handler))
        for signum in STOPPING[1:]:
            signal.signal(signum, signal.SIG_DFL)
        fd = os.open(err, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        os.dup2(fd, 2)
        sys.stderr = open(2, "w", buffering=1, closefd=False)  # not pytest's capture of the parent
        sys.stdout = open(os.devnull, "w")
        os.environ["SOAK_PAUSE"] = str(pause)
        _report._write_products = _stand_in
        _report._logreg_data = lambda *args: None  # no torch in a forked child
        _report.numeric.runtime.single_thread = _nothing
        sys.argv = ["gradproof", "report", "--out", str(out), "--seed", str(seed), "--quiet"]
        signal.pthread_sigmask(signal.SIG_UNBLOCK, STOPPING)
        code = main()
    except BaseException:  # noqa: BLE001 - never back into pytest from the child
        code = 98
        import traceback

        traceback.print_exc()
    finally:
        signal.pthread_sigmask(signal.SIG_BLOCK, STOPPING)
        os._exit(code)


class _Nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def _nothing():
    return _Nothing()


_REAPED: dict[int, int] = {}


def _wait(pid: int, block: bool = True) -> int | None:
    """The exit code of child ``pid`` (None: still running, when not ``block``)."""
    if pid not in _REAPED:
        done, status = os.waitpid(pid, 0 if block else os.WNOHANG)
        if not done:
            return None
        _REAPED[pid] = os.waitstatus_to_exitcode(status)
    return _REAPED[pid]


class User:
    """Someone working in the output folder meanwhile: files at the top and in figures/, empty
    folders in figures/ and derivations/.  Every one is recorded, to be found again."""

    def __init__(self, out: Path, rng: random.Random):
        self.out, self.rng, self.made, self.folders = out, rng, {}, set()
        self.count = 0

    def work(self, wait: float, seconds: float) -> None:
        time.sleep(wait)
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            self.count += 1
            where = self.rng.choice(["", "figures/", "figures/", "derivations/"])
            try:
                if self.rng.random() < 0.25 and where:
                    folder = f"{where}mine-{self.count}"
                    (self.out / folder).mkdir()
                    self.folders.add(folder)
                else:
                    name = f"{where}mine-{self.count}.txt"
                    with open(self.out / name, "x") as handle:
                        handle.write(f"the user's {name}")
                    self.made[name] = f"the user's {name}"
            except (FileNotFoundError, FileExistsError):
                pass  # the folder is not there (yet): as a user would, try again
            time.sleep(self.rng.uniform(0, 0.004))

    def lost(self) -> list[str]:
        lost = [name for name, text in self.made.items()
                if not (self.out / name).is_file() or (self.out / name).read_text() != text]
        return lost + [folder for folder in self.folders if not (self.out / folder).is_dir()]

    def tidy(self, into: Path) -> None:
        """Move the user's files out of figures/ and derivations/ (which make a run refuse the
        folder), as the refusal asks; the empty folders stay (they stop nothing)."""
        for name in [n for n in self.made if "/" in n]:
            target = into / name.replace("/", "-")
            os.replace(self.out / name, target)
            self.made.pop(name)


def _on_disk(out: Path, user: User) -> int | None:
    """The run whose report the folder holds (None: none yet), after checking that it is one
    whole report and nothing of gradproof's is unlisted."""
    if not (out / MARKER).exists():
        assert not [p for p in out.rglob("*") if p.is_file() and p.relative_to(out).as_posix() not in user.made]
        return None
    assert (out / MARKER).is_file() and not (out / MARKER).is_symlink()
    listed = json.loads((out / MARKER).read_text())["files"]
    assert sorted(listed) == sorted(NAMES), sorted(set(listed) ^ set(NAMES))
    runs = set()
    for name, digest in listed.items():
        content = (out / name).read_bytes()
        assert hashlib.sha256(content).hexdigest() == digest, name
        runs.add(content.decode().split(":")[0])
    assert len(runs) == 1, runs  # one report, not the products of two runs
    everything = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    assert everything - set(listed) - set(user.made) == {MARKER}, everything - set(listed) - set(user.made)
    return int(runs.pop().split()[1])


def _leftovers(root: Path) -> list[str]:
    """gradproof's temporary entries (stage, old report, lock) beside the folder or in it, with
    what they hold."""
    return sorted(f"{p.relative_to(root).as_posix()} {sorted(os.listdir(p)) if p.is_dir() else ''}"
                  for p in [*root.glob(".gradproof-*"), *root.glob("*/.gradproof-*")] if p.name != MARKER)


def _said(err: Path) -> list[str]:
    return err.read_text().splitlines() if err.exists() else []


def soak(root: Path, rounds: int, seconds: float, seed: int = 21) -> dict:
    """Run up to ``rounds`` rounds (stopping after ``seconds``); assert after each; count outcomes."""
    rng = random.Random(seed)
    out = root / "out"
    archive = root / "moved-away"
    archive.mkdir()
    out.mkdir()
    user = User(out, rng)
    counts: dict[str, int] = {}
    run = 1  # the folder starts with a report (a folder of the user's files alone is refused)
    assert _wait(_run(out, run, 0, root / f"err-{run}")) == 0, _said(root / f"err-{run}")
    previous = run
    deadline = time.monotonic() + seconds
    for number in range(rounds):
        if time.monotonic() > deadline:
            break
        kind = rng.choice(["two runs", "signal", "signal", "user", "two runs and a user"])
        pause = rng.uniform(0, 0.03)
        started = []
        for _ in range(2 if kind.startswith("two") else 1):
            run += 1
            started.append((run, _run(out, run, pause, root / f"err-{run}")))
            if kind.startswith("two"):
                time.sleep(rng.uniform(0, 0.01))
        writer = None
        if "user" in kind:  # from a random moment of the run on: before the check, or during the install
            writer = threading.Thread(target=user.work, args=(rng.uniform(0, pause + 0.02), 0.03))
            writer.start()
        killed = False
        if kind == "signal":
            sig = rng.choice([signal.SIGINT, signal.SIGTERM, signal.SIGKILL])
            if rng.random() < 0.4:  # the moment the install begins
                while not any(n.startswith(".gradproof-old-") for n in os.listdir(out)) and \
                        _wait(started[0][1], block=False) is None:
                    pass
            else:
                time.sleep(rng.uniform(0, pause + 0.02))
            with contextlib.suppress(ProcessLookupError):
                os.kill(started[0][1], sig)
            killed = sig == signal.SIGKILL
        codes = {seed_: _wait(pid) for seed_, pid in started}
        if writer is not None:
            writer.join()
        if killed and codes[run] == -signal.SIGKILL:  # nothing could clean up: the next run does, first
            run += 1
            recovering = _run(out, run, -1, root / f"err-{run}")  # it recovers, then finds the disk full
            assert _wait(recovering) == 4, _said(root / f"err-{run}")
            assert _leftovers(root) == [], (number, kind, _leftovers(root))
            assert _on_disk(out, user) in (previous, run - 1), "the killed run's install was left half done"
            counts["recovered after SIGKILL"] = counts.get("recovered after SIGKILL", 0) + 1
        assert user.lost() == [], (number, kind, user.lost())
        assert _leftovers(root) == [], (number, kind, _leftovers(root))
        there = _on_disk(out, user)
        for seed_, code in codes.items():
            said = _said(root / f"err-{seed_}")
            assert not any("Traceback" in line for line in said) and len(said) <= 1, (number, kind, code, said)
            why = said[0].split(": ", 3)[-1] if code == 2 and said else ""  # gradproof: error: --out DIR: why
            key = f"{kind}: exit {code}" + (f" ({re.sub(r'[0-9]+', 'N', why)[:48]})" if why else "")
            counts[key] = counts.get(key, 0) + 1
            if code == 0:  # its report is there, or that of the other run that installed one (after it)
                succeeded = {s for s, c in codes.items() if c == 0}
                assert there == seed_ or (len(succeeded) > 1 and there in succeeded), (number, kind, there, codes)
            elif code in (2, 4, 130, 143, -signal.SIGTERM):  # -15: before gradproof's code ran
                assert there != seed_, (number, kind, seed_, code, there)
            else:
                assert code == -signal.SIGKILL, (number, kind, seed_, code, said)
        if not any(code == 0 for code in codes.values()):
            assert there == previous or (killed and there == run - 1), (number, kind, there, previous, codes)
        previous = there
        user.tidy(archive)
    counts["rounds"] = number + 1
    return counts


@pytest.mark.skipif(not hasattr(os, "fork") or not sys.platform.startswith("linux"), reason="forks the runs")
def test_soak(tmp_path):
    counts = soak(tmp_path, rounds=150, seconds=30)
    print(json.dumps(counts, indent=1, sort_keys=True))
    assert counts["rounds"] >= 20
    refused = sum(n for key, n in counts.items() if "another gradproof run" in key)
    finished = sum(n for key, n in counts.items() if key.startswith("signal: exit 0"))
    stopped = sum(n for key, n in counts.items() if key.startswith(("signal: exit 130", "signal: exit 143")))
    assert refused and stopped and finished >= 0  # the races and the signals did happen


if __name__ == "__main__":  # python tests/reports/test_soak.py ROUNDS [SEEDS]: one soak per seed
    import tempfile
    import traceback

    for seed in range(int(sys.argv[2]) if len(sys.argv) > 2 else 1):
        with tempfile.TemporaryDirectory() as folder:
            try:
                print(seed, json.dumps(soak(Path(folder), int(sys.argv[1]), float("inf"), seed), sort_keys=True))
            except AssertionError:
                print(seed, "FAILED:", traceback.format_exc().strip().splitlines()[-1][:300])
