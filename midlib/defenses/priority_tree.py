"""Fredrikson et al. (2015)'s privacy-aware "priority" trees: the sensitive feature is forced to
the top or to the bottom of the tree.

Their observation: a white-box attack on a tree exploits the paths on which the sensitive feature
is tested together with the features the adversary knows. Placing the sensitive split at the
root (``position="top"``: two subtrees grown separately for each value of the sensitive feature)
or only just above the leaves (``position="bottom"``: a tree grown without the sensitive feature,
each of its leaves then split on it) changes how much the paths reveal while keeping the model
(largely) as accurate.

The sensitive feature must be one 0/1 column of the encoded input (``task.sensitive_columns()``
of a binary sensitive attribute). The result is a scikit-learn ``Tree`` (``tree_``) with leaf
counts from the training data, like every midlib tree.
"""

from __future__ import annotations


import numpy as np
from numbers import Integral

from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context
from sklearn.tree import DecisionTreeClassifier
from sklearn.utils._param_validation import Interval, StrOptions

from midlib.defenses.tree_base import TREE_LEAF, TreePredictorMixin, build_tree, check_fit_input

__all__ = ["PriorityDecisionTreeClassifier"]

POSITIONS = ("top", "bottom")


class PriorityDecisionTreeClassifier(TreePredictorMixin, ClassifierMixin, BaseEstimator):
    """Decision tree whose splits on the sensitive feature sit at the top or at the bottom.

    Parameters
    ----------
    sensitive_feature : int, default=0
        Index of the sensitive 0/1 column of ``X``.
    position : {"top", "bottom"}, default="top"
        "top" (the root splits on it; each branch is a tree grown on its records) or
        "bottom" (a tree grown without it, each leaf with records of both values then split on it).
    max_depth : int, default=None
        Depth of the whole tree including the sensitive split (None: unlimited; >= 1).
    criterion : {"gini", "entropy", "log_loss"}, default="gini"
        Of the grown trees, as in scikit-learn.
    min_samples_split : int or float, default=2
        Of the grown trees, as in scikit-learn.
    min_samples_leaf : int or float, default=1
        Of the grown trees, as in scikit-learn.
    stochastic : bool, default=False
        Release draws from the leaf distributions instead of their mode.
    random_state : int, numpy.random.RandomState or None, default=None
        Seeds the grown trees, as in scikit-learn (and ``predict``'s draws if stochastic).

    Attributes
    ----------
    tree_ : sklearn.tree._tree.Tree
        The whole tree, with leaf counts from the training data.
    classes_ : ndarray of shape (n_classes,)
        The class labels.
    n_outputs_ : int
        Always 1.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features,)
        Names of the features seen during fit; defined only when ``X`` has feature names
        that are all strings.

    Examples
    --------
    >>> from midlib.data import make_survey
    >>> from midlib.defenses import PriorityDecisionTreeClassifier
    >>> task = make_survey(200, random_state=0)
    >>> X, y = task.encode(), task.y()
    >>> j = task.sensitive_columns()[0]
    >>> top = PriorityDecisionTreeClassifier(j, position="top", max_depth=3, random_state=0)
    >>> int(top.fit(X, y).tree_.feature[0]) == j  # the root tests the sensitive column
    True
    >>> bottom = PriorityDecisionTreeClassifier(j, position="bottom", max_depth=3, random_state=0)
    >>> int(bottom.fit(X, y).tree_.feature[0]) == j
    False
    """

    # the growing parameters are validated by scikit-learn's tree, which receives them
    _parameter_constraints = {
        "sensitive_feature": [Interval(Integral, 0, None, closed="left")],
        "position": [StrOptions(set(POSITIONS))],
        "max_depth": [Interval(Integral, 1, None, closed="left"), None],
        "criterion": "no_validation", "min_samples_split": "no_validation",
        "min_samples_leaf": "no_validation",
        "stochastic": ["boolean"],
        "random_state": ["random_state"],
    }

    def __init__(self, sensitive_feature: int = 0, *, position: str = "top", max_depth=None,
                 criterion: str = "gini", min_samples_split=2, min_samples_leaf=1,
                 stochastic: bool = False, random_state=None):
        self.sensitive_feature = sensitive_feature
        self.position = position
        self.max_depth = max_depth
        self.criterion = criterion
        self.min_samples_split = min_samples_split
        self.min_samples_leaf = min_samples_leaf
        self.stochastic = stochastic
        self.random_state = random_state

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Grow the tree on ``(X, y)`` with the sensitive splits at ``position``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training inputs (finite; converted to float32); column ``sensitive_feature`` must
            be 0/1.
        y : array-like of shape (n_samples,)
            Class labels.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative record weights (of the grown trees and the leaf counts).

        Returns
        -------
        self : object
            The fitted classifier.

        Raises
        ------
        ValueError
            If ``position`` or ``max_depth`` is invalid, ``sensitive_feature`` is not a column
            of ``X``, or that column is not 0/1.

        Examples
        --------
        >>> from midlib.data import make_survey
        >>> from midlib.defenses import PriorityDecisionTreeClassifier
        >>> task = make_survey(200, random_state=0)
        >>> clf = PriorityDecisionTreeClassifier(task.sensitive_columns()[0], max_depth=2)
        >>> clf.fit(task.encode(), task.y()).tree_.max_depth
        2
        """
        md = self.max_depth
        X, y, classes, y_enc, sample_weight = check_fit_input(self, X, y, sample_weight)
        j = self.sensitive_feature
        if not j < X.shape[1]:
            raise ValueError(f"sensitive_feature must be a column index in [0, {X.shape[1]}), got {j!r}")
        col = X[:, j]
        if not np.all((col == 0) | (col == 1)):
            raise ValueError(
                f"column {j} (the sensitive feature) must be 0/1; a multi-valued sensitive attribute "
                "is one-hot encoded over several columns, which this tree does not support"
            )
        sub_depth = None if md is None else md - 1
        w = np.ones(len(y)) if sample_weight is None else sample_weight
        nodes = _Nodes()
        if self.position == "top":
            root = nodes.add()
            nodes.split(root, j, 0.5)
            for side, mask in (("left", col == 0), ("right", col == 1)):
                child = self._grow(nodes, X[mask], y_enc[mask], w[mask], sub_depth, len(classes), j)
                setattr_node(nodes, root, side, child)
        else:
            Xz = X.copy()
            Xz[:, j] = 0.0  # a constant column is never split on
            base = self._fit_base(Xz, y_enc, w, sub_depth)
            start = len(nodes.left)
            nodes.copy_sklearn(base.tree_)
            leaf_rows = nodes_apply(nodes, X)
            for node in [n for n in range(start, len(nodes.left)) if nodes.left[n] == TREE_LEAF]:
                vals = col[leaf_rows == node]
                if (vals == 0).any() and (vals == 1).any():
                    nodes.split(node, j, 0.5)
                    nodes.left[node] = nodes.add()
                    nodes.right[node] = nodes.add()
        # node ids must grow from parent to child: renumber depth-first
        left, right, feature, threshold = nodes.renumbered()
        skeleton = build_tree(X.shape[1], len(classes), left, right, feature, threshold,
                              np.ones((len(left), len(classes))))
        path = skeleton.decision_path(X)
        counts = np.asarray(path.T @ (np.eye(len(classes))[y_enc] * w[:, None]))
        self.classes_ = classes
        self.n_outputs_ = 1
        self.tree_ = build_tree(X.shape[1], len(classes), left, right, feature, threshold, counts,
                                n_samples=np.asarray(path.sum(axis=0)).ravel())
        return self

    def _fit_base(self, X, y_enc, w, depth):
        return DecisionTreeClassifier(
            criterion=self.criterion, max_depth=depth, min_samples_split=self.min_samples_split,
            min_samples_leaf=self.min_samples_leaf, random_state=self.random_state,
        ).fit(X, y_enc, sample_weight=w)

    def _grow(self, nodes, X, y_enc, w, depth, n_classes, j):
        if len(y_enc) == 0 or depth == 0:
            return nodes.add()
        base = self._fit_base(X, y_enc, w, depth)
        start = len(nodes.left)
        nodes.copy_sklearn(base.tree_)
        return start


class _Nodes:
    """A growing list of tree nodes (children may be added after their parent's siblings)."""

    def __init__(self):
        self.left, self.right, self.feature, self.threshold = [], [], [], []

    def add(self) -> int:
        self.left.append(TREE_LEAF); self.right.append(TREE_LEAF)
        self.feature.append(-2); self.threshold.append(-2.0)
        return len(self.left) - 1

    def split(self, node, feature, threshold):
        self.feature[node], self.threshold[node] = int(feature), float(threshold)

    def copy_sklearn(self, tree):
        offset = len(self.left)
        for i in range(tree.node_count):
            leaf = tree.children_left[i] == TREE_LEAF
            self.left.append(TREE_LEAF if leaf else int(tree.children_left[i]) + offset)
            self.right.append(TREE_LEAF if leaf else int(tree.children_right[i]) + offset)
            self.feature.append(-2 if leaf else int(tree.feature[i]))
            self.threshold.append(-2.0 if leaf else float(tree.threshold[i]))

    def renumbered(self):
        order, stack = [], [0]
        while stack:
            node = stack.pop()
            order.append(node)
            if self.left[node] != TREE_LEAF:
                stack.extend((self.right[node], self.left[node]))
        new = {old: i for i, old in enumerate(order)}
        left = [new[self.left[o]] if self.left[o] != TREE_LEAF else TREE_LEAF for o in order]
        right = [new[self.right[o]] if self.left[o] != TREE_LEAF else TREE_LEAF for o in order]
        return (np.array(left), np.array(right), np.array([self.feature[o] for o in order]),
                np.array([self.threshold[o] for o in order]))


def setattr_node(nodes: _Nodes, parent: int, side: str, child: int):
    """Make ``child`` the ``side`` child of ``parent`` in a growing list of nodes.

    Parameters
    ----------
    nodes : _Nodes
        The nodes being grown (a private helper of :class:`PriorityDecisionTreeClassifier`).
    parent : int
        The parent's id.
    side : {"left", "right"}
        Which child to set (anything but ``"left"`` sets the right one).
    child : int
        The child's id.

    Examples
    --------
    >>> from midlib.defenses.priority_tree import _Nodes, nodes_apply, setattr_node
    >>> nodes = _Nodes()
    >>> root = nodes.add()
    >>> nodes.split(root, 0, 0.5)
    >>> setattr_node(nodes, root, "left", nodes.add())
    >>> setattr_node(nodes, root, "right", nodes.add())
    >>> nodes_apply(nodes, [[0.0], [1.0]]).tolist()
    [1, 2]
    """
    (nodes.left if side == "left" else nodes.right)[parent] = child


def nodes_apply(nodes: _Nodes, X) -> np.ndarray:
    """Leaf id (in ``nodes`` numbering) of each row of ``X``.

    Parameters
    ----------
    nodes : _Nodes
        The nodes being grown (a private helper of :class:`PriorityDecisionTreeClassifier`);
        a row goes left when ``x[feature] <= threshold``.
    X : array-like of shape (n_samples, n_features)
        The inputs.

    Returns
    -------
    ndarray of shape (n_samples,)
        The id of the leaf each row reaches.

    Examples
    --------
    >>> from midlib.defenses.priority_tree import _Nodes, nodes_apply, setattr_node
    >>> nodes = _Nodes()
    >>> root = nodes.add()
    >>> nodes.split(root, 0, 0.5)
    >>> setattr_node(nodes, root, "left", nodes.add())
    >>> setattr_node(nodes, root, "right", nodes.add())
    >>> nodes_apply(nodes, [[0.0], [1.0]]).tolist()
    [1, 2]
    """
    out = np.empty(len(X), dtype=int)
    for r, x in enumerate(X):
        node = 0
        while nodes.left[node] != TREE_LEAF:
            node = nodes.left[node] if x[nodes.feature[node]] <= nodes.threshold[node] else nodes.right[node]
        out[r] = node
    return out
