"""Both directions of every claim check of the tree chapter (midlib.checks.trees): a case where
the claim holds, and a planted error that must raise ClaimViolation."""

import numpy as np
import pytest
from sklearn.tree import DecisionTreeClassifier

from midlib.checks import ClaimViolation
from midlib.checks import trees as claims
from midlib.data import make_survey
from midlib.defenses import MIDDecisionTreeClassifier, mid_prune
from midlib.leakage import entropy


@pytest.fixture(scope="module")
def survey():
    return make_survey(120, dependence=0.7, n_features=3, random_state=0)


@pytest.fixture(scope="module")
def small_tree():
    t = make_survey(40, dependence=0.7, n_features=3, random_state=1)
    return t, DecisionTreeClassifier(max_depth=4, random_state=1).fit(t.encode(), t.y()).tree_


def test_exact_leakage_passes_and_trips_on_deterministic_formula(survey):
    m = MIDDecisionTreeClassifier(0.0, random_state=0).fit(survey.encode(), survey.y())
    claims.exact_leakage(m, survey.encode())
    # planted: the deterministic-tree formula H(Yhat) for a stochastic tree
    def h_yhat(model, X):
        return float(entropy(model.predict_proba(np.asarray(X)).mean(0)))
    with pytest.raises(ClaimViolation, match="exact leakage"):
        claims.exact_leakage(m, survey.encode(), formula=h_yhat)


def test_logloss_degeneracy_passes_and_trips_on_smoothed_leaves(small_tree):
    t, tree = small_tree
    out = claims.logloss_degeneracy(tree, t.encode(), t.y())
    assert out["n_prunings"] > 2 and out["max_gap"] < 1e-9
    # planted: leaves that release Laplace-smoothed frequencies, not their empirical ones
    with pytest.raises(ClaimViolation, match="log-loss"):
        claims.logloss_degeneracy(tree, t.encode(), t.y(),
                                  leaf_output=lambda c: (c + 1) / (c + 1).sum(1, keepdims=True))


def test_gini_is_01_loss_passes_and_trips_on_wrong_impurity(survey):
    m = MIDDecisionTreeClassifier(0.2, random_state=0).fit(survey.encode(), survey.y())
    claims.gini_is_01_loss(m, survey.encode(), survey.y())
    # planted: the misclassification impurity 1 - max_k p_k in place of Gini
    proba = m.predict_proba(survey.encode())
    with pytest.raises(ClaimViolation, match="Gini"):
        claims.gini_is_01_loss(m, survey.encode(), survey.y(), gini=float(np.mean(1 - proba.max(1))))


def test_pruning_is_optimal_passes_and_trips_on_perturbed_pruning(small_tree):
    _, tree = small_tree
    lams = np.linspace(0, 2.5, 11)
    assert claims.pruning_is_optimal(tree, lams) == len(lams)
    # planted: a rule that always keeps the fully grown tree, and one that flips the sign of lambda
    with pytest.raises(ClaimViolation, match="exhaustive"):
        claims.pruning_is_optimal(tree, lams, prune=lambda tr, lam: np.zeros(tr.node_count, bool) | (tr.children_left == -1))
    with pytest.raises(ClaimViolation, match="exhaustive"):
        claims.pruning_is_optimal(tree, [2.0], prune=lambda tr, lam: mid_prune(tr, 0.0))


def test_leakage_monotone_passes_and_trips(survey):
    lams = [0.0, 0.3, 0.5, 0.7, 2.0]
    ms = [MIDDecisionTreeClassifier(lam, random_state=0).fit(survey.encode(), survey.y()) for lam in lams]
    info, gini = [m.info_ for m in ms], [m.gini_ for m in ms]
    claims.leakage_monotone(lams, info, gini)
    # planted: the lambdas attached in the wrong order (leakage rising with lambda)
    assert info[0] > info[-1]
    with pytest.raises(ClaimViolation, match="rise"):
        claims.leakage_monotone(lams[::-1], info)
    with pytest.raises(ClaimViolation, match="Gini"):
        claims.leakage_monotone(lams, sorted(info, reverse=True), gini[::-1])


def test_root_at_large_lambda_passes_and_trips(survey):
    lams = [0.5, 2.0, 3.0]
    ms = [MIDDecisionTreeClassifier(lam, random_state=0).fit(survey.encode(), survey.y()) for lam in lams]
    claims.root_at_large_lambda(lams, [m.info_ for m in ms], [m.n_leaves_ for m in ms])
    # planted: the unpruned tree reported at lambda = 2
    full = MIDDecisionTreeClassifier(0.0, random_state=0).fit(survey.encode(), survey.y())
    with pytest.raises(ClaimViolation, match="root"):
        claims.root_at_large_lambda([2.0], [full.info_], [full.n_leaves_])
    with pytest.raises(ClaimViolation, match="reaches"):
        claims.root_at_large_lambda([0.5, 1.0], [0.1, 0.0], [3, 1])


def test_beats_root_directions():
    assert claims.beats_root(0.36, (0.355, 0.365), 0.33, (0.32, 0.34)).direction == "above"
    c = claims.beats_root(0.285, (0.25, 0.32), 0.28, (0.26, 0.30))
    assert c.direction == "none"
    with pytest.raises(ClaimViolation):   # planted: steak's overlapping intervals claimed as learnable
        c.expect("above")


def test_matched_level_passes_and_trips():
    assert claims.matched_level(0.36, 0.02, (0.32, 0.335)) == pytest.approx(0.34)
    # planted: steak, where the undefended tree is no better than the root tree
    with pytest.raises(ClaimViolation, match="root"):
        claims.matched_level(0.285, 0.02, (0.27, 0.29))


def test_excludes_root_passes_and_trips():
    claims.excludes_root([25.0, 3.0])
    with pytest.raises(ClaimViolation, match="root"):
        claims.excludes_root([25.0, 1.0], "MID")
