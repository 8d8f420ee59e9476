"""Fredrikson et al. (2015)'s white-box attribute-inference attack on decision trees.

The adversary knows the target's non-sensitive answers ``x_ns``, its true label ``y`` and the
marginal prior of the sensitive answer (knowledge ``"aux+label"``), and try every value ``v`` of
the sensitive attribute in turn (``task.with_sensitive``).

:class:`WhiteBoxTreeAttack` reads the tree (white-box): the leaf ``l(v)`` that the completed record
``(v, x_ns)`` reaches, its training count ``n_l`` and its released output distribution ``q_l``.
Fredrikson et al.'s white-box estimator weighs the paths that are consistent with the known
answers and that output ``y`` by their counts and the prior; here

    score(v) = n_{l(v)} * q_{l(v)}(y) * w(v),    w(v) = prior(v) if the path to l(v) never tests
                                                 the sensitive feature, else 1,

(the weighting ``weighting="partition"`` of :class:`WhiteBoxTreeAttack`; its default,
``weighting="prior"``, multiplies by ``prior(v)`` on every path), which for a deterministic tree
(``q_l`` one-hot) is the count of the path when it predicts ``y`` and 0 otherwise, and for a
stochastic leaf is its count of training records labelled ``y``. This score is the Bayes posterior of
``v`` given the tree's partition: if the path tests the sensitive feature, its count already
counts only records with value ``v``; if not, the prior splits it. Rows where every score is 0
fall back to the prior.

The black-box attack of the same paper (the MAP estimator with the model's confusion matrix) is
:class:`midlib.attacks.ClassifierMAP`.

The attack works on any fitted tree with a scikit-learn ``tree_``: scikit-learn's own
``DecisionTreeClassifier`` and midlib's MID, DP and priority trees. :func:`art_guesses` runs the
Adversarial Robustness Toolbox's implementations of the same paper on the same trees.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from midlib.attacks.map import label_columns
from midlib.defenses.tree_base import TREE_LEAF, leaf_outputs, node_counts, tree_of
from midlib.game import Adversary

__all__ = ["WhiteBoxTreeAttack", "sensitive_path_mask", "art_guesses"]


def sensitive_path_mask(tree, columns) -> np.ndarray:
    """For every node, whether the path from the root to it tests one of ``columns``.

    A node's own split does not count: the flag of a node says whether one of its ancestors
    splits on ``columns``.

    Parameters
    ----------
    tree : sklearn.tree._tree.Tree
        A tree whose children have larger ids than their parents (scikit-learn's and midlib's
        trees).
    columns : iterable of int
        The encoded columns of the sensitive attribute (``task.sensitive_columns()``).

    Returns
    -------
    ndarray of bool of shape (node_count,)
        True at the nodes whose path from the root tests one of ``columns``.

    Examples
    --------
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> from midlib.data import make_survey
    >>> task = make_survey(200, random_state=0)
    >>> tree = DecisionTreeClassifier(max_depth=3, random_state=0).fit(task.encode(), task.y())
    >>> from midlib.attacks import sensitive_path_mask
    >>> mask = sensitive_path_mask(tree.tree_, task.sensitive_columns())
    >>> mask.shape, int(mask.sum())
    ((15,), 10)
    """
    columns = set(int(c) for c in columns)
    left, right, feature = tree.children_left, tree.children_right, tree.feature
    tested = np.zeros(tree.node_count, dtype=bool)
    for node in range(tree.node_count):  # parents before children
        if left[node] != TREE_LEAF:
            flag = tested[node] or int(feature[node]) in columns
            tested[left[node]] = tested[right[node]] = flag
    return tested


class WhiteBoxTreeAttack(Adversary):
    """Fredrikson et al. (2015) white-box attack on a decision tree (leaf counts and paths).

    Knowledge ``"aux+label"``, white-box access. For each value ``v`` of the sensitive
    attribute the completed record ``(v, x_ns)`` reaches a leaf ``l(v)`` with training count
    ``n_l`` and released output distribution ``q_l``; the score is
    ``n_{l(v)} * q_{l(v)}(y) * w(v)``, normalised over ``v`` (rows whose scores are all 0 fall
    back to the prior). It works on any fitted tree with a scikit-learn ``tree_``.

    Parameters
    ----------
    weighting : {"prior", "partition"}, default="prior"
        The weight ``w(v)``: ``"prior"`` multiplies every score by ``prior(v)``;
        ``"partition"`` does so only when the path to ``l(v)`` never tests the sensitive
        feature (else ``w(v) = 1``, the count already counting only records with value ``v``).

    Attributes
    ----------
    task : TabularTask
        The task, stored by ``fit``.
    values_ : list
        The sensitive values, in ``task.sensitive_values`` order (the columns of ``scores``).
    prior_ : ndarray of shape (n_values,)
        The empirical prior of the auxiliary records.

    See Also
    --------
    ClassifierMAP : The black-box attack of the same paper.
    art_guesses : ART's implementations of the same paper's attacks.

    Examples
    --------
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> from midlib.attacks import WhiteBoxTreeAttack
    >>> from midlib.data import make_survey
    >>> task = make_survey(200, random_state=0)
    >>> tree = DecisionTreeClassifier(max_depth=3, random_state=0).fit(task.encode(), task.y())
    >>> attack = WhiteBoxTreeAttack().fit(task, task.frame)
    >>> attack.guess(tree, task.frame.head(3))
    array(['no', 'no', 'no'], dtype=object)
    """

    knowledge = "aux+label"
    access = "white-box"

    def __init__(self, weighting: str = "prior"):
        self.weighting = weighting

    def fit(self, task, aux):
        """Store the task, the sensitive values and their prior.

        Parameters
        ----------
        task : TabularTask
            A classification task.
        aux : pandas.DataFrame
            The adversary's auxiliary records (with their sensitive values).

        Returns
        -------
        self : WhiteBoxTreeAttack
            The fitted adversary.

        Raises
        ------
        ValueError
            If ``weighting`` is invalid.

        Examples
        --------
        >>> from midlib.attacks import WhiteBoxTreeAttack
        >>> from midlib.data import make_survey
        >>> task = make_survey(200, random_state=0)
        >>> WhiteBoxTreeAttack(weighting="partition").fit(task, task.frame).values_
        ['no', 'yes']
        """
        if self.weighting not in ("prior", "partition"):
            raise ValueError(f"weighting must be 'prior' or 'partition', got {self.weighting!r}")
        return super().fit(task, aux)

    def scores(self, model, frame: pd.DataFrame) -> np.ndarray:
        """Posterior of each sensitive value given the leaf each completed record reaches.

        Parameters
        ----------
        model : estimator
            A fitted tree with a scikit-learn ``tree_`` (scikit-learn's or midlib's).
        frame : pandas.DataFrame
            The targets, with their labels (the sensitive column may be hidden).

        Returns
        -------
        ndarray of shape (n_targets, n_values)
            Normalised scores, columns in ``values_`` order.

        Examples
        --------
        >>> from sklearn.tree import DecisionTreeClassifier
        >>> from midlib.data import make_survey
        >>> task = make_survey(200, random_state=0)
        >>> tree = DecisionTreeClassifier(max_depth=3, random_state=0).fit(task.encode(), task.y())
        >>> from midlib.attacks import WhiteBoxTreeAttack
        >>> attack = WhiteBoxTreeAttack().fit(task, task.frame)
        >>> attack.scores(tree, task.frame.head(2)).round(2)
        array([[0.99, 0.01],
               [0.82, 0.18]])
        """
        self._check_fitted()
        task = self.task
        tree = tree_of(model)
        counts = node_counts(tree)
        size = counts.sum(axis=1)
        q = leaf_outputs(model)
        tested = sensitive_path_mask(tree, task.sensitive_columns())
        col = label_columns(task, model, frame)
        out = np.zeros((len(frame), len(self.values_)))
        for j, v in enumerate(self.values_):
            X = task.encode(task.with_sensitive(frame, v)).astype(np.float32)
            leaf = tree.apply(X)
            qy = np.where(col >= 0, q[leaf, np.maximum(col, 0)], 0.0)
            w = self.prior_[j] if self.weighting == "prior" else np.where(tested[leaf], 1.0, self.prior_[j])
            out[:, j] = size[leaf] * qy * w
        empty = out.sum(axis=1) <= 0
        out[empty] = self.prior_
        return out / out.sum(axis=1, keepdims=True)


def art_guesses(model, task, frame: pd.DataFrame, prior, kind: str = "decision_tree") -> np.ndarray:
    """Guesses of the Adversarial Robustness Toolbox's Fredrikson et al. (2015) attacks on a tree.

    ``kind="decision_tree"`` (``AttributeInferenceWhiteBoxDecisionTree``: the value whose
    prediction matches the known label when exactly one does, else the largest leaf count times
    prior) or ``"lifestyle"`` (``AttributeInferenceWhiteBoxLifestyleDecisionTree``: leaf count
    times prior over the total count of the leaves each value reaches). The true label stands in
    for the model's prediction (ART's documented proxy). Needs a binary sensitive attribute
    encoded as one 0/1 column and ``adversarial-robustness-toolbox`` installed.

    Parameters
    ----------
    model : estimator
        A fitted scikit-learn ``DecisionTreeClassifier`` or midlib tree (converted with its
        ``to_sklearn``; ART reads the leaf mode).
    task : TabularTask
        The task, with a binary sensitive attribute.
    frame : pandas.DataFrame
        The targets, with their labels (the sensitive column is ignored).
    prior : array-like of shape (2,)
        The prior of the two sensitive values, in ``task.sensitive_values`` order.
    kind : {"decision_tree", "lifestyle"}, default="decision_tree"
        Which of ART's attacks to run.

    Returns
    -------
    ndarray of shape (n_targets,)
        The guessed sensitive value of each target (elements of ``task.sensitive_values``).

    Raises
    ------
    ImportError
        If ``adversarial-robustness-toolbox`` is not installed.
    ValueError
        If the sensitive attribute is not binary or ``kind`` is invalid.

    Examples
    --------
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> from midlib.data import make_survey
    >>> task = make_survey(200, random_state=0)
    >>> tree = DecisionTreeClassifier(max_depth=3, random_state=0).fit(task.encode(), task.y())
    >>> from midlib.attacks import art_guesses
    >>> art_guesses(tree, task, task.frame.head(3), task.prior())
    array(['no', 'no', 'no'], dtype=object)
    """
    try:
        from art.attacks.inference.attribute_inference import (
            AttributeInferenceWhiteBoxDecisionTree, AttributeInferenceWhiteBoxLifestyleDecisionTree)
        from art.estimators.classification.scikitlearn import ScikitlearnDecisionTreeClassifier
    except ImportError as err:  # pragma: no cover - depends on the environment
        raise ImportError("art_guesses needs adversarial-robustness-toolbox "
                          "(pip install adversarial-robustness-toolbox==1.20.1)") from err
    from sklearn.tree import DecisionTreeClassifier

    cols = task.sensitive_columns()
    if len(cols) != 1 or len(task.sensitive_values) != 2:
        raise ValueError("art_guesses needs a binary sensitive attribute encoded as one 0/1 column")
    if kind not in ("decision_tree", "lifestyle"):
        raise ValueError(f"kind must be 'decision_tree' or 'lifestyle', got {kind!r}")
    sk = model if isinstance(model, DecisionTreeClassifier) else model.to_sklearn()
    j = cols[0]
    # ART 1.20 refuses attack_feature = the last column; move the sensitive column to the front
    sk = _sensitive_first(sk, j)
    art_model = ScikitlearnDecisionTreeClassifier(model=sk)
    X = task.encode(frame.assign(**{task.sensitive: task.sensitive_values[0]}))
    x = np.delete(X, j, axis=1)
    values, priors = [0.0, 1.0], list(np.asarray(prior, dtype=float))
    j = 0
    if kind == "decision_tree":
        attack = AttributeInferenceWhiteBoxDecisionTree(art_model, attack_feature=j)
        y = label_columns(task, sk, frame)
        guess = attack.infer(x, y, values=values, priors=priors)
    else:
        attack = AttributeInferenceWhiteBoxLifestyleDecisionTree(art_model, attack_feature=j)
        guess = attack.infer(x, values=values, priors=priors)
    return np.asarray(task.sensitive_values, dtype=object)[np.asarray(guess, dtype=float).astype(int)]


def _sensitive_first(sk, j: int):
    """A copy of the scikit-learn tree ``sk`` reading its inputs with column ``j`` moved first."""
    from sklearn.tree import DecisionTreeClassifier
    from sklearn.tree._tree import Tree

    state = sk.tree_.__getstate__()
    nodes = state["nodes"].copy()
    f = nodes["feature"]
    internal = f >= 0
    nodes["feature"] = np.where(internal & (f == j), 0, np.where(internal & (f < j), f + 1, f))
    tree = Tree(sk.tree_.n_features, np.asarray(sk.tree_.n_classes, dtype=np.intp), sk.tree_.n_outputs)
    tree.__setstate__({**state, "nodes": nodes})
    clf = DecisionTreeClassifier()
    clf.tree_, clf.classes_, clf.n_classes_ = tree, sk.classes_, len(sk.classes_)
    clf.n_outputs_, clf.n_features_in_, clf.max_features_ = 1, sk.n_features_in_, sk.n_features_in_
    return clf
