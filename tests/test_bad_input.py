"""Bad input gets a clear error (or a warning that says what to do), never a silent verdict."""

import numpy as np
import pytest

from midlib import leakage
from midlib.data import load_steak, make_survey, task_from_arrays
from midlib.defenses import DPDecisionTreeClassifier


def test_missing_column_names_the_columns():
    task = make_survey(50, random_state=0)
    with pytest.raises(ValueError, match=r"lack the model's input columns \['hint'\]"):
        task.encode(task.frame.drop(columns="hint"))


def test_infinite_feature_is_refused_not_clipped():
    X = np.array([[0.0], [1.0], [2.0], [3.0]])
    task = task_from_arrays(X, [0, 1, 0, 1], [0, 1, 0, 1])
    frame = task.frame.copy()
    frame.loc[0, "x0"] = np.inf
    with pytest.raises(ValueError, match="infinite"):
        task.encode(frame)
    with pytest.raises(ValueError, match="infinite"):
        task_from_arrays(np.where(X > 2, np.inf, X), [0, 1, 0, 1], [0, 1, 0, 1])


def test_missing_sensitive_values_are_not_a_category():
    X = np.zeros((4, 1))
    with pytest.raises(ValueError, match="missing values"):
        task_from_arrays(X, [0, 1, 0, 1], np.array(["a", None, "b", "a"], dtype=object))


def test_identifier_like_sensitive_column_is_refused():
    n = 200
    with pytest.raises(ValueError, match="Bin it"):
        task_from_arrays(np.random.default_rng(0).random((n, 2)), np.zeros(n), np.arange(n))
    # the same values given explicitly are accepted
    task = task_from_arrays(np.zeros((3, 1)), [0, 1, 0], [0, 1, 2], sensitive_values=[0, 1, 2])
    assert task.sensitive_values == [0, 1, 2]


def test_empty_data():
    with pytest.raises(ValueError, match="no records"):
        task_from_arrays(np.zeros((0, 2)), [], [])


def test_bayes_values_refuse_a_count_table():
    counts = np.array([[30.0, 5.0], [5.0, 60.0]])
    with pytest.raises(ValueError, match="sum to 1"):
        leakage.bayes_success(counts)
    with pytest.raises(ValueError, match="sum to 1"):
        leakage.bayes_advantage(counts[:, None, :])
    assert leakage.bayes_success(counts / counts.sum()) == pytest.approx(0.9)


def test_dp_tree_warns_on_unscaled_features():
    task = load_steak()
    X, y = task.encode() * 100, task.y()   # a blunder: features far outside bounds (0, 1)
    with pytest.warns(UserWarning, match="outside bounds"):
        DPDecisionTreeClassifier(1.0, random_state=0).fit(X, y)


def test_label_mismatch_is_an_error_not_a_no_leak_verdict():
    """The worst blunder: a model fitted on string labels while the task gives integer codes."""
    from sklearn.tree import DecisionTreeClassifier

    from midlib.attacks import ClassifierMAP, WhiteBoxTreeAttack
    from midlib.game import play

    task = make_survey(300, dependence=0.8, random_state=0)
    members, nonmembers = task.split(0.3, random_state=0)
    strings = DecisionTreeClassifier(max_depth=3, random_state=0).fit(
        task.encode(members), members[task.target].to_numpy())
    for attack in (ClassifierMAP(), ClassifierMAP(likelihood="proba"), WhiteBoxTreeAttack()):
        with pytest.raises(ValueError, match="fit the model on task.y"):
            play(task, strings, attack, members=members, nonmembers=nonmembers)
    codes = DecisionTreeClassifier(max_depth=3, random_state=0).fit(task.encode(members),
                                                                   task.y(members))
    assert play(task, codes, ClassifierMAP(), members=members, nonmembers=nonmembers)["n"].all()


# --- midlib.audit on a user's own model and records -------------------------------------------

def _records(n=120, seed=0):
    import pandas as pd

    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({"s": rng.choice(["a", "b"], n), "x": rng.normal(size=n)})
    frame["y"] = np.where(frame["x"] + (frame["s"] == "a") > 0.5, "hi", "lo")
    return frame


def _tree(frame):
    from sklearn.compose import ColumnTransformer
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder
    from sklearn.tree import DecisionTreeClassifier

    return Pipeline([("e", ColumnTransformer([("c", OneHotEncoder(), ["s"])],
                                             remainder="passthrough")),
                     ("t", DecisionTreeClassifier(max_depth=3, random_state=0))]).fit(
        frame[["s", "x"]], frame["y"])


def test_audit_refuses_a_model_fitted_on_other_labels():
    """String labels in the records, integer codes in the model: an error, not a 0 advantage."""
    import midlib

    frame = _records()
    codes = frame.assign(y=(frame["y"] == "hi").astype(int))
    model = _tree(codes)
    with pytest.raises(ValueError, match="integer codes instead of strings"):
        midlib.audit(model, members=frame, sensitive="s", target="y")


def test_audit_refuses_infinite_features_and_missing_sensitive_values():
    import midlib

    frame = _records()
    model = _tree(frame)
    bad = frame.copy()
    bad.loc[3, "x"] = np.inf
    with pytest.raises(ValueError, match="infinite"):
        midlib.audit(model, members=bad, sensitive="s", target="y")
    for missing in (None, np.nan):
        bad = frame.copy()
        bad["s"] = bad["s"].astype(object)
        bad.loc[[2, 5], "s"] = missing
        with pytest.raises(ValueError, match="2 missing values"):
            midlib.audit(model, members=bad, sensitive="s", target="y")


def test_audit_refuses_identifier_like_or_continuous_sensitive_columns():
    import pandas as pd
    from sklearn.linear_model import LinearRegression

    import midlib

    frame = pd.DataFrame({"id": np.arange(30), "x": np.arange(30.0), "y": np.arange(30.0)})
    model = LinearRegression().fit(frame[["id", "x"]], frame["y"])
    with pytest.raises(ValueError, match="like an identifier"):
        midlib.audit(model, members=frame, sensitive="id", target="y")
    frame["id"] = frame["id"] + 0.5
    with pytest.raises(ValueError, match="bin it"):
        midlib.audit(model, members=frame, sensitive="id", target="y")


def test_audit_refuses_an_unfitted_model_and_names_missing_columns():
    from sklearn.tree import DecisionTreeClassifier

    import midlib
    from midlib.auditing import MissingColumnError

    frame = _records()
    with pytest.raises(ValueError, match="not fitted"):
        midlib.audit(DecisionTreeClassifier(), members=frame, sensitive="s", target="y")
    model = _tree(frame)
    with pytest.raises(KeyError, match=r"lack the columns \['x'\]; available columns"):
        midlib.audit(model, members=frame.drop(columns="x"), sensitive="s", target="y")
    with pytest.raises(MissingColumnError, match="available columns"):
        midlib.audit(model, members=frame, sensitive="race", target="y")


def test_audit_refuses_string_seeds_and_empty_data():
    import midlib

    frame = _records()
    model = _tree(frame)
    with pytest.raises(TypeError, match="seeds must be integers"):
        midlib.audit(model, members=frame, sensitive="s", target="y", random_state="0")
    with pytest.raises(ValueError, match="no records"):
        midlib.audit(model, members=frame.iloc[:0], sensitive="s", target="y")


def test_audit_explains_unknown_categories_and_an_unread_sensitive_column():
    from sklearn.linear_model import LogisticRegression

    import midlib

    frame = _records()
    model = _tree(frame)
    other = frame.copy()
    other.loc[0, "s"] = "c"                                # a category the model never saw
    with pytest.raises(ValueError, match="handle_unknown='ignore'"):
        midlib.audit(model, members=other, sensitive="s", target="y")
    blind = LogisticRegression().fit(frame[["x"]], frame["y"])
    report = midlib.audit(blind, members=frame, sensitive="s", target="y")  # passes, says why
    assert any("does not read the sensitive column" in n for n in report.info["notes"])
    assert report.gate(0.05)["decision"] == "PASS" and report.headline["advantage"] == 0


def test_defend_checks_out_folder_before_the_work(tmp_path, capsys):
    from midlib import cli

    _records().to_csv(tmp_path / "r.csv", index=False)
    args = ["defend", "--data", str(tmp_path / "r.csv"), "--sensitive", "s", "--target", "y",
            "--family", "tree", "--out", str(tmp_path / "missing" / "m.skops")]
    assert cli.main(args) == 1
    assert "does not exist: create it first" in capsys.readouterr().err
