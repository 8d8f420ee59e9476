"""Tests of midlib.attacks.trees: Fredrikson et al. (2015)'s white-box and black-box tree attacks."""

import importlib.util

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.tree import DecisionTreeClassifier

from midlib import data as datasets
from midlib.attacks import ClassifierMAP, WhiteBoxTreeAttack, art_guesses
from midlib.defenses.dp_tree import DPDecisionTreeClassifier
from midlib.defenses.mid_tree import MIDDecisionTreeClassifier
from midlib.defenses.priority_tree import PriorityDecisionTreeClassifier
from midlib.game import play

P_SENSITIVE = 0.2


def _bayes_guess(task, frame, dependence):
    """The exact Bayes rule of make_survey with the label known: argmax_s p(s) P(y | s)
    (the other answers are independent of s given the label)."""
    lik = datasets.survey_label_given_s(dependence, 3)
    joint = np.array([1 - P_SENSITIVE, P_SENSITIVE])[:, None] * lik
    best = np.argmax(joint, axis=0)  # per label
    return np.asarray(task.sensitive_values, dtype=object)[best[task.y(frame)]]


def _setting(dependence, seed):
    task = datasets.make_survey(6000, dependence, p_sensitive=P_SENSITIVE, random_state=seed)
    train, test = task.split(0.5, seed)
    model = DecisionTreeClassifier(min_samples_leaf=20, random_state=0).fit(task.encode(train), task.y(train))
    return task, train, test, model


@pytest.mark.parametrize("seed", [0, 1])
def test_attacks_against_exact_bayes(seed):
    task, train, test, model = _setting(0.8, seed)
    truth = test[task.sensitive].to_numpy()
    bayes = (_bayes_guess(task, test, 0.8) == truth).mean()
    exact = datasets.survey_label_given_s(0.8, 3) * np.array([1 - P_SENSITIVE, P_SENSITIVE])[:, None]
    assert exact.max(0).sum() == pytest.approx(0.92, abs=1e-3)
    res = {}
    for name, adv in [("partition", WhiteBoxTreeAttack("partition")), ("prior", WhiteBoxTreeAttack()),
                      ("black", ClassifierMAP())]:
        row = play(task, model, adv, members=train, nonmembers=test).set_index("game").loc["distributional"]
        res[name] = row
        # nobody beats the Bayes rule (beyond sampling noise on the same targets)
        assert row.success <= bayes + 0.01, (name, row.success, bayes)
        assert row.advantage > 0.02, (name, row.advantage)
    # the partition-weighted white-box attack is close to Bayes-optimal on this survey
    assert res["partition"].success >= bayes - 0.03, (res["partition"].success, bayes)


def test_no_dependence_no_advantage():
    task, train, test, model = _setting(0.0, 3)
    for adv in [WhiteBoxTreeAttack("partition"), WhiteBoxTreeAttack(), ClassifierMAP()]:
        row = play(task, model, adv, members=train, nonmembers=test).set_index("game").loc["distributional"]
        assert abs(row.advantage) <= 0.01, (adv, row.advantage)


def _all_trees(j):
    return [
        DecisionTreeClassifier(min_samples_leaf=5, random_state=0),
        MIDDecisionTreeClassifier(0.0, min_samples_leaf=5, random_state=0),
        MIDDecisionTreeClassifier(0.6, min_samples_leaf=5, random_state=0),
        DPDecisionTreeClassifier(1.0, max_depth=3, random_state=0),
        PriorityDecisionTreeClassifier(j, position="top", min_samples_leaf=5, random_state=0),
        PriorityDecisionTreeClassifier(j, position="bottom", min_samples_leaf=5, random_state=0),
    ]


def test_attacks_run_on_every_tree():
    task = datasets.make_survey(600, 0.6, random_state=2)
    train, test = task.split(0.3, 0)
    for model in _all_trees(task.sensitive_columns()[0]):
        model.fit(task.encode(train), task.y(train))
        for adv in [WhiteBoxTreeAttack(), ClassifierMAP()]:
            adv.fit(task, train)
            s = adv.scores(model, test.assign(**{task.sensitive: None}))
            assert s.shape == (len(test), 2)
            np.testing.assert_allclose(s.sum(1), 1.0)
            out = play(task, model, adv, members=train, nonmembers=test)
            assert set(out.game) == {"training-set", "distributional"}


def test_black_box_confusion_rows_are_distributions():
    task = datasets.make_survey(600, 0.6, random_state=2)
    model = DecisionTreeClassifier(max_depth=3, random_state=0).fit(task.encode(), task.y())
    adv = ClassifierMAP().fit(task, task.frame)
    pi = adv.confusion(model)
    np.testing.assert_allclose(pi.sum(1), 1.0)
    # black-box works on any classifier, not only trees
    lr = LogisticRegression().fit(task.encode(), task.y())
    assert adv.scores(lr, task.frame).shape == (len(task.frame), 2)


def test_white_box_refuses_a_non_tree_and_bad_parameters():
    task = datasets.make_survey(200, 0.6, random_state=2)
    lr = LogisticRegression().fit(task.encode(), task.y())
    adv = WhiteBoxTreeAttack().fit(task, task.frame)
    with pytest.raises(TypeError, match="tree_"):
        adv.scores(lr, task.frame)
    with pytest.raises(ValueError, match="weighting"):
        WhiteBoxTreeAttack("counts").fit(task, task.frame)
    with pytest.raises(ValueError, match="smoothing"):
        ClassifierMAP(smoothing=-1).fit(task, task.frame)


@pytest.mark.skipif(importlib.util.find_spec("art") is None, reason="adversarial-robustness-toolbox not installed")
def test_art_agrees_where_a_prediction_matches():
    """ART's AttributeInferenceWhiteBoxDecisionTree and our prior-weighted white-box attack use the
    same rule whenever at least one candidate's prediction equals the known label."""
    task = datasets.make_survey(800, 0.7, random_state=4)
    train, test = task.split(0.3, 4)
    model = DecisionTreeClassifier(min_samples_leaf=3, random_state=0).fit(task.encode(train), task.y(train))
    ours = WhiteBoxTreeAttack().fit(task, train).guess(model, test.assign(**{task.sensitive: None}))
    art = art_guesses(model, task, test, task.prior(train), kind="decision_tree")
    match = np.zeros(len(test), dtype=bool)
    for v in task.sensitive_values:
        match |= model.predict(task.encode(task.with_sensitive(test, v))) == task.y(test)
    assert match.mean() > 0.5
    np.testing.assert_array_equal(ours[match], art[match])
    life = art_guesses(model, task, test, task.prior(train), kind="lifestyle")
    assert set(life) <= set(task.sensitive_values) and len(life) == len(test)
