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
    """Gini impurity ``1 - sum_k p_k^2`` of distributions along ``axis``.

    Parameters
    ----------
    p : array-like
        Probability distributions (e.g. class fractions), the classes along ``axis``.
    axis : int, default=-1
        The axis that indexes the classes.

    Returns
    -------
    ndarray
        The impurity of each distribution: the shape of ``p`` without ``axis`` (a 0-d array
        for a single distribution).

    Examples
    --------
    >>> from midlib.defenses.tree_base import gini
    >>> gini([[1.0, 0.0], [0.5, 0.5]])
    array([0. , 0.5])
    """
    p = np.asarray(p, dtype=float)
    return 1.0 - (p ** 2).sum(axis=axis)


def stochastic_tree_information(weights, q) -> float:
    """Exact ``I(X; Yhat)`` (nats) of a stochastic tree.

    A stochastic tree outputs a label drawn from the output distribution ``q_l`` of the leaf
    ``l`` that the input reaches; ``Yhat`` depends on ``X`` only through the leaf, so
    ``I(X; Yhat) = H(sum_l p_l q_l) - sum_l p_l H(q_l)`` with ``p_l`` the probability of
    reaching leaf ``l``. A deterministic tree is the case of one-hot rows ``q_l``.

    Parameters
    ----------
    weights : array-like of shape (n_leaves,)
        The probability of reaching each leaf, or any non-negative weights with a positive
        total (normalised here).
    q : array-like of shape (n_leaves, n_classes)
        Each leaf's output distribution, non-negative (rows normalised here; a row of zeros
        counts as uniform).

    Returns
    -------
    float
        ``H(sum_l p_l q_l) - sum_l p_l H(q_l)`` in nats (clipped at 0 against rounding).

    Raises
    ------
    ValueError
        If the shapes disagree, an entry is negative or the total weight is 0.

    Examples
    --------
    Two equally likely leaves with opposite deterministic outputs leak one bit (``log 2``
    nats); leaves that output the same distribution leak nothing:

    >>> from midlib.defenses import stochastic_tree_information
    >>> round(stochastic_tree_information([1, 1], [[1, 0], [0, 1]]), 4)
    0.6931
    >>> stochastic_tree_information([1, 1], [[0.5, 0.5], [0.5, 0.5]])
    0.0
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
    """The scikit-learn ``Tree`` of a fitted tree model (scikit-learn's or midlib's).

    Parameters
    ----------
    model : estimator
        A fitted scikit-learn ``DecisionTreeClassifier`` or a fitted midlib tree
        (``MIDDecisionTreeClassifier``, ``DPDecisionTreeClassifier``,
        ``PriorityDecisionTreeClassifier``).

    Returns
    -------
    sklearn.tree._tree.Tree
        ``model.tree_``.

    Raises
    ------
    TypeError
        If ``model`` has no scikit-learn ``tree_`` (another kind of model, or not fitted).

    Examples
    --------
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> from midlib.defenses import tree_of
    >>> X, y = [[0.0], [1.0], [2.0], [3.0]], [0, 0, 1, 0]
    >>> tree_of(DecisionTreeClassifier(random_state=0).fit(X, y)).node_count
    5
    """
    tree = getattr(model, "tree_", None)
    if not isinstance(tree, Tree):
        raise TypeError(
            f"{type(model).__name__} has no scikit-learn tree_: pass a fitted DecisionTreeClassifier "
            "or a midlib tree (MIDDecisionTreeClassifier, DPDecisionTreeClassifier, "
            "PriorityDecisionTreeClassifier)"
        )
    return tree


def node_counts(tree: Tree) -> np.ndarray:
    """Per-node (weighted) class counts of a scikit-learn ``Tree``.

    scikit-learn >= 1.4 stores class *fractions* in ``tree.value``; the counts are the fractions
    times ``weighted_n_node_samples``.

    Parameters
    ----------
    tree : sklearn.tree._tree.Tree
        A single-output classification tree (``model.tree_``).

    Returns
    -------
    ndarray of shape (node_count, n_classes)
        The (sample-weighted) number of training records of each class that reach each node.

    Examples
    --------
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> from midlib.defenses import node_counts
    >>> X, y = [[0.0], [1.0], [2.0], [3.0]], [0, 0, 1, 0]
    >>> node_counts(DecisionTreeClassifier(random_state=0).fit(X, y).tree_)
    array([[3., 1.],
           [2., 0.],
           [1., 1.],
           [0., 1.],
           [1., 0.]])
    """
    value = np.asarray(tree.value)[:, 0, :]
    totals = value.sum(axis=1, keepdims=True)
    frac = np.divide(value, totals, out=np.zeros_like(value), where=totals > 0)
    return frac * np.asarray(tree.weighted_n_node_samples)[:, None]


def leaf_ids(tree: Tree) -> np.ndarray:
    """Ids of the leaves reachable from the root.

    Parameters
    ----------
    tree : sklearn.tree._tree.Tree
        A scikit-learn tree.

    Returns
    -------
    ndarray of shape (n_leaves,)
        The node ids of the leaves, sorted.

    Examples
    --------
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> from midlib.defenses.tree_base import leaf_ids
    >>> X, y = [[0.0], [1.0], [2.0], [3.0]], [0, 0, 1, 0]
    >>> leaf_ids(DecisionTreeClassifier(random_state=0).fit(X, y).tree_).tolist()
    [1, 3, 4]
    """
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

    Children must have larger ids than their parents. The stored ``value`` of each node is its
    class fractions (``counts`` normalised), its ``impurity`` their Gini impurity and its
    ``weighted_n_node_samples`` the row sum of ``counts``.

    Parameters
    ----------
    n_features : int
        Number of input features.
    n_classes : int
        Number of classes.
    left : array-like of shape (n_nodes,)
        Id of each node's left child (-1 at leaves).
    right : array-like of shape (n_nodes,)
        Id of each node's right child (-1 at leaves).
    feature : array-like of shape (n_nodes,)
        Feature of each node's split ``x[feature] <= threshold`` (that side goes left);
        ignored at leaves.
    threshold : array-like of shape (n_nodes,)
        Threshold of each node's split; ignored at leaves.
    counts : array-like of shape (n_nodes, n_classes)
        Non-negative, finite class weights of each node (they need not be integers: a DP tree
        stores noisy counts).
    n_samples : array-like of shape (n_nodes,), default=None
        The node sizes published in ``n_node_samples``; None gives the rounded row sums of
        ``counts``.
    missing_go_to_left : array-like of shape (n_nodes,), default=None
        scikit-learn's per-node flag sending missing values left; None sets it everywhere.

    Returns
    -------
    sklearn.tree._tree.Tree
        The tree, readable by every tool written for scikit-learn trees.

    Raises
    ------
    ValueError
        If ``counts`` has negative or non-finite entries or a child's id is not larger than
        its parent's.

    Examples
    --------
    A stump on one feature: ``x <= 0.5`` goes to leaf 1, the rest to leaf 2.

    >>> import numpy as np
    >>> from midlib.defenses.tree_base import build_tree
    >>> tree = build_tree(1, 2, left=[1, -1, -1], right=[2, -1, -1], feature=[0, -2, -2],
    ...                   threshold=[0.5, -2.0, -2.0], counts=[[3, 1], [3, 0], [0, 1]])
    >>> tree.apply(np.array([[0.0], [1.0]], dtype=np.float32)).tolist()
    [1, 2]
    >>> tree.n_node_samples.tolist()
    [4, 3, 1]
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
    """Arrays of the pruning of ``tree`` in which the nodes flagged in ``keep_leaf`` become leaves.

    The descendants of the flagged nodes are dropped and the remaining nodes renumbered
    depth-first (left before right), so children keep larger ids than their parents.

    Parameters
    ----------
    tree : sklearn.tree._tree.Tree
        The tree to prune.
    keep_leaf : ndarray of bool of shape (node_count,)
        True at the nodes that become leaves (flags below them are ignored; the flags of
        leaves do not matter).

    Returns
    -------
    order : ndarray of shape (n_kept,)
        The old id of each kept node, in the new numbering.
    new_left : ndarray of shape (n_kept,)
        The new id of each kept node's left child (-1 at the leaves of the pruning).
    new_right : ndarray of shape (n_kept,)
        The new id of each kept node's right child (-1 at the leaves of the pruning).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> from midlib.defenses.tree_base import subtree_arrays
    >>> X, y = [[0.0], [1.0], [2.0], [3.0]], [0, 0, 1, 0]
    >>> tree = DecisionTreeClassifier(random_state=0).fit(X, y).tree_
    >>> order, new_left, new_right = subtree_arrays(tree, np.array([0, 0, 1, 0, 0], dtype=bool))
    >>> order.tolist(), new_left.tolist(), new_right.tolist()
    ([0, 1, 2], [1, -1, -1], [2, -1, -1])
    """
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
    """The pruning of ``tree`` that turns the flagged nodes into leaves, as a new ``Tree``.

    The kept nodes keep their stored values, impurities and sample counts (see
    :func:`subtree_arrays` for the renumbering); ``tree`` is not modified.

    Parameters
    ----------
    tree : sklearn.tree._tree.Tree
        The tree to prune.
    keep_leaf : array-like of bool of shape (node_count,)
        True at the nodes that become leaves (their descendants are dropped).

    Returns
    -------
    sklearn.tree._tree.Tree
        The pruned tree.

    Examples
    --------
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> from midlib.defenses.tree_base import prune_tree
    >>> X, y = [[0.0], [1.0], [2.0], [3.0]], [0, 0, 1, 0]
    >>> tree = DecisionTreeClassifier(random_state=0).fit(X, y).tree_
    >>> pruned = prune_tree(tree, [False, False, True, False, False])
    >>> pruned.node_count, pruned.max_depth
    (3, 1)
    """
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

    The estimator that mixes it in must set ``tree_`` (a scikit-learn ``Tree``), ``classes_``
    and ``n_features_in_`` when fitted, and may have the parameters ``stochastic`` (default
    False) and ``random_state``. midlib's :class:`MIDDecisionTreeClassifier`,
    :class:`DPDecisionTreeClassifier` and :class:`PriorityDecisionTreeClassifier` use it.

    Examples
    --------
    >>> from midlib.data import make_survey
    >>> from midlib.defenses import MIDDecisionTreeClassifier, TreePredictorMixin
    >>> task = make_survey(200, random_state=0)
    >>> clf = MIDDecisionTreeClassifier(lam=0.1, max_depth=3, random_state=0)
    >>> clf = clf.fit(task.encode(), task.y())
    >>> isinstance(clf, TreePredictorMixin)
    True
    >>> clf.predict(task.encode()[:5])
    array([1, 0, 2, 1, 1])
    """

    def _X(self, X):
        check_is_fitted(self, "tree_")
        X = validate_data(self, X, reset=False, dtype=np.float32, ensure_all_finite=True)
        return X

    def apply(self, X):
        """Leaf id of each row.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The inputs (converted to float32, as scikit-learn's trees do).

        Returns
        -------
        ndarray of shape (n_samples,)
            The id, in ``tree_``, of the leaf each row reaches.

        Examples
        --------
        >>> from midlib.data import make_survey
        >>> from midlib.defenses import MIDDecisionTreeClassifier
        >>> task = make_survey(200, random_state=0)
        >>> clf = MIDDecisionTreeClassifier(lam=0.1, max_depth=3, random_state=0)
        >>> clf.fit(task.encode(), task.y()).apply(task.encode()[:5])
        array([ 9,  6,  4, 11,  9])
        """
        X = self._X(X)
        return self.tree_.apply(X)

    def decision_path(self, X):
        """Sparse node indicator of each row's path (as scikit-learn's).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The inputs (converted to float32, as scikit-learn's trees do).

        Returns
        -------
        scipy.sparse.csr_matrix of shape (n_samples, node_count)
            Entry ``(i, j)`` is 1 if row ``i`` passes through node ``j``.

        Examples
        --------
        >>> from midlib.data import make_survey
        >>> from midlib.defenses import MIDDecisionTreeClassifier
        >>> task = make_survey(200, random_state=0)
        >>> clf = MIDDecisionTreeClassifier(lam=0.1, max_depth=3, random_state=0)
        >>> path = clf.fit(task.encode(), task.y()).decision_path(task.encode()[:2])
        >>> path.shape
        (2, 13)
        """
        X = self._X(X)
        return self.tree_.decision_path(X)

    def predict_proba(self, X):
        """The leaf's output distribution ``q_l`` for each row, columns in ``classes_`` order.

        These are the leaf's stored class fractions, whether or not the tree is stochastic.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The inputs.

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
            The distribution ``q_l`` of the leaf each row reaches.

        Examples
        --------
        >>> from midlib.data import make_survey
        >>> from midlib.defenses import MIDDecisionTreeClassifier
        >>> task = make_survey(200, random_state=0)
        >>> clf = MIDDecisionTreeClassifier(lam=0.1, max_depth=3, random_state=0)
        >>> clf.fit(task.encode(), task.y()).predict_proba(task.encode()[:2]).round(2)
        array([[0.01, 0.98, 0.01],
               [0.71, 0.21, 0.09]])
        """
        X = self._X(X)
        out = np.asarray(self.tree_.predict(X))
        return out.reshape(len(out), -1)

    def predict(self, X):
        """The released prediction: a draw from ``q_l`` if ``stochastic``, else its mode.

        The draws are seeded by ``random_state``: with an int, each call draws the same labels.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The inputs.

        Returns
        -------
        ndarray of shape (n_samples,)
            One label of ``classes_`` for each row.

        Examples
        --------
        >>> from midlib.data import make_survey
        >>> from midlib.defenses import MIDDecisionTreeClassifier
        >>> task = make_survey(200, random_state=0)
        >>> clf = MIDDecisionTreeClassifier(lam=0.1, max_depth=3, stochastic=False)
        >>> clf.fit(task.encode(), task.y()).predict(task.encode()[:5])
        array([1, 0, 2, 1, 1])
        """
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
        """The distribution of the released output for each row.

        It is ``q_l`` if the tree is stochastic, else the one-hot of the mode of ``q_l``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The inputs.

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
            The probability of each class of ``classes_`` being released for each row.

        Examples
        --------
        >>> from midlib.data import make_survey
        >>> from midlib.defenses import MIDDecisionTreeClassifier
        >>> task = make_survey(200, random_state=0)
        >>> clf = MIDDecisionTreeClassifier(lam=0.1, max_depth=3, stochastic=False)
        >>> clf.fit(task.encode(), task.y()).output_distribution(task.encode()[:2])
        array([[0., 1., 0.],
               [1., 0., 0.]])
        """
        proba = self.predict_proba(X)
        if getattr(self, "stochastic", False):
            return proba
        return np.eye(proba.shape[1])[np.argmax(proba, axis=1)]

    def mutual_information(self, X=None) -> float:
        """Exact ``I(X; Yhat)`` (nats) of the released predictor.

        ``X`` is distributed as the training data (default: leaf weights from the stored node
        counts) or as the rows of ``X`` (their empirical distribution). For a deterministic
        tree this is ``H(Yhat)``. See :func:`stochastic_tree_information`.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features), default=None
            Records whose empirical distribution is the input distribution; None uses the
            training distribution stored in the tree.

        Returns
        -------
        float
            The mutual information in nats.

        Examples
        --------
        >>> from midlib.data import make_survey
        >>> from midlib.defenses import MIDDecisionTreeClassifier
        >>> task = make_survey(200, random_state=0)
        >>> clf = MIDDecisionTreeClassifier(lam=0.1, max_depth=3, random_state=0)
        >>> clf = clf.fit(task.encode(), task.y())
        >>> round(clf.mutual_information(), 3), round(clf.mutual_information(task.encode()), 3)
        (0.588, 0.588)
        """
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
        """A scikit-learn ``DecisionTreeClassifier`` sharing this ``tree_``.

        For tools that require one, such as ART's tree attacks. Its ``predict`` is the leaf
        mode, even for a stochastic tree.

        Returns
        -------
        sklearn.tree.DecisionTreeClassifier
            A fitted classifier with this estimator's ``tree_``, ``classes_`` and
            ``n_features_in_``.

        Examples
        --------
        >>> from midlib.data import make_survey
        >>> from midlib.defenses import MIDDecisionTreeClassifier
        >>> task = make_survey(200, random_state=0)
        >>> clf = MIDDecisionTreeClassifier(lam=0.1, max_depth=3, random_state=0)
        >>> sk = clf.fit(task.encode(), task.y()).to_sklearn()
        >>> type(sk).__name__, sk.tree_ is clf.tree_
        ('DecisionTreeClassifier', True)
        """
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
    """An int seed (or None) from a ``random_state``: a generator gives its next integer.

    Parameters
    ----------
    random_state : int, numpy.random.RandomState, numpy.random.Generator or None
        The seed or generator of an estimator.

    Returns
    -------
    int or None
        ``random_state`` itself if it is None or an int, else an integer drawn from the
        generator (which advances it).

    Raises
    ------
    TypeError
        If ``random_state`` is of another type.

    Examples
    --------
    >>> import numpy as np
    >>> from midlib.defenses.tree_base import seed_of
    >>> seed_of(3), seed_of(None)
    (3, None)
    >>> isinstance(seed_of(np.random.default_rng(0)), int)
    True
    """
    if random_state is None or isinstance(random_state, (int, np.integer)):
        return random_state
    if isinstance(random_state, np.random.RandomState):
        return int(random_state.randint(0, 2**31 - 1))
    if isinstance(random_state, np.random.Generator):
        return int(random_state.integers(0, 2**31 - 1))
    raise TypeError(f"random_state must be None, an int or a numpy random generator, got {random_state!r}")


def check_fit_input(est, X, y, sample_weight=None):
    """Validated ``X`` (float32), ``y``, its classes and codes, and ``sample_weight`` for a tree's fit.

    Like scikit-learn's ``validate_data``, it records ``n_features_in_`` (and
    ``feature_names_in_``) on ``est``.

    Parameters
    ----------
    est : estimator
        The estimator being fitted.
    X : array-like of shape (n_samples, n_features)
        Training inputs (finite).
    y : array-like of shape (n_samples,)
        Class labels.
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative record weights.

    Returns
    -------
    X : ndarray of shape (n_samples, n_features)
        ``X`` as float32.
    y : ndarray of shape (n_samples,)
        The validated labels.
    classes : ndarray of shape (n_classes,)
        The sorted distinct labels.
    y_enc : ndarray of shape (n_samples,)
        The index of each label in ``classes``.
    sample_weight : ndarray of shape (n_samples,) or None
        The validated weights (None if none were given).

    Raises
    ------
    ValueError
        If the inputs are invalid, ``y`` is not a classification target, or ``sample_weight``
        has the wrong shape or a negative entry.

    Examples
    --------
    >>> from midlib.defenses import MIDDecisionTreeClassifier
    >>> from midlib.defenses.tree_base import check_fit_input
    >>> est = MIDDecisionTreeClassifier()
    >>> X, y, classes, y_enc, w = check_fit_input(est, [[0], [1], [2]], ["b", "a", "b"])
    >>> X.dtype, classes.tolist(), y_enc.tolist(), w is None
    (dtype('float32'), ['a', 'b'], [1, 0, 1], True)
    """
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
    """Per-node released output distribution ``q`` of a tree.

    It is the stored class fractions for a stochastic midlib tree, their one-hot mode otherwise
    (scikit-learn's trees, and midlib's with ``stochastic=False``).

    Parameters
    ----------
    model : estimator
        A fitted scikit-learn or midlib tree (see :func:`tree_of`).

    Returns
    -------
    ndarray of shape (node_count, n_classes)
        The output distribution the tree would release at each node if it were a leaf.

    Examples
    --------
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> from midlib.defenses import leaf_outputs
    >>> X, y = [[0.0], [1.0], [2.0], [3.0]], [0, 0, 1, 0]
    >>> leaf_outputs(DecisionTreeClassifier(random_state=0).fit(X, y))
    array([[1., 0.],
           [1., 0.],
           [1., 0.],
           [0., 1.],
           [1., 0.]])
    """
    counts = node_counts(tree_of(model))
    if getattr(model, "stochastic", False):
        tot = counts.sum(axis=1, keepdims=True)
        return np.divide(counts, tot, out=np.full_like(counts, 1.0 / counts.shape[1]), where=tot > 0)
    value = np.asarray(tree_of(model).value)[:, 0, :]
    return np.eye(value.shape[1])[np.argmax(value, axis=1)]


def tree_information(model) -> float:
    """Exact ``I(X; Yhat)`` (nats) of a fitted tree's released predictor on its training distribution.

    For a deterministic tree this is ``H(Yhat)``. A midlib tree answers with its
    ``mutual_information()``; for a scikit-learn tree it is computed from the leaf counts and
    :func:`leaf_outputs`.

    Parameters
    ----------
    model : estimator
        A fitted scikit-learn or midlib tree.

    Returns
    -------
    float
        The mutual information in nats.

    Examples
    --------
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> from midlib.defenses import tree_information
    >>> X, y = [[0.0], [1.0], [2.0], [3.0]], [0, 0, 1, 0]
    >>> round(tree_information(DecisionTreeClassifier(random_state=0).fit(X, y)), 3)
    0.562
    """
    if hasattr(model, "mutual_information"):
        return float(model.mutual_information())
    tree = tree_of(model)
    leaves = leaf_ids(tree)
    q = leaf_outputs(model)[leaves]
    return stochastic_tree_information(np.asarray(tree.weighted_n_node_samples)[leaves], q)
