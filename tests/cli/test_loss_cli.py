"""``gradproof loss``: derivation, margin verdicts and verification; bad input is exit 2."""

import json
import re

import pytest

from gradproof import symbolic
from gradproof.reports import main


def test_loss_focal_prints_derivations_verdicts_and_verification(capsys):
    assert main(["loss", "focal"]) == 0
    out = capsys.readouterr().out
    assert "focal_dL_dz" in out and "verified: yes" in out
    assert "monotone in m: not monotone (refuted)" in out and "local maximum" in out
    assert "logsigmoid" in out and "4 of 4 checks passed" in out


def test_loss_json_and_latex(capsys):
    assert main(["loss", "bce", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["dL_dz"] == "-y + sigmoid(z)"
    assert report["margin"][0]["monotone"] == "decreasing (proved)"
    assert all(d["verified"] for d in report["derivations"])
    assert main(["loss", "focal:gamma=0.5", "--latex"]) == 0
    out = capsys.readouterr().out
    loss = symbolic.loss("focal:gamma=0.5")
    assert f"\\[ L(z, y) = {symbolic.printing.latex(loss.expression)} \\]" in out  # the loss typeset, not SymPy text
    assert "L(z, y) = (3/4" not in out and "\\begin{align*}" in out
    # d/dz of the whole product: its bracket opens after the operator (unpaired when it spans lines)
    assert re.search(r"\\frac\{\\partial\}\{\\partial z\} (\\left)?\(", out)


def test_loss_text_output_starts_with_the_loss(capsys):
    assert main(["loss", "bce"]) == 0
    assert "\nL(z, y) = -y*log(sigmoid(z)) - (1 - y)*log(1 - sigmoid(z))\n" in capsys.readouterr().out


def test_loss_user_formula(capsys):
    assert main(["loss", "log(1 + exp(-(2*y - 1)*z))"]) == 0
    assert "decreasing (proved)" in capsys.readouterr().out


@pytest.mark.parametrize("argv, named", [
    (["loss", "focal:gamma=-1"], "gamma"), (["loss", "label_smoothing"], "eps"),
    (["loss", "y**2"], "does not depend on the logit z"), (["loss", "log(z)"], "it fails at z = "),
    (["loss", "focal:gamma=1e308"], "digits"), (["loss", "focal:gamma=100"], "gamma <= 10"),
    (["loss", "focal:gamma=\uff12"], "digits 0-9"), (["loss", "focal:gamma=\n2"], "control character"),
    (["loss", "hinge"], "unknown loss"),
])
def test_bad_loss_is_one_line_and_exit_2(capsys, argv, named):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert named in err and len(err.strip().splitlines()) == 1


def test_loss_has_help(capsys):
    with pytest.raises(SystemExit) as info:
        main(["loss", "--help"])
    assert info.value.code == 0
    assert "NAME[:param=value,...]" in capsys.readouterr().out


def test_check_with_loss(capsys):
    assert main(["check", "--loss", "label_smoothing:eps=0.2", "dL_dz", "sigmoid(z) - 0.8*y - 0.1"]) == 0
    assert "proved" in capsys.readouterr().out
    assert main(["check", "--loss", "focal:gamma=2,alpha=0.5", "dL_dz", "(sigmoid(z) - y)/2"]) == 1
    assert "counterexample" in capsys.readouterr().out
    assert main(["check", "--loss", "bce", "dL_dw", "x/(1 + exp(-z)) - x*y"]) == 0
    assert main(["check", "--loss", "squared_error", "d2L_dz2", "sigmoid(z)*(1 - sigmoid(z))"]) == 1
    assert main(["check", "--loss", "bce", "dL_dp", "x"]) == 2
    assert "dL_dz" in capsys.readouterr().err


def test_a_report_takes_a_bounded_number_of_losses(capsys, tmp_path):
    argv = ["report", "--out", str(tmp_path / "r")] + ["--loss", "bce"] * 9
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "at most 8 --loss" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "r").exists()
