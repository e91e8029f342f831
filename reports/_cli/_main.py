"""The ``gradproof`` command line.

Exit codes (README lists them too):

- 0: success, or proved;
- 1: refuted, or a verification failed;
- 2: bad usage or bad input (``InputError``), or a path that cannot be read or written
  (an ``OSError`` such as a missing file, permission denied, a read-only file system);
- 3: undecided;
- 4: could not write the output: the disk is full, a quota or file-size limit was hit, or
  an I/O error (the previous report, if any, is left as it was);
- 5: ``check`` proved the formula except on a set where it is undefined;
- 70: internal error, a bug in gradproof: the traceback is shown (``EX_SOFTWARE``);
- 130: interrupted (Ctrl-C); 143: terminated (SIGTERM); 129: hung up (SIGHUP): partial
  output is removed first, and the previous report is left as it was.  A signal that arrives
  once the new report is being installed lets the install finish: the exit code is then 0, and
  a line on stderr says so.

Errors are one line on stderr; ``--debug`` (anywhere among the arguments) shows the
traceback of bad input, never of a usage error, with the same exit code.  A signal at any
moment, imports included, ends the program with its one line and its exit code, never a
traceback.  Nothing heavy is imported before :func:`main` has its signal handlers: SymPy
(``gradproof.symbolic``) when a subcommand needs it, torch only in the subcommands that do.
"""

from __future__ import annotations

import argparse
import errno
import json
import os
import signal
import sys
import time
import traceback
from collections.abc import Sequence
from typing import Any

from gradproof._version import __version__

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_UNDECIDED, EXIT_NOT_WRITTEN = 0, 1, 2, 3, 4
EXIT_INTERNAL = 70  # EX_SOFTWARE of sysexits.h: a bug, shown with its traceback
EXIT_INTERRUPTED = 130
# OS errors that mean "the output could not be written", as opposed to a wrong path
NOT_WRITTEN_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO}
# the library's argument names (InputError.argument) and the flags that set them: ``data file x.csv: ...``
# is said as ``--data x.csv: ...``
FLAGS = {"data file": "--data", "data": "--data", "label": "--label", "weights file": "--weights",
         "chunk_size": "--chunk-size", "epochs": "--epochs", "seed": "--seed", "device": "--device"}
EXIT_PROVED_EXCEPT = 5  # check: proved except where the formula is undefined
MAX_REPORT_LOSSES = 8
"""The most --loss options one report takes (a bounded run: each loss has its own CPU budget)."""

_CHECK_OPTIONS = {"--list", "-h", "--help", "--debug", "--json"}


class UsageError(ValueError):
    """Bad usage of the command line: exit code 2, never a traceback."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, exit 2
        raise UsageError(f"{self.prog}: {message}")


def _derive(args) -> int:
    from gradproof import symbolic

    derivations = symbolic.catalog()
    if args.name and args.all:
        raise UsageError("derive: give a NAME or --all, not both")
    if args.out and not args.latex:
        raise UsageError("derive: --out writes LaTeX and Typst files; give it with --latex")
    if args.json and args.latex:
        raise UsageError("derive: give --json or --latex, not both")
    if not args.name and not args.all:
        if args.json:
            print(json.dumps([{"name": name, "title": d.title} for name, d in derivations.items()], indent=2))
            return EXIT_OK
        for name, d in derivations.items():
            print(f"{name:<28}{d.title}")
        return EXIT_OK
    if args.name and args.name not in derivations:
        raise UsageError(f"derive: unknown derivation {args.name!r}; run 'gradproof derive' for the list")
    chosen = list(derivations.values()) if args.all else [derivations[args.name]]
    if args.latex:
        return _derive_latex(chosen, args.out)
    if args.json:
        return _derive_json(chosen)
    failed = 0
    for d in chosen:
        ok, verdicts = d.audit()
        failed += not ok
        print(d.worked(ascii=args.ascii))
        if not args.all:  # the links need numeric, hence torch: one derivation only keeps --all fast
            from .._links import derivation_links

            print("\n".join(f"  {line}" for line in derivation_links(d.name)))
        verdict = "yes, every step proved exactly and confirmed numerically" if ok else "NO - a step failed"
        print(f"  verified: {verdict}")
        for v in verdicts:
            if not v.ok:
                print(("  SOUNDNESS FAULT of the engine: " if v.status == "fault" else "  ") + v.describe())
        print()
    if args.all:
        print(f"{len(chosen) - failed} of {len(chosen)} derivations verified")
    return EXIT_FAILED if failed else EXIT_OK


def _derive_json(chosen) -> int:
    """Each derivation's :meth:`~gradproof.symbolic.Derivation.as_dict` with ``verified`` and each
    step's ``status`` (the schema is in the README)."""
    failed, found = 0, []
    for d in chosen:
        ok, verdicts = d.audit()
        failed += not ok
        found.append({**d.as_dict(), "verified": ok,
                      "step_status": [{"step": v.step, "status": v.status, "reason": v.reason} for v in verdicts]})
    print(json.dumps(found if len(found) > 1 else found[0], indent=2))
    return EXIT_FAILED if failed else EXIT_OK


def _derive_latex(chosen, out: str | None) -> int:
    """Pure LaTeX on stdout (one align* per derivation, a blank line between them), or with
    ``out`` a NAME.tex and a NAME.typ per derivation in that folder; statuses go to stderr."""
    from pathlib import Path

    from .._document import derivation_latex, derivation_typst

    folder = Path(out) if out else None
    if folder is not None:
        folder.mkdir(parents=True, exist_ok=True)
    failed = 0
    for number, d in enumerate(chosen):
        ok = d.verify()
        failed += not ok
        if folder is None:
            print(("\n" if number else "") + derivation_latex(d), end="")
        else:
            (folder / f"{d.name}.tex").write_text(derivation_latex(d))
            (folder / f"{d.name}.typ").write_text(derivation_typst(d))
        print(f"{d.name}: {'verified, every step re-checked by SymPy' if ok else 'NOT VERIFIED - a step failed'}",
              file=sys.stderr)
    if folder is not None:
        print(f"wrote {2 * len(chosen)} files to {folder}", file=sys.stderr)
    return EXIT_FAILED if failed else EXIT_OK


def _check(args) -> int:
    from gradproof import symbolic

    if args.list:
        for target in symbolic.targets().values():
            print(target.describe())
        print("formulas may use + - * / and ** or ^, numbers (read exactly: 0.1 is 1/10), the constants e "
              "and pi, and the functions sigmoid (or sigma, σ), exp, log (or ln), tanh; exp z and exp -z mean "
              "exp(z) and exp(-z); batch targets sum over the samples with sum(EXPR, i)")
        return EXIT_OK
    if not args.target or args.formula is None:
        raise UsageError("check: give TARGET and \"FORMULA\", or --list")
    target, started = args.target, time.process_time()
    if args.loss:
        loss_targets = symbolic.loss(args.loss).targets()
        if target not in loss_targets:
            raise UsageError(f"check: with --loss, TARGET is one of {', '.join(loss_targets)}")
        target = loss_targets[target]
    left = symbolic.CHECK_SECONDS - (time.process_time() - started)  # one budget for the loss and the check
    verdict = symbolic.check(target, args.formula, seconds=max(1.0, left))
    print(json.dumps(verdict.as_dict(), indent=2) if args.json else verdict)
    if verdict.fault:
        print(f"gradproof: soundness fault in the checker: {verdict.fault}", file=sys.stderr)
    return {"proved": EXIT_OK, "proved-except": EXIT_PROVED_EXCEPT,
            "refuted": EXIT_FAILED}.get(verdict.status, EXIT_UNDECIDED)


def _arguments(argv: list[str]) -> list[str]:
    """After ``check`` every word that is not one of its options is a positional argument,
    so a formula may begin with '-' (``--`` still works)."""
    words = [i for i, a in enumerate(argv) if not a.startswith("-")]
    if not words or argv[words[0]] != "check" or "--" in argv[:words[0]]:
        return argv
    at = words[0] + 1
    options, positional, rest = [], [], iter(argv[at:])
    for word in rest:
        if word == "--":
            positional += list(rest)
        elif word in _CHECK_OPTIONS or word.startswith("--loss="):
            options.append(word)
        elif word == "--loss":
            options += [word, next(rest, "")]
        else:
            positional.append(word)
    return argv[:at] + options + ["--", *positional]


def _verify(args) -> int:
    from gradproof import numeric

    from .._document import verification_table

    results = numeric.verify(device=args.device)
    if args.json:
        print(json.dumps([r.as_dict() for r in results], indent=2))
    else:
        print(verification_table(results))
    return EXIT_OK if all(r.passed for r in results) else EXIT_FAILED


def _report(args) -> int:
    if len(args.loss or ()) > MAX_REPORT_LOSSES:
        raise UsageError(f"report: at most {MAX_REPORT_LOSSES} --loss options (got {len(args.loss)}): each adds a "
                         "section and up to a loss's 8 s budget; run 'gradproof loss' for the others")
    from .._build import build_report

    formats = tuple(f.strip() for f in args.formats.split(",") if f.strip())
    path = build_report(args.out, seed=args.seed, device=args.device, data=args.data,
                        label=args.label, formats=formats, quiet=args.quiet, losses=tuple(args.loss or ()),
                        on_installed=lambda out: setattr(args, "installed", out))
    if not args.quiet:
        print(f"wrote {path}")
    return EXIT_OK


def _stats(args) -> int:
    from ._stats import run_stats

    return run_stats(args)


def _loss(args) -> int:
    from ._loss import run_loss

    return run_loss(args)


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="gradproof", description="Prove, confirm and show the gradients of "
                     "binary cross-entropy.")
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    parser.add_argument("--version", action="version", version=f"gradproof {__version__}")
    debug = _Parser(add_help=False)  # --debug also after the subcommand
    debug.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help="show tracebacks on errors")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    add = _with_parents(sub.add_parser, [debug])

    p = add("derive", help="print derivations, each re-verified by SymPy")
    p.add_argument("name", nargs="?", help="a derivation name (omit to list them)")
    p.add_argument("--all", action="store_true", help="verify and print every derivation")
    p.add_argument("--ascii", action="store_true", help="plain ASCII maths instead of Unicode")
    p.add_argument("--json", action="store_true", help="print each derivation, its steps and verdicts as JSON")
    p.add_argument("--latex", action="store_true",
                   help="print pure LaTeX (an amsmath align* per derivation) on stdout; statuses on stderr")
    p.add_argument("--out", metavar="DIR",
                   help="with --latex: write NAME.tex and NAME.typ per derivation into DIR instead")
    p.set_defaults(run=_derive)

    p = add("check", help="prove or refute a formula for a named gradient")
    p.add_argument("target", nargs="?", help="e.g. logreg.dL_dw (see --list)")
    p.add_argument("formula", nargs="?", help='e.g. "x*(sigmoid(z) - y)"')
    p.add_argument("--list", action="store_true", help="list targets and their variables")
    p.add_argument("--loss", help="check a gradient of this loss (NAME[:param=value,...] or a formula); "
                   "TARGET is then dL_dz, dL_dw (variables z, y, x) or d2L_dz2")
    p.add_argument("--json", action="store_true", help="print the verdict as JSON (keys in the README)")
    p.set_defaults(run=_check)

    p = add("verify", help="closed forms against autograd and finite differences")
    p.add_argument("--device", choices=["cpu", "cuda"], help="default: cpu, and cuda when present")
    p.add_argument("--json", action="store_true", help="print the results as JSON")
    p.set_defaults(run=_verify)

    p = add("report", help="write the PDF report, figures, CSVs and manifest")
    p.add_argument("--out", default="gradproof-report", help="output directory (default: %(default)s)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default: %(default)s)")
    p.add_argument("--device", choices=["cpu", "cuda"], help="default: cuda when present, else cpu")
    p.add_argument("--data", help="a CSV of numeric features and a 0/1 label column")
    p.add_argument("--label", help="the label column of --data")
    p.add_argument("--formats", default="pdf,png", help="figure formats, of pdf,png,svg (default: %(default)s)")
    p.add_argument("--quiet", action="store_true", help="no progress bar or summary")
    p.add_argument("--loss", action="append", help="add a loss to the two loss figures and a section of "
                   "derivations for it (NAME[:param=value,...] or a formula; repeatable)")
    p.set_defaults(run=_report)

    p = add("stats", help="batch gradient statistics of logistic regression on a data file")
    p.add_argument("--data", required=True, help="a .csv or .npy file (npy: last column is the label)")
    p.add_argument("--label", help="the label column of a CSV (default: the last column)")
    p.add_argument("--weights", help="a .npy or .csv of d weights followed by the bias")
    p.add_argument("--chunk-size", type=int, default=65536,
                   help="rows read at a time: bounds memory, the results do not depend on it (default: %(default)s)")
    p.add_argument("--epochs", type=int, default=3, help="epochs of fitting when no --weights (default: %(default)s)")
    p.add_argument("--json", action="store_true", help="print the statistics as JSON")
    p.set_defaults(run=_stats)

    p = add("loss", help="derive, prove and verify the gradients of any binary loss")
    p.add_argument("loss", help='NAME[:param=value,...] (e.g. focal:gamma=2,alpha=0.25) or a formula in z and y')
    p.add_argument("--latex", action="store_true", help="print the derivations as LaTeX")
    p.add_argument("--json", action="store_true", help="print everything as JSON")
    p.set_defaults(run=_loss)
    return parser


def _with_parents(add_parser, parents):
    def add(name, **kwargs):
        return add_parser(name, parents=parents, **kwargs)
    return add


def _os_message(error: OSError) -> str:
    where = f"{error.filename}: " if error.filename else ""
    what = error.strerror or str(error) or type(error).__name__
    if error.errno in NOT_WRITTEN_ERRNOS:
        return f"could not write {where}{what}; nothing was replaced"
    return f"{where}{what}"


def _fail(message: str, code: int) -> int:
    print(f"gradproof: error: {message}", file=sys.stderr)
    return code


STOPPING = tuple(s for s in (signal.SIGINT, signal.SIGTERM, getattr(signal, "SIGHUP", None)) if s is not None)


class _Signalled(KeyboardInterrupt):
    """SIGTERM or SIGHUP: unwind as for Ctrl-C, then exit 128 + signum."""

    def __init__(self, signum: int):
        super().__init__(f"terminated by signal {signum}")
        self.signum = signum


class _Run:
    """What one call of :func:`main` has seen: the signals, whether it is stopping or returning."""

    def __init__(self) -> None:
        self.signals: list[int] = []
        self.stopping = False  # unwinding after a signal, or done: further signals are only noted

    def handler(self, signum: int, frame) -> None:
        self.signals.append(signum)
        if self.stopping:
            return
        if signum == signal.SIGINT:
            raise KeyboardInterrupt
        raise _Signalled(signum)

    def install(self) -> dict:
        """Handle the stopping signals whose handler is Python's default; return the ones replaced."""
        previous = {}
        at_start = getattr(sys.modules.get("gradproof"), "_interrupted_at_start", None)  # the program's, till now
        for signum in STOPPING:
            current = signal.getsignal(signum)
            if current in (signal.SIG_DFL, signal.default_int_handler) or (at_start and current is at_start):
                previous[signum] = signal.signal(signum, self.handler)
        return previous


def _interrupted(run: _Run, signum: int | None, args) -> int:
    """The line and the exit code of a run that a signal stopped: 0 when the new report had been
    installed before (it is complete), else 128 + the signal."""
    run.stopping = True
    signum = signum or (run.signals[0] if run.signals else signal.SIGINT)
    what = "interrupted" if signum == signal.SIGINT else f"terminated by signal {signum}"
    installed = getattr(args, "installed", None)
    if installed is not None:
        print(f"gradproof: {what} after the new report was installed: {installed} holds it, complete",
              file=sys.stderr)
        return EXIT_OK
    print(f"gradproof: {what}", file=sys.stderr)
    return 128 + signum


def _input_error_class() -> type | None:
    """gradproof's InputError, if gradproof.symbolic has been imported (none can be raised before)."""
    return getattr(sys.modules.get("gradproof.symbolic"), "InputError", None)


def _run(argv: Sequence[str] | None, run: _Run) -> int:
    args = None
    debug = False
    try:
        args = _parser().parse_args(_arguments(list(sys.argv[1:] if argv is None else argv)))
        debug = args.debug
        return args.run(args)
    except UsageError as error:
        return _fail(str(error).splitlines()[0], EXIT_USAGE)
    except OSError as error:
        if isinstance(error, BrokenPipeError):  # output piped into a program that stopped reading
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            return EXIT_OK
        if debug:
            traceback.print_exc()
        return _fail(_os_message(error), EXIT_NOT_WRITTEN if error.errno in NOT_WRITTEN_ERRNOS else EXIT_USAGE)
    except KeyboardInterrupt as interrupt:
        return _interrupted(run, getattr(interrupt, "signum", None), args)
    except Exception as error:
        input_error = _input_error_class()
        if input_error is not None and isinstance(error, input_error):
            if debug:
                traceback.print_exc()
            bad: Any = error  # an InputError: its argument and naming()
            flag = FLAGS.get(bad.argument) if bad.argument else None
            lines = (bad.naming(flag) if flag else str(bad)).splitlines()
            return _fail(lines[0] if lines else type(error).__name__, EXIT_USAGE)
        if run.signals:  # a library turned the signal into another error (an import cut short, say)
            return _interrupted(run, None, args)
        traceback.print_exc()
        return _fail("internal error: this is a bug in gradproof; please report it with the traceback "
                     "above", EXIT_INTERNAL)
    finally:
        run.stopping = True  # the exit code is decided: a signal from here on is only noted


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; return the exit code (see the module docstring).

    As the program (``argv`` None), it leaves the stopping signals ignored once its exit code is
    decided, and after a signal it ends without the interpreter's teardown of half-imported
    libraries; called with ``argv``, it restores the handlers it found."""
    run = _Run()
    previous = run.install()
    try:
        code = _run(argv, run)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, signal.SIG_IGN if argv is None else handler)
    if argv is None and run.signals:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):
                pass
        os._exit(code)
    return code


if __name__ == "__main__":
    sys.exit(main())
