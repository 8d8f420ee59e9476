"""An epsilon-differentially private decision tree (the DP baseline for trees).

The algorithm follows Friedman and Schuster (KDD 2010, "Data mining with differential privacy"),
simplified to a fixed-depth tree on features in [0, 1]:

* the candidate splits ``x[j] <= t`` are every feature ``j`` with every threshold ``t`` of a fixed,
  data-independent list (``thresholds``, fractions of the public range ``bounds``; 0.5 is the
  only useful one for a 0/1 column);
* the tree is complete to depth ``max_depth`` (stopping early would depend on the data);
* the budget is split evenly over ``max_depth`` levels of splits and one level of leaf counts,
  ``eps_level = epsilon / (max_depth + 1)``. The nodes of one level hold disjoint sets of records,
  so by parallel composition each level costs ``eps_level`` and the tree ``epsilon`` in all
  (sequential composition over levels);
* a node's split is drawn by the exponential mechanism with utility
  ``u(j, t) = -sum_children (n_c - sum_k n_ck^2 / n_c)`` (minus the count-weighted Gini impurity,
  sensitivity 2 for adding or removing one record) and probability proportional to
  ``exp(eps_level * u / (2 * 2))``;
* each leaf publishes its class counts plus Laplace(1 / eps_level) noise (a histogram over
  disjoint leaves: sensitivity 1), clipped at 0. Internal nodes' counts are sums of their
  leaves' (post-processing, free).

Neighbouring data sets differ by adding or removing one record. The published ``tree_`` holds only
noisy counts: ``n_node_samples`` is their rounded total (so white-box attacks that read counts see
what a DP release would show). diffprivlib's ``DecisionTreeClassifier`` would be the natural
cross-check, but diffprivlib 0.6.6 does not import with scikit-learn 1.9.
"""

from __future__ import annotations


import warnings

import numpy as np
from numbers import Integral, Real

from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context
from sklearn.utils._param_validation import Interval

from midlib.defenses.tree_base import TREE_LEAF, TreePredictorMixin, build_tree, check_fit_input, seed_of

__all__ = ["DPDecisionTreeClassifier", "GINI_SENSITIVITY"]

#: Sensitivity of the count-weighted Gini utility to adding or removing one record.
GINI_SENSITIVITY = 2.0


class DPDecisionTreeClassifier(TreePredictorMixin, ClassifierMixin, BaseEstimator):
    """Epsilon-DP decision tree: exponential-mechanism splits and Laplace leaf counts.

    The tree is complete to depth ``max_depth``; each of its ``max_depth`` levels of splits and
    its level of leaf counts spends ``epsilon / (max_depth + 1)`` (see the module's description
    of the algorithm, after Friedman and Schuster 2010).

    Parameters
    ----------
    epsilon : float, default=1.0
        The total privacy budget, > 0 (pure epsilon-DP, add/remove-one neighbours).
    max_depth : int, default=3
        Depth of the complete tree, >= 0 (0: a single noisy histogram).
    thresholds : sequence of float, default=(0.25, 0.5, 0.75)
        Thresholds tried on every feature, as fractions in (0, 1) of the public feature range.
    bounds : tuple of (float, float), default=(0.0, 1.0)
        ``(low, high)``, the public range of every feature (default [0, 1], what
        ``TabularTask.encode`` gives); the thresholds are ``low + t (high - low)``. The split
        choice depends on the data only through which side of a threshold a value falls, so
        values outside the range need no clipping.
    stochastic : bool, default=False
        Release draws from the noisy leaf distributions instead of their mode.
    random_state : int, numpy.random.RandomState, numpy.random.Generator or None, default=None
        Seed of the mechanisms' noise (and of ``predict``'s draws if stochastic).

    Attributes
    ----------
    tree_ : sklearn.tree._tree.Tree
        The published tree: the chosen splits and the noisy counts (``n_node_samples`` is
        their rounded total).
    classes_ : ndarray of shape (n_classes,)
        The class labels.
    n_outputs_ : int
        Always 1.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features,)
        Names of the features seen during fit; defined only when ``X`` has feature names
        that are all strings.
    epsilon_ : float
        The budget spent.
    epsilon_level_ : float
        The budget spent per level, ``epsilon_ / (max_depth + 1)``.

    See Also
    --------
    MIDDecisionTreeClassifier : The MID-pruned tree.

    Examples
    --------
    >>> from midlib.data import make_survey
    >>> from midlib.defenses import DPDecisionTreeClassifier
    >>> task = make_survey(200, random_state=0)
    >>> X, y = task.encode(), task.y()
    >>> clf = DPDecisionTreeClassifier(epsilon=1.0, max_depth=2, random_state=0).fit(X, y)
    >>> clf.tree_.node_count, clf.epsilon_, round(clf.epsilon_level_, 4)
    (7, 1.0, 0.3333)
    >>> clf.predict(X[:3]).shape
    (3,)
    """

    _parameter_constraints = {
        "epsilon": [Interval(Real, 0, np.inf, closed="neither")],
        "max_depth": [Interval(Integral, 0, None, closed="left")],
        "thresholds": ["array-like"],
        "bounds": ["array-like"],
        "stochastic": ["boolean"],
        "random_state": ["random_state", np.random.Generator],
    }

    def __init__(self, epsilon: float = 1.0, *, max_depth: int = 3, thresholds=(0.25, 0.5, 0.75),
                 bounds=(0.0, 1.0), stochastic: bool = False, random_state=None):
        self.epsilon = epsilon
        self.max_depth = max_depth
        self.thresholds = thresholds
        self.bounds = bounds
        self.stochastic = stochastic
        self.random_state = random_state

    def _thresholds(self):
        """The candidate split points on the features' scale, after checking the array-valued
        parameters (the scalar ones are checked by ``_parameter_constraints``)."""
        t = np.asarray(self.thresholds, dtype=float).ravel()
        if t.size == 0 or not np.all((t > 0) & (t < 1)):
            raise ValueError(f"thresholds must be a non-empty list of numbers in (0, 1), got {self.thresholds!r}")
        try:
            lo, hi = (float(b) for b in self.bounds)
        except (TypeError, ValueError):
            raise ValueError(f"bounds must be a pair (low, high) of numbers, got {self.bounds!r}") from None
        if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
            raise ValueError(f"bounds must be finite with low < high, got {self.bounds!r}")
        return lo + np.unique(t) * (hi - lo)

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Grow the epsilon-DP tree on ``(X, y)``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training inputs (finite; converted to float32), in the public range ``bounds``.
        y : array-like of shape (n_samples,)
            Class labels (the classes found in ``y`` are published in ``classes_``).

        Returns
        -------
        self : object
            The fitted classifier.

        Raises
        ------
        ValueError
            If a parameter or the data are invalid.

        Examples
        --------
        >>> from midlib.data import make_survey
        >>> from midlib.defenses import DPDecisionTreeClassifier
        >>> task = make_survey(200, random_state=0)
        >>> clf = DPDecisionTreeClassifier(epsilon=2.0, max_depth=1, random_state=0)
        >>> clf.fit(task.encode(), task.y()).tree_.max_depth
        1
        """
        eps, depth, thresholds = float(self.epsilon), int(self.max_depth), self._thresholds()
        X, y, classes, y_enc, _ = check_fit_input(self, X, y)
        lo, hi = (float(b) for b in self.bounds)
        outside = float(np.mean((X < lo) | (X > hi)))
        if outside > 0:  # such values fall on one side of every candidate split
            warnings.warn(f"{100 * outside:.1f} % of the feature values lie outside bounds "
                          f"{(lo, hi)}; the public split points cannot separate them. Scale the "
                          "features to the bounds with limits fixed in advance (e.g. "
                          "TabularTask.encode) or widen `bounds`.", UserWarning, stacklevel=2)
        rng = np.random.default_rng(seed_of(self.random_state))
        K = len(classes)
        eps_level = eps / (depth + 1)
        cand_j = np.repeat(np.arange(X.shape[1]), len(thresholds))
        cand_t = np.tile(thresholds, X.shape[1])
        onehot = np.eye(K)[y_enc]

        left, right, feature, threshold, counts = [], [], [], [], []

        def grow(idx, level):
            node = len(left)
            left.append(TREE_LEAF); right.append(TREE_LEAF)
            feature.append(-2); threshold.append(-2.0); counts.append(np.zeros(K))
            if level == depth:
                noisy = onehot[idx].sum(axis=0) + rng.laplace(0.0, 1.0 / eps_level, size=K)
                counts[node] = np.maximum(noisy, 0.0)
                return node
            # exponential mechanism over the candidate splits (Gumbel-max sampling)
            goes_left = X[idx][:, cand_j] <= cand_t            # (n_idx, n_cand)
            c_left = goes_left.T.astype(float) @ onehot[idx]     # (n_cand, K)
            c_right = onehot[idx].sum(axis=0) - c_left
            utility = -(_weighted_gini(c_left) + _weighted_gini(c_right))
            logits = eps_level * utility / (2.0 * GINI_SENSITIVITY)
            choice = int(np.argmax(logits + rng.gumbel(size=len(logits))))
            feature[node], threshold[node] = int(cand_j[choice]), float(cand_t[choice])
            mask = X[idx, feature[node]] <= threshold[node]
            left[node] = grow(idx[mask], level + 1)
            right[node] = grow(idx[~mask], level + 1)
            counts[node] = counts[left[node]] + counts[right[node]]
            return node

        grow(np.arange(len(X)), 0)
        self.classes_ = classes
        self.n_outputs_ = 1
        self.tree_ = build_tree(X.shape[1], K, left, right, feature, threshold, np.array(counts))
        self.epsilon_ = eps
        self.epsilon_level_ = eps_level
        return self

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.non_deterministic = self.random_state is None
        return tags


def _weighted_gini(c: np.ndarray) -> np.ndarray:
    """``n - sum_k n_k^2 / n`` for each row of class counts (0 for an empty node)."""
    n = c.sum(axis=1)
    sq = (c ** 2).sum(axis=1)
    return np.where(n > 0, n - np.divide(sq, n, out=np.zeros_like(n), where=n > 0), 0.0)
