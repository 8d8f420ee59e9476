import pandas as pd

from midlib import cli
from tests.conftest import requires_real


def test_data_lists_files(capsys):
    assert cli.main(["data"]) == 0
    out = capsys.readouterr().out
    assert "iwpc_data_7_3_09_revised.csv" in out and "data directory" in out


@requires_real("iwpc")
def test_audit_linear_regression_on_iwpc_leaks(capsys):
    assert cli.main(["audit", "--dataset", "iwpc", "--model", "linear", "--n-seeds", "2"]) == 0
    res = cli.audit("iwpc", "linear", seeds=[0])
    # a plain least-squares dosing model lets the MAP adversary beat the prior guess clearly
    assert (res["advantage_lo"] > 0.1).all()


def test_bad_arguments_give_clear_errors(capsys):
    def run(*args):
        return cli.main(["audit", "--dataset", *args])

    assert run("fair", "--model", "linear") == 1
    assert "classification task" in capsys.readouterr().err
    assert run("fair", "--model", "mid-tree") == 1
    assert "needs --strength" in capsys.readouterr().err
    assert run("fair", "--model", "tree", "--strength", "1") == 1
    assert "no defence strength" in capsys.readouterr().err
    assert run("cifar", "--model", "tree") == 1
    assert "tabular data sets" in capsys.readouterr().err
    assert run("fair", "--model", "svm") == 1
    assert "unknown model" in capsys.readouterr().err
    assert run("fair", "--model", "tree", "--n-seeds", "0") == 1
    assert "number of seeds" in capsys.readouterr().err


def test_own_model_audit_needs_its_columns_and_records(tmp_path, capsys):
    assert cli.main(["audit", "--model", "m.skops", "--data", "r.csv", "--target", "y"]) == 1
    assert "needs --sensitive" in capsys.readouterr().err
    assert cli.main(["audit", "--model", "m.skops", "--sensitive", "s", "--target", "y"]) == 1
    assert "give the records" in capsys.readouterr().err
    assert cli.main(["audit", "--model", str(tmp_path / "m.skops"), "--data", "r.csv",
                     "--sensitive", "s", "--target", "y"]) == 1
    assert "does not exist" in capsys.readouterr().err
    # output folders are checked before any work
    assert cli.main(["audit", "--model", "m.skops", "--data", "r.csv", "--sensitive", "s",
                     "--target", "y", "--html", str(tmp_path / "no" / "r.html")]) == 1
    assert "does not exist: create it first" in capsys.readouterr().err


def test_sweep_writes_csv_and_never_overwrites_silently(tmp_path, capsys):
    out = tmp_path / "sweep.csv"
    args = ["sweep", "fair", "--model", "mid-tree", "--strengths", "0", "1", "--n-seeds", "1",
            "--out", str(out)]
    assert cli.main(args) == 0
    df = pd.read_csv(out)
    assert set(df["strength"]) == {0.0, 1.0} and set(df["game"]) == {"training-set", "distributional"}
    out.write_text("precious")
    assert cli.main(args) == 1
    assert "exists" in capsys.readouterr().err and out.read_text() == "precious"
    assert cli.main(args + ["--force"]) == 0
    assert out.read_text() != "precious"


def test_old_seeds_spelling_still_counts_seeds(capsys):
    """``--seeds`` (a count, confusingly named) is kept as an alias of ``--n-seeds``."""
    assert cli.main(["sweep", "fair", "--model", "tree", "--strengths", "1", "--seeds", "0",
                     "--out", "x.csv"]) == 1
    assert "number of seeds" in capsys.readouterr().err


def test_sweep_runs_in_parallel_and_resumes_from_its_store(tmp_path):
    """`midlib sweep --n-jobs 2 --store S`: the same rows as a serial run, and a second run
    recomputes nothing (every point is read back from the store)."""
    from midlib.sweeps import ResultStore

    args = ["sweep", "iwpc", "--model", "mid-linear", "--strengths", "0", "0.01", "--n-seeds", "2"]
    store = tmp_path / "points.sqlite"
    assert cli.main(args + ["--out", str(tmp_path / "serial.csv"), "--n-jobs", "1"]) == 0
    assert cli.main(args + ["--out", str(tmp_path / "par.csv"), "--n-jobs", "2", "--store", str(store)]) == 0
    serial, par = (pd.read_csv(tmp_path / f) for f in ("serial.csv", "par.csv"))
    pd.testing.assert_frame_equal(serial, par)
    with ResultStore(store) as s:
        assert len(s) == 4   # 2 strengths x 2 seeds
    assert cli.main(args + ["--out", str(tmp_path / "again.csv"), "--store", str(store)]) == 0
    pd.testing.assert_frame_equal(serial, pd.read_csv(tmp_path / "again.csv"))
    with ResultStore(store) as s:
        assert len(s) == 4
