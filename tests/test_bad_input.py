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
