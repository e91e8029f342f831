"""The gradproof command line: subcommands, exit codes, one-line errors."""

import json
import subprocess
import sys

import numpy as np
import pytest

from gradproof.reports import main

SUBCOMMANDS = ["derive", "check", "verify", "report", "stats"]


def run(*args):
    return subprocess.run([sys.executable, "-m", "gradproof", *args], capture_output=True, text=True,
                          timeout=120)


def test_console_script_and_help():
    done = subprocess.run(["gradproof", "--help"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0
    for name in SUBCOMMANDS:
        assert name in done.stdout


@pytest.mark.parametrize("name", SUBCOMMANDS)
def test_every_subcommand_has_help(name, capsys):
    with pytest.raises(SystemExit) as info:
        main([name, "--help"])
    assert info.value.code == 0
    assert "usage: gradproof " + name in capsys.readouterr().out


def test_derive_lists_prints_and_verifies(capsys):
    assert main(["derive"]) == 0
    assert "batch_mean_gradient" in capsys.readouterr().out
    assert main(["derive", "logreg_dL_dw"]) == 0
    out = capsys.readouterr().out
    assert "chain rule" in out and "verified: yes" in out

def test_derive_latex_prints_pure_latex_and_its_status_on_stderr(capsys, tmp_path):
    assert main(["derive", "bce_dL_dz", "--latex"]) == 0
    captured = capsys.readouterr()
    body = [line for line in captured.out.splitlines() if not line.startswith("%")]
    assert body[0] == "\\begin{align*}" and body[-1] == "\\end{align*}"
    assert "verified" not in captured.out and "bce_dL_dz: verified" in captured.err
    assert main(["derive", "--all", "--latex", "--out", str(tmp_path / "kit")]) == 0
    from gradproof import symbolic

    for name in symbolic.catalog():
        assert (tmp_path / "kit" / f"{name}.tex").read_text().count("\\begin{align*}") == 1
        assert (tmp_path / "kit" / f"{name}.typ").exists()


def test_derive_all_verifies_everything(capsys):
    from gradproof import symbolic

    assert main(["derive", "--all"]) == 0
    out = capsys.readouterr().out
    n = len(symbolic.catalog())
    assert f"{n} of {n} derivations verified" in out


def test_derive_reports_a_failed_step_with_exit_1(monkeypatch, capsys):
    from dataclasses import replace

    from gradproof import symbolic

    original = symbolic.catalog()
    d = original["bce_dL_dz"]
    broken = replace(d, steps=d.steps[:-1] + (replace(d.steps[-1], after=d.result.rhs + 1),))
    monkeypatch.setattr(symbolic, "catalog", lambda: {**original, "bce_dL_dz": broken})
    assert main(["derive", "bce_dL_dz"]) == 1
    assert "NO - a step failed" in capsys.readouterr().out


@pytest.mark.parametrize("args, code, text", [
    (["check", "logreg.dL_dw", "x/(1 + exp(-z)) - x*y"], 0, "proved"),
    (["check", "logreg.dL_dw", "(y - sigmoid(z))*x"], 1, "counterexample"),
    (["check", "logreg.dL_dw", "x*(sigmoid(z) - y) + 10**(-40)*x"], 1, "counterexample"),
    (["check", "logreg.dL_dw", "x*(sigmoid(z) - y)*(1 + exp(-exp(10)))"], 3, "undecided"),
    (["check", "logreg.dL_dz", "(sigmoid(z) - y)*(exp(2*z)-1)/((exp(z)-1)*(exp(z)+1))"], 5, "proved-except"),
    (["check", "--list"], 0, "pos_weight.dL_dz"),
    (["check", "gru_head.dL_dv", "-h*(y-sigmoid(z))"], 0, "proved"),
    (["check", "gru_head.dL_dv", "--", "-h*(y-sigmoid(z))"], 0, "proved"),
    (["check", "--", "gru_head.dL_dv", "-h*(sigmoid(z)-y)"], 1, "refuted"),
    (["check", "gru_head.dL_dv", "-(y-sigmoid(z))*h", "--debug"], 0, "proved"),
])
def test_check_exit_codes(args, code, text, capsys):
    assert main(args) == code
    assert text in capsys.readouterr().out


@pytest.mark.parametrize("args, fragment", [
    (["check", "logreg.dL_dw", "x.__class__"], "formula:"),
    (["check", "nope", "x"], "target:"),
    (["check"], "check: give TARGET"),
    (["check", "logreg.dL_dw", "1e1001*x"], "exceeds 1e1000"),
    (["check", "logreg.dL_dw", "x*(sigmoid(z)-y) + 0*log(0)"], "not real-valued"),
    (["check", "logreg.dL_dw", "x*(sigmoid(z)-y) + log(0) - log(0)"], "not real-valued"),
    (["check", "logreg.dL_dw", "x*(sigmoid(z)-y) + (-8)**(1/3)"], "not real-valued"),
    (["check", "logreg.dL_dw", "x*(sigmoid(z)-y) + exp(exp(1000))"], "too large"),
    (["check", "logreg.dL_dw", "x*(sigmoid(z)-y) + (((1/10**100)**100)**100)**100"], "exceeds 1e100"),
    (["check", "logreg.dL_dw", "x", "extra"], "unrecognized arguments"),
    (["derive", "--debug", "nope"], "unknown derivation"),
    (["check", "--debug"], "check: give TARGET"),
    (["derive", "nope"], "unknown derivation"),
    (["derive", "bce_dL_dz", "--all"], "not both"),
    (["derive", "--all", "--out", "x"], "with --latex"),
    (["verify", "--device", "tpu"], "invalid choice"),
    (["frobnicate"], "invalid choice"),
    (["report", "--formats", "gif", "--out", "unused"], "--formats: unknown format"),
    (["report", "--seed", "x"], "invalid int value"),
    (["stats", "--data", "missing.csv"], "no such file"),
])
def test_bad_usage_is_one_line_and_exit_2(args, fragment, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(args) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("gradproof: error:") and fragment in lines[0]
    assert "Traceback" not in captured.err
    assert not (tmp_path / "unused").exists()


def test_errors_have_no_traceback_in_a_real_process():
    done = run("check", "logreg.dL_dw", "__import__('os').system('true')")
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    debug = run("--debug", "check", "logreg.dL_dw", "x.y")
    assert debug.returncode != 0 and "Traceback" in debug.stderr


def test_verify_table_and_json(capsys):
    assert main(["verify", "--device", "cpu"]) == 0
    out = capsys.readouterr().out
    assert "checks passed" in out and "explained" in out
    assert main(["verify", "--json"]) == 0
    results = json.loads(capsys.readouterr().out)
    assert all(r["passed"] for r in results) and {"cpu"} <= {r["device"] for r in results}


def test_verify_exit_1_when_a_check_fails(monkeypatch, capsys):
    from dataclasses import replace

    from gradproof import numeric

    real_verify = numeric.verify

    def one_check_fails(**options):
        results = real_verify(**options)
        return results[:-1] + [replace(results[-1], passed=False)]

    monkeypatch.setattr(numeric, "verify", one_check_fails)
    assert main(["verify", "--device", "cpu"]) == 1
    assert "FAILED" in capsys.readouterr().out


def test_stats_text_and_json(tmp_path, capsys):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(500, 2))
    y = (X[:, 0] - X[:, 1] + rng.normal(size=500) > 0).astype(float)
    np.save(tmp_path / "d.npy", np.c_[X, y])
    np.savetxt(tmp_path / "w.csv", np.array([1.0, -1.0, 0.0]), delimiter=",")
    assert main(["stats", "--data", str(tmp_path / "d.npy"), "--weights", str(tmp_path / "w.csv")]) == 0
    out = capsys.readouterr().out
    assert "B_simple" in out and "500 rows" in out
    assert main(["stats", "--data", str(tmp_path / "d.npy"), "--json", "--chunk-size", "64"]) == 0
    stats = json.loads(capsys.readouterr().out)
    assert stats["count"] == 500 and stats["noise_scale"] > 0 and 0 <= stats["wrong_share"] <= 1


def test_report_command_writes_the_report(tmp_path, capsys):
    assert main(["report", "--out", str(tmp_path / "r"), "--formats", "svg", "--quiet"]) == 0
    assert (tmp_path / "r/report.pdf").exists()
    assert (tmp_path / "r/figures/f1-residual-vs-margin.svg").exists()
    assert capsys.readouterr().out == ""


@pytest.mark.parametrize("content", ["a,label\n1,0\n,1\n", "a,label\n1,0\n2,0\n", "a,label\n1,0\nq,1\n"])
def test_report_with_a_bad_csv_is_exit_2_and_writes_nothing(tmp_path, capsys, content):
    data = tmp_path / "d.csv"
    data.write_text(content)
    assert main(["report", "--data", str(data), "--label", "label", "--out", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("gradproof: error: ")
    assert not (tmp_path / "r").exists()


def test_stats_with_bad_input_is_exit_2(tmp_path, capsys):
    data = tmp_path / "d.csv"
    data.write_text("a,label\n1,0\n2,5\n")
    assert main(["stats", "--data", str(data), "--label", "label"]) == 2
    assert "labels must be 0 or 1" in capsys.readouterr().err
