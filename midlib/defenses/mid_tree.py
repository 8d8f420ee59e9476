"""MID for decision trees: stochastic leaves, the exact I(X; Yhat) of a tree, and MID pruning.

A *stochastic tree* routes an input ``x`` to a leaf ``l(x)`` and outputs a label drawn from the
leaf's output distribution ``q_l``. Because ``Yhat`` depends on ``X`` only through the leaf
``L = l(X)``, the mutual information of the MID objective is exact and cheap:

    I(X; Yhat) = I(L; Yhat) = H(sum_l p(l) q_l) - sum_l p(l) H(q_l)          (nats),

with ``p(l)`` the probability of reaching leaf ``l`` (:func:`stochastic_tree_information`).

With ``q_l`` the leaf's empirical label distribution ``phat_l`` (what scikit-learn's
``predict_proba`` returns), the expected 0-1 loss of the stochastic tree on the training data is
the weighted Gini impurity ``sum_l p(l) (1 - |phat_l|^2)`` and ``I = H(Y) - H(Y | L)``, so

    J_lam(T) = Gini(T) + lam * I(T) = lam * H(Y) + sum_{l in leaves(T)} p(l) [G(phat_l) - lam H(phat_l)]

is a sum of leaf costs. Over the prunings of a fitted tree (the subtrees that keep its root) the
exact minimiser is found bottom-up, as in cost-complexity pruning (:func:`mid_prune`); the book
(``notebooks/mid_trees.ipynb``) proves this and that the exact ``I`` of the minimiser cannot grow
with ``lam``. :class:`MIDDecisionTreeClassifier` fits a scikit-learn tree and MID-prunes it; the
result is a genuine scikit-learn ``Tree`` (``tree_``), so tools written for scikit-learn trees
(ART's white-box attacks, for instance, through :meth:`MIDDecisionTreeClassifier.to_sklearn`) read
it unchanged.

The helpers every tree of midlib shares are in :mod:`midlib.defenses.tree_base`.
"""

from __future__ import annotations

import numbers

import numpy as np
from numbers import Real

from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context
from sklearn.tree import DecisionTreeClassifier
from sklearn.tree._tree import Tree
from sklearn.utils._param_validation import Interval

from midlib.defenses.tree_base import (TREE_LEAF, TreePredictorMixin, check_fit_input, gini,
                                       node_counts, prune_tree,
                                       stochastic_tree_information, subtree_arrays)
from midlib.leakage import entropy

__all__ = ["mid_leaf_costs", "mid_prune", "pruning_objective", "enumerate_prunings",
           "MIDDecisionTreeClassifier"]


# --------------------------------------------------------------------------------------------
# MID pruning
# --------------------------------------------------------------------------------------------

def mid_leaf_costs(counts: np.ndarray, lam: float) -> np.ndarray:
    """Leaf cost ``p(node) [G(phat_node) - lam H(phat_node)]`` of every node made a leaf.

    ``p(node)`` is the node's share of the root's weight, ``phat_node`` its label distribution,
    ``G`` the Gini impurity and ``H`` the entropy (nats). The MID objective ``J_lam`` of a
    pruning is ``lam * H(Y)`` plus the sum of the costs of its leaves.

    Parameters
    ----------
    counts : ndarray of shape (n_nodes, n_classes)
        Class counts of every node, node 0 the root (see :func:`node_counts`).
    lam : float
        The MID weight.

    Returns
    -------
    ndarray of shape (n_nodes,)
        The cost of each node as a leaf.

    Examples
    --------
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> X, y = [[0.0], [1.0], [2.0], [3.0]], [0, 0, 1, 0]
    >>> tree = DecisionTreeClassifier(random_state=0).fit(X, y).tree_
    >>> from midlib.defenses import node_counts
    >>> from midlib.defenses.mid_tree import mid_leaf_costs
    >>> mid_leaf_costs(node_counts(tree), 0.5).round(3)
    array([0.094, 0.   , 0.077, 0.   , 0.   ])
    """
    counts = np.asarray(counts, dtype=float)
    totals = counts.sum(axis=1)
    frac = np.divide(counts, totals[:, None], out=np.zeros_like(counts), where=totals[:, None] > 0)
    weight = totals / totals[0]
    return weight * (gini(frac) - lam * entropy(frac))


def mid_prune(tree: Tree, lam: float, tol: float = 1e-12) -> np.ndarray:
    """The MID pruning of ``tree`` at ``lam``.

    Minimises ``J_lam = Gini + lam * I`` over all prunings that keep the root, exactly, by
    dynamic programming from the leaves up; ties (within ``tol``) prefer the smaller tree.

    Parameters
    ----------
    tree : sklearn.tree._tree.Tree
        A fitted tree whose children have larger ids than their parents (as scikit-learn's
        and midlib's trees do); its node counts are the training distribution.
    lam : float
        The MID weight, a finite number >= 0 (0: no regularisation).
    tol : float, default=1e-12
        A split must lower the cost by more than ``tol`` to be kept.

    Returns
    -------
    ndarray of bool of shape (node_count,)
        True where the node is a leaf of the optimal pruning (descendants of such nodes are
        dropped); pass it to :func:`prune_tree` or :func:`pruning_objective`.

    Raises
    ------
    TypeError
        If ``lam`` is not a real number.
    ValueError
        If ``lam`` is negative or not finite.

    Examples
    --------
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> X, y = [[0.0], [1.0], [2.0], [3.0]], [0, 0, 1, 0]
    >>> tree = DecisionTreeClassifier(random_state=0).fit(X, y).tree_
    >>> from midlib.defenses import mid_prune
    >>> mid_prune(tree, 0.0).tolist()
    [False, True, False, True, True]
    >>> bool(mid_prune(tree, 1.0)[0])  # a large lam keeps only the root
    True
    """
    lam = _check_lam(lam)
    counts = node_counts(tree)
    cost = mid_leaf_costs(counts, lam)
    left, right = tree.children_left, tree.children_right
    best = cost.copy()
    leaf = np.ones(tree.node_count, dtype=bool)
    for node in range(tree.node_count - 1, -1, -1):  # children have larger ids than parents
        if left[node] == TREE_LEAF:
            continue
        split = best[left[node]] + best[right[node]]
        if split < cost[node] - tol:
            best[node], leaf[node] = split, False
    return leaf


def pruning_objective(tree: Tree, keep_leaf: np.ndarray, lam: float) -> dict:
    """Gini, I (= H(Y) - H(Y | L)) and ``J = Gini + lam I`` of a pruning.

    The terms are computed on the training distribution stored in the tree's node counts,
    for the stochastic tree whose leaves output their label distributions.

    Parameters
    ----------
    tree : sklearn.tree._tree.Tree
        The unpruned tree.
    keep_leaf : array-like of bool of shape (node_count,)
        The pruning: True at the nodes made leaves (as returned by :func:`mid_prune`).
    lam : float
        The MID weight.

    Returns
    -------
    dict
        ``"gini"``: the weighted Gini impurity of the leaves (the expected 0-1 training loss);
        ``"info"``: the exact ``I(X; Yhat)`` in nats; ``"objective"``: ``gini + lam * info``;
        ``"n_leaves"``: the number of leaves of the pruning.

    Examples
    --------
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> X, y = [[0.0], [1.0], [2.0], [3.0]], [0, 0, 1, 0]
    >>> tree = DecisionTreeClassifier(random_state=0).fit(X, y).tree_
    >>> from midlib.defenses import mid_prune, pruning_objective
    >>> pruning_objective(tree, mid_prune(tree, 1.0), 1.0)
    {'gini': 0.375, 'info': 0.0, 'objective': 0.375, 'n_leaves': 1}
    """
    counts = node_counts(tree)
    order, new_left, _ = subtree_arrays(tree, np.asarray(keep_leaf, dtype=bool))
    leaves = order[new_left == TREE_LEAF]
    c = counts[leaves]
    g = float((c.sum(1) / counts[0].sum()) @ gini(c / c.sum(1, keepdims=True)))
    info = stochastic_tree_information(c.sum(1), c)
    return {"gini": g, "info": info, "objective": g + lam * info, "n_leaves": len(leaves)}


def enumerate_prunings(tree: Tree, limit: int = 100_000) -> list[np.ndarray]:
    """Every pruning of ``tree`` (keeping the root) as a ``keep_leaf`` mask.

    For exhaustive checks on small trees (e.g. that :func:`mid_prune` finds the minimiser).

    Parameters
    ----------
    tree : sklearn.tree._tree.Tree
        The tree to prune.
    limit : int, default=100_000
        The largest number of prunings to enumerate.

    Returns
    -------
    list of ndarray of bool of shape (node_count,)
        One ``keep_leaf`` mask per pruning, True at the nodes made leaves.

    Raises
    ------
    ValueError
        If the tree has more than ``limit`` prunings.

    Examples
    --------
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> X, y = [[0.0], [1.0], [2.0], [3.0]], [0, 0, 1, 0]
    >>> tree = DecisionTreeClassifier(random_state=0).fit(X, y).tree_
    >>> from midlib.defenses import enumerate_prunings
    >>> [mask.tolist() for mask in enumerate_prunings(tree)]
    [[True, False, False, False, False], [False, True, True, False, False], [False, True, False, True, True]]
    """
    left, right = tree.children_left, tree.children_right
    count = np.ones(tree.node_count, dtype=object)
    for node in range(tree.node_count - 1, -1, -1):
        if left[node] != TREE_LEAF:
            count[node] = 1 + count[left[node]] * count[right[node]]
    if count[0] > limit:
        raise ValueError(f"the tree has {count[0]} prunings, more than limit={limit}")

    def prunings(node):  # lists of frozensets of the nodes made leaves
        if left[node] == TREE_LEAF:
            return [frozenset([node])]
        out = [frozenset([node])]
        for a in prunings(left[node]):
            for b in prunings(right[node]):
                out.append(a | b)
        return out

    masks = []
    for leaves in prunings(0):
        mask = np.zeros(tree.node_count, dtype=bool)
        mask[list(leaves)] = True
        masks.append(mask)
    return masks


def _check_lam(lam) -> float:
    if isinstance(lam, bool) or not isinstance(lam, numbers.Real):
        raise TypeError(f"lam must be a real number, got {lam!r} ({type(lam).__name__})")
    if not np.isfinite(lam) or lam < 0:
        raise ValueError(f"lam must be a finite number >= 0 (0 = no regularisation), got {lam}")
    return float(lam)


# The estimator
# --------------------------------------------------------------------------------------------

class MIDDecisionTreeClassifier(TreePredictorMixin, ClassifierMixin, BaseEstimator):
    """Decision tree with stochastic leaves, MID-pruned: minimises ``Gini + lam * I(X; Yhat)``.

    Fits scikit-learn's ``DecisionTreeClassifier`` (the *base tree*, grown with ``criterion``,
    ``max_depth``, ``min_samples_split``, ``min_samples_leaf``, ``max_features`` and
    ``random_state``), then replaces it by its pruning that minimises, on the training data::

        J_lam(T) = sum_l p(l) (1 - |phat_l|^2) + lam * I(X; Yhat)

    exactly (:func:`mid_prune`). Each leaf of the pruned tree outputs a label drawn from its
    training label distribution ``phat_l`` (``stochastic=True``): the first term is then the
    expected 0-1 training loss of the released predictor and the second its exact mutual
    information with the input on the training distribution. ``lam = 0`` keeps the base tree
    (with stochastic leaves); the exact ``I`` of the fitted tree is non-increasing in ``lam``.

    Parameters
    ----------
    lam : float, default=0.0
        The MID weight, >= 0 (nats^-1; Gini is in [0, 1], I in [0, log K]).
    stochastic : bool, default=True
        Release draws from the leaf distributions (True, the MID predictor) or the leaf mode
        (False; ``I`` is then that of the deterministic tree, ``H(Yhat)``).
    criterion : {"gini", "entropy", "log_loss"}, default="gini"
        The split criterion of the base tree, as in scikit-learn.
    max_depth : int, default=None
        The maximum depth of the base tree, as in scikit-learn (None: unlimited).
    min_samples_split : int or float, default=2
        Of the base tree, as in scikit-learn.
    min_samples_leaf : int or float, default=1
        Of the base tree, as in scikit-learn.
    max_features : int, float, {"sqrt", "log2"} or None, default=None
        Features considered at each split of the base tree, as in scikit-learn.
    random_state : int, numpy.random.RandomState or None, default=None
        Seeds the base tree, as in scikit-learn; also seeds ``predict``'s draws.

    Attributes
    ----------
    tree_ : sklearn.tree._tree.Tree
        The pruned scikit-learn ``Tree``.
    base_tree_ : sklearn.tree._tree.Tree
        The unpruned one.
    keep_leaf_ : ndarray of bool of shape (n_nodes,)
        The MID pruning of the base tree (:func:`mid_prune`): True at the nodes made leaves.
    classes_ : ndarray of shape (n_classes,)
        The class labels.
    n_outputs_ : int
        Always 1.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features,)
        Names of the features seen during fit; defined only when ``X`` has feature names
        that are all strings.
    gini_ : float
        The Gini term of ``J_lam`` of the fitted tree on the training data.
    info_ : float
        The exact ``I(X; Yhat)`` term (nats) of ``J_lam`` on the training data.
    objective_ : float
        ``J_lam = gini_ + lam * info_``.
    n_leaves_ : int
        Number of leaves.

    See Also
    --------
    DPDecisionTreeClassifier : The differentially private tree.
    PriorityDecisionTreeClassifier : Fredrikson et al.'s priority tree.

    Examples
    --------
    >>> from midlib.data import make_survey
    >>> from midlib.defenses import MIDDecisionTreeClassifier
    >>> task = make_survey(200, random_state=0)
    >>> X, y = task.encode(), task.y()
    >>> clf = MIDDecisionTreeClassifier(lam=0.1, max_depth=3, random_state=0).fit(X, y)
    >>> clf.base_tree_.node_count, clf.tree_.node_count, clf.n_leaves_
    (15, 13, 7)
    >>> round(clf.gini_, 3), round(clf.info_, 3), round(clf.objective_, 3)
    (0.213, 0.588, 0.272)
    >>> clf.predict(X[:5])
    array([1, 0, 2, 1, 1])
    """

    # the growing parameters are validated by scikit-learn's tree, which receives them
    _parameter_constraints = {
        "lam": [Interval(Real, 0, np.inf, closed="left")],
        "stochastic": ["boolean"],
        "criterion": "no_validation", "max_depth": "no_validation",
        "min_samples_split": "no_validation", "min_samples_leaf": "no_validation",
        "max_features": "no_validation",
        "random_state": ["random_state"],
    }

    def __init__(self, lam: float = 0.0, *, stochastic: bool = True, criterion: str = "gini",
                 max_depth=None, min_samples_split=2, min_samples_leaf=1, max_features=None,
                 random_state=None):
        self.lam = lam
        self.stochastic = stochastic
        self.criterion = criterion
        self.max_depth = max_depth
        self.min_samples_split = min_samples_split
        self.min_samples_leaf = min_samples_leaf
        self.max_features = max_features
        self.random_state = random_state

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Grow the base tree on ``(X, y)`` and replace it by its MID pruning.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training inputs (finite; converted to float32).
        y : array-like of shape (n_samples,)
            Class labels.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative record weights, used by the base tree and hence by the node counts
            that define the training distribution of ``J_lam``.

        Returns
        -------
        self : object
            The fitted classifier.

        Raises
        ------
        TypeError
            If ``lam`` is not a real number or ``stochastic`` not a bool.
        ValueError
            If ``lam`` is negative or not finite, or the data are invalid.

        Examples
        --------
        >>> from midlib.data import make_survey
        >>> from midlib.defenses import MIDDecisionTreeClassifier
        >>> task = make_survey(200, random_state=0)
        >>> clf = MIDDecisionTreeClassifier(lam=0.1, max_depth=3).fit(task.encode(), task.y())
        >>> clf.n_leaves_
        7
        """
        lam = float(self.lam)
        X, y, classes, y_enc, sample_weight = check_fit_input(self, X, y, sample_weight)
        base = DecisionTreeClassifier(
            criterion=self.criterion, max_depth=self.max_depth,
            min_samples_split=self.min_samples_split, min_samples_leaf=self.min_samples_leaf,
            max_features=self.max_features, random_state=self.random_state,
        ).fit(X, y_enc, sample_weight=sample_weight)
        self.classes_ = classes
        self.n_outputs_ = 1
        self.base_tree_ = base.tree_
        if base.tree_.n_classes[0] != len(classes):  # pragma: no cover - defensive
            raise RuntimeError("class bookkeeping failed")
        self.keep_leaf_ = mid_prune(base.tree_, lam)
        self.tree_ = prune_tree(base.tree_, self.keep_leaf_)
        terms = pruning_objective(base.tree_, self.keep_leaf_, lam)
        self.gini_, self.info_, self.objective_ = terms["gini"], terms["info"], terms["objective"]
        self.n_leaves_ = terms["n_leaves"]
        return self

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.non_deterministic = bool(self.stochastic) and self.random_state is None
        return tags
