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

This module also holds the helpers every tree of midlib shares (the DP and "priority" trees build
their ``tree_`` with :func:`build_tree`; the attacks read any of them through :func:`tree_of`).
"""

from __future__ import annotations

import numbers

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.tree import DecisionTreeClassifier
from sklearn.tree._tree import Tree
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data, check_array

TREE_LEAF = -1
TREE_UNDEFINED = -2

__all__ = [
    "entropy", "gini", "stochastic_tree_information", "build_tree", "tree_of", "node_counts",
    "leaf_ids", "mid_leaf_costs", "mid_prune", "prune_tree", "enumerate_prunings",
    "pruning_objective", "MIDDecisionTreeClassifier",
]


# --------------------------------------------------------------------------------------------
# Information and impurity of discrete distributions
# --------------------------------------------------------------------------------------------

def entropy(p, axis: int = -1) -> np.ndarray:
    """Shannon entropy in nats of distributions along ``axis`` (0 log 0 = 0)."""
    p = np.asarray(p, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(p > 0, -p * np.log(np.where(p > 0, p, 1.0)), 0.0)
    return terms.sum(axis=axis)


def gini(p, axis: int = -1) -> np.ndarray:
    """Gini impurity ``1 - sum_k p_k^2`` of distributions along ``axis``."""
    p = np.asarray(p, dtype=float)
    return 1.0 - (p ** 2).sum(axis=axis)


def stochastic_tree_information(weights, q) -> float:
    """Exact ``I(X; Yhat)`` (nats) of a stochastic tree.

    ``weights`` (n_leaves,): the probability of reaching each leaf (normalised here);
    ``q`` (n_leaves, n_classes): each leaf's output distribution (rows normalised here).
    Returns ``H(sum_l p_l q_l) - sum_l p_l H(q_l)``.
    """
    w = np.asarray(weights, dtype=float)
    q = np.asarray(q, dtype=float)
    if w.ndim != 1 or q.ndim != 2 or q.shape[0] != w.shape[0]:
        raise ValueError(f"need weights (L,) and q (L, K); got {w.shape} and {q.shape}")
    if (w < 0).any() or (q < 0).any() or w.sum() <= 0:
        raise ValueError("weights and q must be non-negative, with positive total weight")
    w = w / w.sum()
    rows = q.sum(axis=1, keepdims=True)
    q = np.divide(q, rows, out=np.full_like(q, 1.0 / q.shape[1]), where=rows > 0)
    info = float(entropy(w @ q) - w @ entropy(q))
    return max(info, 0.0)


# --------------------------------------------------------------------------------------------
# scikit-learn Tree objects: reading and building
# --------------------------------------------------------------------------------------------

def tree_of(model) -> Tree:
    """The scikit-learn ``Tree`` of a fitted tree model (scikit-learn's or midlib's)."""
    tree = getattr(model, "tree_", None)
    if not isinstance(tree, Tree):
        raise TypeError(
            f"{type(model).__name__} has no scikit-learn tree_: pass a fitted DecisionTreeClassifier "
            "or a midlib tree (MIDDecisionTreeClassifier, DPDecisionTreeClassifier, "
            "PriorityDecisionTreeClassifier)"
        )
    return tree


def node_counts(tree: Tree) -> np.ndarray:
    """Per-node (weighted) class counts, shape (node_count, n_classes).

    scikit-learn >= 1.4 stores class *fractions* in ``tree.value``; the counts are the fractions
    times ``weighted_n_node_samples``.
    """
    value = np.asarray(tree.value)[:, 0, :]
    totals = value.sum(axis=1, keepdims=True)
    frac = np.divide(value, totals, out=np.zeros_like(value), where=totals > 0)
    return frac * np.asarray(tree.weighted_n_node_samples)[:, None]


def leaf_ids(tree: Tree) -> np.ndarray:
    """Ids of the leaves reachable from the root."""
    left, right = tree.children_left, tree.children_right
    out, stack = [], [0]
    while stack:
        node = stack.pop()
        if left[node] == TREE_LEAF:
            out.append(node)
        else:
            stack.extend((right[node], left[node]))
    return np.array(sorted(out), dtype=int)


_NODE_DTYPE = None


def _node_dtype():
    global _NODE_DTYPE
    if _NODE_DTYPE is None:
        t = DecisionTreeClassifier(max_depth=1).fit([[0.0], [1.0]], [0, 1]).tree_
        _NODE_DTYPE = t.__getstate__()["nodes"].dtype
    return _NODE_DTYPE


def build_tree(n_features: int, n_classes: int, left, right, feature, threshold, counts,
               n_samples=None, missing_go_to_left=None) -> Tree:
    """A scikit-learn ``Tree`` from plain arrays, one entry a node (node 0 the root).

    ``left``/``right``: child ids (-1 at leaves); ``feature``/``threshold``: the split
    ``x[feature] <= threshold`` goes left (ignored at leaves); ``counts`` (n_nodes, n_classes):
    non-negative class weights of each node (they need not be integers: a DP tree stores noisy
    counts); ``n_samples``: the node sizes published in ``n_node_samples`` (default: the rounded
    row sums of ``counts``). Children must have larger ids than their parents.
    """
    left = np.asarray(left, dtype=np.int64)
    right = np.asarray(right, dtype=np.int64)
    n = len(left)
    counts = np.asarray(counts, dtype=float).reshape(n, n_classes)
    if (counts < 0).any() or not np.isfinite(counts).all():
        raise ValueError("node counts must be finite and non-negative")
    internal = left != TREE_LEAF
    if np.any(internal & ((left <= np.arange(n)) | (right <= np.arange(n)))):
        raise ValueError("children must have larger ids than their parents")
    totals = counts.sum(axis=1)
    frac = np.divide(counts, totals[:, None], out=np.full_like(counts, 1.0 / n_classes),
                     where=totals[:, None] > 0)
    nodes = np.zeros(n, dtype=_node_dtype())
    nodes["left_child"] = left
    nodes["right_child"] = np.where(internal, right, TREE_LEAF)
    nodes["feature"] = np.where(internal, np.asarray(feature, dtype=np.int64), TREE_UNDEFINED)
    nodes["threshold"] = np.where(internal, np.asarray(threshold, dtype=float), TREE_UNDEFINED)
    nodes["impurity"] = gini(frac)
    nodes["n_node_samples"] = (np.rint(totals).astype(np.int64) if n_samples is None
                               else np.asarray(n_samples, dtype=np.int64))
    nodes["weighted_n_node_samples"] = totals
    nodes["missing_go_to_left"] = (np.ones(n, dtype=np.uint8) if missing_go_to_left is None
                                   else np.asarray(missing_go_to_left, dtype=np.uint8))
    depth = np.zeros(n, dtype=int)
    for i in range(n):
        if internal[i]:
            depth[left[i]] = depth[right[i]] = depth[i] + 1
    tree = Tree(int(n_features), np.array([n_classes], dtype=np.intp), 1)
    tree.__setstate__({"max_depth": int(depth.max()), "node_count": n, "nodes": nodes,
                       "values": frac[:, None, :].copy()})
    return tree


def _subtree_arrays(tree: Tree, keep_leaf: np.ndarray):
    """Arrays of the pruning of ``tree`` in which the nodes flagged in ``keep_leaf`` become leaves
    (their descendants dropped); nodes renumbered depth-first."""
    left, right = tree.children_left, tree.children_right
    order, stack = [], [0]
    while stack:
        node = stack.pop()
        order.append(node)
        if left[node] != TREE_LEAF and not keep_leaf[node]:
            stack.extend((right[node], left[node]))
    new_id = {old: i for i, old in enumerate(order)}
    n = len(order)
    new_left = np.full(n, TREE_LEAF, dtype=np.int64)
    new_right = np.full(n, TREE_LEAF, dtype=np.int64)
    for i, old in enumerate(order):
        if left[old] != TREE_LEAF and not keep_leaf[old]:
            new_left[i], new_right[i] = new_id[left[old]], new_id[right[old]]
    return np.array(order), new_left, new_right


def prune_tree(tree: Tree, keep_leaf: np.ndarray) -> Tree:
    """The pruning of ``tree`` that turns the flagged nodes into leaves, as a new ``Tree``."""
    order, new_left, new_right = _subtree_arrays(tree, np.asarray(keep_leaf, dtype=bool))
    state = tree.__getstate__()
    old_nodes = state["nodes"]
    nodes = old_nodes[order].copy()
    nodes["left_child"] = new_left
    nodes["right_child"] = new_right
    leaf = new_left == TREE_LEAF
    nodes["feature"] = np.where(leaf, TREE_UNDEFINED, nodes["feature"])
    nodes["threshold"] = np.where(leaf, TREE_UNDEFINED, nodes["threshold"])
    depth = np.zeros(len(order), dtype=int)
    for i in range(len(order)):
        if not leaf[i]:
            depth[new_left[i]] = depth[new_right[i]] = depth[i] + 1
    out = Tree(tree.n_features, np.asarray(tree.n_classes, dtype=np.intp), tree.n_outputs)
    out.__setstate__({"max_depth": int(depth.max()), "node_count": len(order), "nodes": nodes,
                      "values": np.asarray(state["values"])[order].copy()})
    return out


# --------------------------------------------------------------------------------------------
# MID pruning
# --------------------------------------------------------------------------------------------

def mid_leaf_costs(counts: np.ndarray, lam: float) -> np.ndarray:
    """Leaf cost ``p(node) [G(phat_node) - lam H(phat_node)]`` of every node made a leaf."""
    counts = np.asarray(counts, dtype=float)
    totals = counts.sum(axis=1)
    frac = np.divide(counts, totals[:, None], out=np.zeros_like(counts), where=totals[:, None] > 0)
    weight = totals / totals[0]
    return weight * (gini(frac) - lam * entropy(frac))


def mid_prune(tree: Tree, lam: float, tol: float = 1e-12) -> np.ndarray:
    """The MID pruning of ``tree`` at ``lam``: a boolean array over nodes, True where the node is
    a leaf of the optimal pruning (descendants of such nodes are dropped).

    Minimises ``J_lam = Gini + lam * I`` over all prunings that keep the root, exactly, by
    dynamic programming from the leaves up; ties (within ``tol``) prefer the smaller tree.
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
    """Gini, I (= H(Y) - H(Y | L)) and ``J = Gini + lam I`` of a pruning, on the training
    distribution stored in the tree's node counts."""
    counts = node_counts(tree)
    order, new_left, _ = _subtree_arrays(tree, np.asarray(keep_leaf, dtype=bool))
    leaves = order[new_left == TREE_LEAF]
    c = counts[leaves]
    g = float((c.sum(1) / counts[0].sum()) @ gini(c / c.sum(1, keepdims=True)))
    info = stochastic_tree_information(c.sum(1), c)
    return {"gini": g, "info": info, "objective": g + lam * info, "n_leaves": len(leaves)}


def enumerate_prunings(tree: Tree, limit: int = 100_000) -> list[np.ndarray]:
    """Every pruning of ``tree`` (keeping the root) as a ``keep_leaf`` mask; for exhaustive checks
    on small trees. Raises if there are more than ``limit``."""
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


# --------------------------------------------------------------------------------------------
# Shared predictor behaviour of midlib's trees
# --------------------------------------------------------------------------------------------

class _TreePredictorMixin:
    """predict / predict_proba / apply / exact I for estimators holding ``tree_`` and ``classes_``.

    ``stochastic=True``: the released predictor draws its label from the leaf distribution
    (``predict`` samples, seeded by ``random_state``); otherwise it outputs the leaf's mode.
    """

    def _X(self, X):
        check_is_fitted(self, "tree_")
        X = validate_data(self, X, reset=False, dtype=np.float32, ensure_all_finite=True)
        return X

    def apply(self, X):
        """Leaf id of each row."""
        X = self._X(X)
        return self.tree_.apply(X)

    def decision_path(self, X):
        """Sparse node indicator of each row's path (as scikit-learn's)."""
        X = self._X(X)
        return self.tree_.decision_path(X)

    def predict_proba(self, X):
        """The leaf's output distribution ``q_l`` for each row, columns in ``classes_`` order."""
        X = self._X(X)
        out = np.asarray(self.tree_.predict(X))
        return out.reshape(len(out), -1)

    def predict(self, X):
        """The released prediction: a draw from ``q_l`` if ``stochastic``, else its mode."""
        proba = self.predict_proba(X)
        if getattr(self, "stochastic", False):
            rng = np.random.default_rng(_seed_of(self.random_state))
            u = rng.random(len(proba))[:, None]
            idx = (u > np.cumsum(proba, axis=1)).sum(axis=1)
            idx = np.minimum(idx, proba.shape[1] - 1)
        else:
            idx = np.argmax(proba, axis=1)
        return self.classes_[idx]

    def output_distribution(self, X):
        """The distribution of the released output for each row: ``q_l`` if stochastic, else the
        one-hot of the mode."""
        proba = self.predict_proba(X)
        if getattr(self, "stochastic", False):
            return proba
        return np.eye(proba.shape[1])[np.argmax(proba, axis=1)]

    def mutual_information(self, X=None) -> float:
        """Exact ``I(X; Yhat)`` (nats) of the released predictor, with ``X`` distributed as the
        training data (default: leaf weights from the stored node counts) or as the rows of
        ``X`` (their empirical distribution)."""
        check_is_fitted(self, "tree_")
        leaves = leaf_ids(self.tree_)
        if X is None:
            w = np.asarray(self.tree_.weighted_n_node_samples)[leaves]
        else:
            ids = self.apply(X)
            w = np.array([(ids == leaf).sum() for leaf in leaves], dtype=float)
        q = np.asarray(self.tree_.value)[leaves, 0, :]
        if not getattr(self, "stochastic", False):
            q = np.eye(q.shape[1])[np.argmax(q, axis=1)]
        return stochastic_tree_information(w, q)

    def to_sklearn(self) -> DecisionTreeClassifier:
        """A scikit-learn ``DecisionTreeClassifier`` sharing this ``tree_`` (for tools that
        require one, such as ART's tree attacks). Its ``predict`` is the leaf mode."""
        check_is_fitted(self, "tree_")
        clf = DecisionTreeClassifier()
        clf.tree_ = self.tree_
        clf.classes_ = self.classes_
        clf.n_classes_ = len(self.classes_)
        clf.n_outputs_ = 1
        clf.n_features_in_ = self.n_features_in_
        clf.max_features_ = self.n_features_in_
        return clf


def _seed_of(random_state):
    if random_state is None or isinstance(random_state, (int, np.integer)):
        return random_state
    if isinstance(random_state, np.random.RandomState):
        return int(random_state.randint(0, 2**31 - 1))
    if isinstance(random_state, np.random.Generator):
        return int(random_state.integers(0, 2**31 - 1))
    raise TypeError(f"random_state must be None, an int or a numpy random generator, got {random_state!r}")


def _check_fit_input(est, X, y, sample_weight=None):
    X, y = validate_data(est, X, y, dtype=np.float32, ensure_all_finite=True)
    check_classification_targets(y)
    classes, y_enc = np.unique(y, return_inverse=True)
    if sample_weight is not None:
        sample_weight = check_array(sample_weight, ensure_2d=False, dtype=float)
        if sample_weight.shape != (len(y),):
            raise ValueError(f"sample_weight must have shape ({len(y)},), got {sample_weight.shape}")
        if (sample_weight < 0).any():
            raise ValueError("sample_weight must be non-negative")
    return X, y, classes, y_enc, sample_weight


# --------------------------------------------------------------------------------------------
# The estimator
# --------------------------------------------------------------------------------------------

class MIDDecisionTreeClassifier(_TreePredictorMixin, ClassifierMixin, BaseEstimator):
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
    lam : float >= 0, the MID weight (nats^-1; Gini is in [0, 1], I in [0, log K]).
    stochastic : release draws from the leaf distributions (True, the MID predictor) or the
        leaf mode (False; ``I`` is then that of the deterministic tree, ``H(Yhat)``).
    criterion, max_depth, min_samples_split, min_samples_leaf, max_features, random_state :
        of the base tree, as in scikit-learn; ``random_state`` also seeds ``predict``'s draws.

    Attributes
    ----------
    tree_ : the pruned scikit-learn ``Tree``.
    base_tree_ : the unpruned one.
    classes_ : the class labels.
    gini_, info_, objective_ : the terms of ``J_lam`` of the fitted tree on the training data.
    n_leaves_ : number of leaves.
    """

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

    def fit(self, X, y, sample_weight=None):
        lam = _check_lam(self.lam)
        if not isinstance(self.stochastic, (bool, np.bool_)):
            raise TypeError(f"stochastic must be True or False, got {self.stochastic!r}")
        X, y, classes, y_enc, sample_weight = _check_fit_input(self, X, y, sample_weight)
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
