"""The new user's path, end to end, on a data set the book does not use: statsmodels' ANES 1996
survey (shipped inside statsmodels, no network). Train a scikit-learn Pipeline with a
ColumnTransformer on its CSV, save it with skops, audit it from the command line (table, JSON,
HTML checked in a headless browser, the CI gate) and defend it."""

import json

import numpy as np
import pandas as pd
import pytest

from midlib import cli
from tests.browser import render, require_browser

PARTY = ["strong dem", "weak dem", "ind dem", "indep", "ind rep", "weak rep", "strong rep"]
FEATURES = ["age", "educ", "income", "TVnews", "selfLR", "party"]


def anes96() -> pd.DataFrame:
    import statsmodels.api as sm

    d = sm.datasets.anes96.load_pandas().data
    frame = pd.DataFrame({"age": d["age"], "educ": d["educ"].astype(int),
                          "income": d["income"].astype(int), "TVnews": d["TVnews"],
                          "selfLR": d["selfLR"], "party": [PARTY[int(v)] for v in d["PID"]],
                          "vote": np.where(d["vote"] == 1, "Dole", "Clinton")})
    frame["in_train"] = np.random.default_rng(0).random(len(frame)) < 0.6
    return frame


@pytest.fixture(scope="module")
def user(tmp_path_factory):
    """A user's records (CSV) and model (.skops): a random forest behind a ColumnTransformer."""
    import skops.io as sio
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    tmp = tmp_path_factory.mktemp("anes")
    frame = anes96()
    frame.to_csv(tmp / "records.csv", index=False)
    train = frame[frame["in_train"]]
    frame[frame["in_train"]].drop(columns="in_train").to_csv(tmp / "train.csv", index=False)
    frame[~frame["in_train"]].drop(columns="in_train").to_csv(tmp / "holdout.csv", index=False)
    pipe = Pipeline([
        ("encode", ColumnTransformer([("cat", OneHotEncoder(handle_unknown="ignore"), ["party"]),
                                      ("num", StandardScaler(), FEATURES[:-1])])),
        ("forest", RandomForestClassifier(n_estimators=30, random_state=0))])
    pipe.fit(train[FEATURES], train["vote"])
    sio.dump(pipe, tmp / "model.skops")
    return tmp


def base_args(user):
    return ["audit", "--model", str(user / "model.skops"), "--data", str(user / "records.csv"),
            "--sensitive", "party", "--target", "vote", "--members-column", "in_train"]


def test_audit_prints_a_table_writes_json_and_gates(user, capsys):
    out = user / "report.json"
    assert cli.main(base_args(user) + ["--json", str(out)]) == 0
    text = capsys.readouterr().out
    assert "HEADLINE" in text and "white-box tree" in text and "imputation" in text
    report = json.loads(out.read_text())
    assert report["schema"] == "midlib.audit/2"
    assert report["info"]["values"] == sorted(PARTY) and report["info"]["n_members"] > 500
    attacks = {r["attack"] for r in report["results"]}
    assert {"output", "map", "csmia", "lomia", "likelihood", "whitebox_tree", "learned"} <= attacks
    assert [r["rung"] for r in report["ladder"]][:2] == ["prior", "imputation"]
    h = report["headline"]
    assert None not in (h["advantage"], h["advantage_lo"], h["advantage_hi"])
    # the CI gate: 3 (FAIL) below the interval, 0 (PASS) above it, 4 (INCONCLUSIVE) inside it
    assert cli.main(base_args(user) + ["--fail-above", "0"]) in (3, 4)
    assert "gate" in capsys.readouterr().err
    assert cli.main(base_args(user) + ["--fail-above", "1"]) == 0
    inside = (h["advantage_lo"] + h["advantage_hi"]) / 2
    assert cli.main(base_args(user) + ["--fail-above", str(max(inside, 0.0))]) == 4
    assert "would decide it" in capsys.readouterr().err
    assert cli.main(base_args(user) + ["--fail-above", "5"]) == 1          # not an advantage
    assert "[0, 1]" in capsys.readouterr().err
    # never overwrite silently, and JSON to stdout
    assert cli.main(base_args(user) + ["--json", str(out)]) == 1
    assert "--force" in capsys.readouterr().err
    assert cli.main(base_args(user) + ["--json", "-"]) == 0
    assert json.loads(capsys.readouterr().out)["schema"] == "midlib.audit/2"


def test_train_and_holdout_files(user, capsys):
    args = ["audit", "--model", str(user / "model.skops"), "--train", str(user / "train.csv"),
            "--holdout", str(user / "holdout.csv"), "--sensitive", "party", "--target", "vote",
            "--json", "-"]
    assert cli.main(args) == 0
    report = json.loads(capsys.readouterr().out)
    assert {r["game"] for r in report["results"]} == {"training-set", "distributional"}


def test_html_report_renders_in_a_headless_browser(user, tmp_path):
    require_browser()
    page = tmp_path / "report.html"
    assert cli.main(base_args(user) + ["--html", str(page)]) == 0
    source = page.read_text()
    assert "http://" not in source and "https://" not in source     # self-contained
    dom, shot = render(page, tmp_path)
    assert "<table" in dom and "HEADLINE advantage" in dom
    assert dom.count("data:image/png;base64,") == 3 and "The ladder" in dom
    assert "white-box tree" in dom and "imputation from the other columns" in dom
    assert shot.stat().st_size > 20_000                               # a non-empty screenshot


def test_defend_recommends_and_saves_a_model(user, tmp_path, capsys):
    from midlib.auditing import load_model

    frame = anes96().drop(columns="in_train")
    frame.to_csv(tmp_path / "records.csv", index=False)
    out, html, png = tmp_path / "defended.skops", tmp_path / "frontier.html", tmp_path / "f.png"
    args = ["defend", "--data", str(tmp_path / "records.csv"), "--sensitive", "party",
            "--target", "vote", "--family", "tree", "--budget", "0.1", "--out", str(out),
            "--html", str(html), "--png", str(png)]
    assert cli.main(args) == 0
    text = capsys.readouterr().out
    assert "recommended:" in text and out.exists() and png.stat().st_size > 10_000
    model = load_model(out)          # midlib's own types load without --trust-types
    assert set(model.predict(frame.head(5).drop(columns="vote"))) <= {"Clinton", "Dole"}
    assert "data:image/png;base64," in html.read_text()
    assert cli.main(args) == 1                                         # exists: refuse
    assert "--force" in capsys.readouterr().err


def test_dataset_audit_and_file_audit_give_the_same_headline(tmp_path, capsys):
    """`midlib audit --dataset` is the same engine on the same fitted model and records."""
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    model, records = tmp_path / "m.skops", tmp_path / "r.csv"
    assert cli.main(["audit", "--dataset", "steak", "--model", "tree", "--n-seeds", "1",
                     "--json", str(a), "--save-model", str(model),
                     "--save-records", str(records)]) == 0
    assert cli.main(["audit", "--model", str(model), "--data", str(records), "--members-column",
                     "member", "--sensitive", "cheated", "--target", "steak",
                     "--json", str(b)]) == 0
    ha, hb = json.loads(a.read_text())["headline"], json.loads(b.read_text())["headline"]
    assert ha == hb
