import pandas as pd

from midlib import cli
from tests.conftest import requires_real


def test_data_lists_files(capsys):
    assert cli.main(["data"]) == 0
    out = capsys.readouterr().out
    assert "iwpc_data_7_3_09_revised.csv" in out and "data directory" in out


@requires_real("iwpc")
def test_audit_linear_regression_on_iwpc_leaks(capsys):
    assert cli.main(["audit", "iwpc", "--model", "linear", "--seeds", "2"]) == 0
    res = cli.audit("iwpc", "linear", seeds=[0])
    # a plain least-squares dosing model lets the MAP adversary beat the prior guess clearly
    assert (res["advantage_lo"] > 0.1).all()


def test_bad_arguments_give_clear_errors(capsys):
    assert cli.main(["audit", "fair", "--model", "linear"]) == 1
    assert "classification task" in capsys.readouterr().err
    assert cli.main(["audit", "fair", "--model", "mid-tree"]) == 1
    assert "needs --strength" in capsys.readouterr().err
    assert cli.main(["audit", "fair", "--model", "tree", "--strength", "1"]) == 1
    assert "no defence strength" in capsys.readouterr().err
    assert cli.main(["audit", "cifar", "--model", "tree"]) == 1
    assert "tabular data sets" in capsys.readouterr().err
    assert cli.main(["audit", "fair", "--model", "svm"]) == 1
    assert "unknown model" in capsys.readouterr().err


def test_sweep_writes_csv_and_never_overwrites_silently(tmp_path, capsys):
    out = tmp_path / "sweep.csv"
    args = ["sweep", "fair", "--model", "mid-tree", "--strengths", "0", "1", "--seeds", "1",
            "--out", str(out)]
    assert cli.main(args) == 0
    df = pd.read_csv(out)
    assert set(df["strength"]) == {0.0, 1.0} and set(df["game"]) == {"training-set", "distributional"}
    out.write_text("precious")
    assert cli.main(args) == 1
    assert "exists" in capsys.readouterr().err and out.read_text() == "precious"
    assert cli.main(args + ["--force"]) == 0
    assert out.read_text() != "precious"
