"""What every tree of midlib shares: reading and building scikit-learn ``Tree`` objects, the
exact I(X; Yhat) of a tree, pruning, and the predictor behaviour of stochastic leaves.

midlib's MID, DP and priority trees hold a genuine scikit-learn ``Tree`` in ``tree_`` (built with
:func:`build_tree` or pruned with :func:`prune_tree`), so tools written for scikit-learn trees read
them unchanged, and inherit ``predict``/``predict_proba``/``mutual_information`` from
:class:`TreePredictorMixin`. A *stochastic* tree outputs a label drawn from its leaf's
distribution ``q_l``; ``I(X; Yhat) = H(sum_l p(l) q_l) - sum_l p(l) H(q_l)``
(:func:`stochastic_tree_information`).
"""

from __future__ import annotations

import numpy as np
from sklearn.tree import DecisionTreeClassifier
from sklearn.tree._tree import Tree
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_array, check_is_fitted, validate_data

from midlib.leakage import entropy

__all__ = ["TREE_LEAF", "TREE_UNDEFINED", "gini", "stochastic_tree_information", "tree_of",
           "node_counts", "leaf_ids", "build_tree", "subtree_arrays", "prune_tree", "leaf_outputs",
           "tree_information", "TreePredictorMixin", "seed_of", "check_fit_input"]

TREE_LEAF = -1
TREE_UNDEFINED = -2


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


def subtree_arrays(tree: Tree, keep_leaf: np.ndarray):
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
    order, new_left, new_right = subtree_arrays(tree, np.asarray(keep_leaf, dtype=bool))
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



class TreePredictorMixin:
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
            rng = np.random.default_rng(seed_of(self.random_state))
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


def seed_of(random_state):
    """An int seed (or None) from a ``random_state``: a generator gives its next integer."""
    if random_state is None or isinstance(random_state, (int, np.integer)):
        return random_state
    if isinstance(random_state, np.random.RandomState):
        return int(random_state.randint(0, 2**31 - 1))
    if isinstance(random_state, np.random.Generator):
        return int(random_state.integers(0, 2**31 - 1))
    raise TypeError(f"random_state must be None, an int or a numpy random generator, got {random_state!r}")


def check_fit_input(est, X, y, sample_weight=None):
    """Validated ``X`` (float32), ``y``, its classes and codes, and ``sample_weight`` for a tree's fit."""
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


def leaf_outputs(model) -> np.ndarray:
    """Per-node released output distribution ``q`` of a tree: the stored class fractions for a
    stochastic midlib tree, their one-hot mode otherwise (nodes x classes)."""
    counts = node_counts(tree_of(model))
    if getattr(model, "stochastic", False):
        tot = counts.sum(axis=1, keepdims=True)
        return np.divide(counts, tot, out=np.full_like(counts, 1.0 / counts.shape[1]), where=tot > 0)
    value = np.asarray(tree_of(model).value)[:, 0, :]
    return np.eye(value.shape[1])[np.argmax(value, axis=1)]


def tree_information(model) -> float:
    """Exact I(X; Yhat) (nats) of a fitted tree's released predictor on its training distribution
    (for a deterministic tree, H(Yhat))."""
    if hasattr(model, "mutual_information"):
        return float(model.mutual_information())
    tree = tree_of(model)
    leaves = leaf_ids(tree)
    q = leaf_outputs(model)[leaves]
    return stochastic_tree_information(np.asarray(tree.weighted_n_node_samples)[leaves], q)
