"""Tests of midlib.defenses.mid_tree: stochastic trees, exact I(X; Yhat), MID pruning."""

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from sklearn.tree import DecisionTreeClassifier
from sklearn.utils.estimator_checks import check_estimator

from midlib import data as datasets
from midlib.defenses.mid_tree import (MIDDecisionTreeClassifier, enumerate_prunings, mid_prune,
                                      pruning_objective)
from midlib.defenses.tree_base import leaf_ids, node_counts, stochastic_tree_information
from midlib.leakage import entropy


@pytest.mark.parametrize("est", [
    MIDDecisionTreeClassifier(random_state=0, stochastic=False),
    MIDDecisionTreeClassifier(lam=0.5, random_state=0, stochastic=False),
    MIDDecisionTreeClassifier(lam=0.1, random_state=0),
], ids=["lam0-mode", "lam0.5-mode", "lam0.1-stochastic"])
def test_sklearn_estimator_checks(est):
    check_estimator(est)


def _survey_xy(n=300, seed=0):
    task = datasets.make_survey(n, dependence=0.6, random_state=seed)
    return task, task.encode(), task.y()


def test_lam_zero_is_the_sklearn_tree():
    _, X, y = _survey_xy()
    sk = DecisionTreeClassifier(min_samples_leaf=3, random_state=0).fit(X, y)
    mid = MIDDecisionTreeClassifier(0.0, min_samples_leaf=3, random_state=0).fit(X, y)
    np.testing.assert_allclose(mid.predict_proba(X), sk.predict_proba(X))
    np.testing.assert_array_equal(mid.to_sklearn().predict(X), sk.predict(X))


def test_exact_information_matches_brute_force():
    _, X, y = _survey_xy()
    mid = MIDDecisionTreeClassifier(0.2, min_samples_leaf=5, random_state=0).fit(X, y)
    # joint of (distinct input, output) under the empirical input distribution
    rows, inverse = np.unique(X, axis=0, return_inverse=True)
    px = np.bincount(inverse.ravel(), minlength=len(rows)) / len(X)
    q = mid.predict_proba(rows)
    joint = px[:, None] * q
    py = joint.sum(0)
    with np.errstate(divide="ignore", invalid="ignore"):
        brute = np.nansum(joint * np.log(joint / (px[:, None] * py[None, :])))
    assert mid.mutual_information(X) == pytest.approx(brute, abs=1e-10)
    # on the training data it equals the fitted info_ (= H(Y) - H(Y | L))
    assert mid.mutual_information() == pytest.approx(mid.info_, abs=1e-10)
    assert mid.mutual_information(X) == pytest.approx(mid.info_, abs=1e-10)


def test_gini_is_the_expected_01_loss_of_the_stochastic_tree():
    _, X, y = _survey_xy()
    mid = MIDDecisionTreeClassifier(0.3, min_samples_leaf=4, random_state=0).fit(X, y)
    proba = mid.predict_proba(X)
    col = np.searchsorted(mid.classes_, y)
    expected_loss = np.mean(1 - proba[np.arange(len(y)), col])
    assert mid.gini_ == pytest.approx(expected_loss, abs=1e-10)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_pruning_matches_exhaustive_search(seed):
    task = datasets.make_survey(40, dependence=0.7, n_features=3, random_state=seed)
    base = DecisionTreeClassifier(max_depth=4, random_state=seed).fit(task.encode(), task.y()).tree_
    masks = enumerate_prunings(base)
    assert len(masks) > 3
    for lam in [0.0, 0.1, 0.3, 0.5, 0.8, 1.2, 3.0]:
        best = min(pruning_objective(base, m, lam)["objective"] for m in masks)
        got = pruning_objective(base, mid_prune(base, lam), lam)["objective"]
        assert got == pytest.approx(best, abs=1e-12), (lam, got, best)


def test_information_does_not_grow_with_lam():
    task = datasets.make_survey(500, dependence=0.6, n_features=5, random_state=3)
    X, y = task.encode(), task.y()
    lams = np.linspace(0, 2.5, 26)
    fits = [MIDDecisionTreeClassifier(l, random_state=0).fit(X, y) for l in lams]
    info = np.array([f.mutual_information() for f in fits])
    gini = np.array([f.gini_ for f in fits])
    assert np.all(np.diff(info) <= 1e-12), info
    assert np.all(np.diff(gini) >= -1e-12), gini
    assert info[0] > 0.1 and info[-1] == 0.0
    # lam >= 2: the root, a constant predictor that outputs the class prior
    assert fits[-1].n_leaves_ == 1


@pytest.mark.skipif(not datasets.available("steak"), reason="steak survey file not in MIDLIB_DATA_DIR")
def test_information_monotone_on_steak():
    task = datasets.load_steak()
    X, y = task.encode(), task.y()
    info = [MIDDecisionTreeClassifier(l, min_samples_leaf=2, random_state=0).fit(X, y).info_
            for l in np.linspace(0, 2, 21)]
    assert np.all(np.diff(info) <= 1e-12)


def test_stochastic_predict_is_seeded_and_follows_the_leaves():
    _, X, y = _survey_xy(600)
    mid = MIDDecisionTreeClassifier(0.6, random_state=1).fit(X, y)
    a, b = mid.predict(X), mid.predict(X)
    np.testing.assert_array_equal(a, b)
    assert set(a) <= set(mid.classes_)
    # sampled labels agree with the leaf distributions on average
    proba = mid.predict_proba(X)
    freq = np.array([(a == c).mean() for c in mid.classes_])
    np.testing.assert_allclose(freq, proba.mean(0), atol=0.05)
    det = MIDDecisionTreeClassifier(0.6, random_state=1, stochastic=False).fit(X, y)
    np.testing.assert_array_equal(det.predict(X), mid.classes_[np.argmax(proba, 1)])
    assert det.mutual_information() <= entropy(np.bincount(np.argmax(proba, 1)) / len(X)) + 1e-12


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 6), st.integers(2, 5), st.integers(0, 10_000))
def test_information_is_bounded(n_leaves, n_classes, seed):
    rng = np.random.default_rng(seed)
    w = rng.random(n_leaves) + 1e-3
    q = rng.dirichlet(np.ones(n_classes), size=n_leaves)
    info = stochastic_tree_information(w, q)
    assert 0 <= info <= min(entropy(w / w.sum()), np.log(n_classes)) + 1e-12


@pytest.mark.parametrize("lam, err", [(-0.1, ValueError), (np.nan, ValueError), (np.inf, ValueError),
                                      ("big", TypeError), (None, TypeError)])
def test_bad_lam(lam, err):
    X, y = np.array([[0.0], [1.0], [0.0], [1.0]]), np.array([0, 1, 0, 1])
    with pytest.raises(err, match="lam"):
        MIDDecisionTreeClassifier(lam).fit(X, y)


def test_bad_inputs():
    X, y = np.array([[0.0, 1.0], [1.0, 0.0], [0.0, 0.0]]), np.array([0, 1, 0])
    with pytest.raises(ValueError, match="NaN"):
        MIDDecisionTreeClassifier().fit(np.array([[np.nan, 1.0], [1.0, 0.0], [0.0, 0.0]]), y)
    with pytest.raises(TypeError, match="stochastic"):
        MIDDecisionTreeClassifier(stochastic="yes").fit(X, y)
    fitted = MIDDecisionTreeClassifier().fit(X, y)
    with pytest.raises(ValueError, match="features"):
        fitted.predict(np.zeros((2, 3)))
    with pytest.raises(ValueError):
        stochastic_tree_information([0.5, -0.5], [[1, 0], [0, 1]])


def test_node_counts_recover_training_counts():
    _, X, y = _survey_xy()
    sk = DecisionTreeClassifier(max_depth=3, random_state=0).fit(X, y)
    counts = node_counts(sk.tree_)
    np.testing.assert_allclose(counts[0], np.bincount(y))
    leaves = leaf_ids(sk.tree_)
    ids = sk.apply(X)
    for leaf in leaves:
        np.testing.assert_allclose(counts[leaf], np.bincount(y[ids == leaf], minlength=3))
