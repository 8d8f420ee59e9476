"""Tests of the tree baselines: the DP tree (midlib.defenses.dp_tree) and Fredrikson et al.'s
priority trees (midlib.defenses.priority_tree)."""

import numpy as np
import pytest
from sklearn.utils.estimator_checks import check_estimator

from midlib import data as datasets
from midlib.defenses.dp_tree import DPDecisionTreeClassifier
from midlib.defenses.tree_base import leaf_ids, node_counts
from midlib.defenses.priority_tree import PriorityDecisionTreeClassifier


def test_sklearn_estimator_checks_dp():
    # a huge budget, a wide public range and fine thresholds: the checks' data are not in [0, 1]
    check_estimator(DPDecisionTreeClassifier(
        epsilon=1e6, max_depth=6, bounds=(-10, 10), thresholds=list(np.linspace(0.02, 0.98, 49)),
        random_state=0))


def _planted(n=400, d=5, seed=0):
    rng = np.random.default_rng(seed)
    X = (rng.random((n, d)) < 0.5).astype(float)
    y = X[:, 0].astype(int)
    return X, y


def test_structure_budget_and_counts():
    X, y = _planted()
    dp = DPDecisionTreeClassifier(epsilon=2.0, max_depth=3, random_state=0).fit(X, y)
    assert dp.tree_.node_count == 2 ** 4 - 1
    assert dp.epsilon_ == 2.0 and dp.epsilon_level_ == pytest.approx(0.5)
    counts = node_counts(dp.tree_)
    left, right = dp.tree_.children_left, dp.tree_.children_right
    for node in range(dp.tree_.node_count):
        if left[node] != -1:
            np.testing.assert_allclose(counts[node], counts[left[node]] + counts[right[node]])
    assert (counts >= 0).all()


def test_large_epsilon_recovers_true_counts_and_best_split():
    X, y = _planted()
    dp = DPDecisionTreeClassifier(epsilon=1e5, max_depth=2, random_state=0).fit(X, y)
    assert dp.tree_.feature[0] == 0
    ids = dp.apply(X)
    counts = node_counts(dp.tree_)
    for leaf in leaf_ids(dp.tree_):
        np.testing.assert_allclose(counts[leaf], np.bincount(y[ids == leaf], minlength=2), atol=0.01)
    assert (dp.predict(X) == y).mean() == 1.0


def test_exponential_mechanism_is_random_at_small_epsilon():
    X, y = _planted(n=200)
    roots_big = [DPDecisionTreeClassifier(1e4, max_depth=1, random_state=s).fit(X, y).tree_.feature[0]
                 for s in range(20)]
    roots_small = [DPDecisionTreeClassifier(1e-3, max_depth=1, random_state=s).fit(X, y).tree_.feature[0]
                   for s in range(20)]
    assert all(r == 0 for r in roots_big)
    assert sum(r == 0 for r in roots_small) < 12  # about 20/5 expected under a uniform choice


def test_dp_is_seeded():
    X, y = _planted()
    a = DPDecisionTreeClassifier(1.0, random_state=3).fit(X, y)
    b = DPDecisionTreeClassifier(1.0, random_state=3).fit(X, y)
    np.testing.assert_array_equal(node_counts(a.tree_), node_counts(b.tree_))


@pytest.mark.parametrize("kwargs, match", [
    (dict(epsilon=0), "epsilon"), (dict(epsilon=-1), "epsilon"), (dict(epsilon=np.nan), "epsilon"),
    (dict(max_depth=-1), "max_depth"), (dict(max_depth=1.5), "max_depth"),
    (dict(thresholds=[0.0, 0.5]), "thresholds"), (dict(thresholds=[]), "thresholds"),
    (dict(bounds=(1, 0)), "bounds"), (dict(bounds="x"), "bounds"),
])
def test_dp_bad_parameters(kwargs, match):
    X, y = _planted(50)
    with pytest.raises(ValueError, match=match):
        DPDecisionTreeClassifier(**kwargs).fit(X, y)


# ---------------------------------------------------------------------------------------------
# Priority trees
# ---------------------------------------------------------------------------------------------

def _survey():
    task = datasets.make_survey(800, dependence=0.6, random_state=1)
    return task, task.encode(), task.y(), task.sensitive_columns()[0]


def test_priority_top_puts_the_sensitive_split_at_the_root_only():
    task, X, y, j = _survey()
    tree = PriorityDecisionTreeClassifier(j, position="top", min_samples_leaf=5, random_state=0).fit(X, y).tree_
    assert tree.feature[0] == j
    assert (tree.feature == j).sum() == 1


def test_priority_bottom_puts_sensitive_splits_just_above_leaves():
    task, X, y, j = _survey()
    m = PriorityDecisionTreeClassifier(j, position="bottom", min_samples_leaf=5, random_state=0).fit(X, y)
    tree = m.tree_
    s_nodes = np.flatnonzero(tree.feature == j)
    assert len(s_nodes) > 0
    for node in s_nodes:
        assert tree.children_left[tree.children_left[node]] == -1
        assert tree.children_left[tree.children_right[node]] == -1
    # counts are the training counts
    counts = node_counts(tree)
    np.testing.assert_allclose(counts[0], np.bincount(y))
    assert tree.n_node_samples[0] == len(y)


def test_priority_accuracy_close_to_plain_tree():
    from sklearn.tree import DecisionTreeClassifier
    task, X, y, j = _survey()
    plain = DecisionTreeClassifier(min_samples_leaf=5, random_state=0).fit(X, y).score(X, y)
    for pos in ("top", "bottom"):
        acc = PriorityDecisionTreeClassifier(j, position=pos, min_samples_leaf=5, random_state=0).fit(X, y).score(X, y)
        assert acc > plain - 0.05


def test_priority_bad_input():
    task, X, y, j = _survey()
    with pytest.raises(ValueError, match="position"):
        PriorityDecisionTreeClassifier(j, position="middle").fit(X, y)
    with pytest.raises(ValueError, match="sensitive_feature"):
        PriorityDecisionTreeClassifier(X.shape[1] + 3).fit(X, y)
    Xc = X.copy()
    Xc[0, j] = 0.5
    with pytest.raises(ValueError, match="0/1"):
        PriorityDecisionTreeClassifier(j).fit(Xc, y)
    with pytest.raises(ValueError, match="max_depth"):
        PriorityDecisionTreeClassifier(j, max_depth=0).fit(X, y)
