"""Claim checks of the decision-tree chapter (``notebooks/mid_trees.ipynb``, the paper's Fig. 2b).

Each function raises :class:`midlib.checks.ClaimViolation` when its claim is false on the numbers
or models given, and each can be tripped by a planted error (``tests/test_checks_trees.py``): a
wrong leakage formula, smoothed leaves that break the log-loss identity, a wrong impurity, a
perturbed pruning, a leakage sequence that rises, a tree that keeps a split at large lambda, a
matched-utility level that admits the root tree.
"""

from __future__ import annotations

import numpy as np

from midlib.checks.base import Comparison, check, compare
from midlib.defenses.mid_tree import enumerate_prunings, mid_prune, pruning_objective
from midlib.defenses.tree_base import node_counts, prune_tree, stochastic_tree_information
from midlib.leakage import entropy

__all__ = ["exact_leakage", "logloss_degeneracy", "gini_is_01_loss", "pruning_is_optimal",
           "leakage_monotone", "root_at_large_lambda", "beats_root", "matched_level",
           "excludes_root"]


def exact_leakage(model, X, formula=None, tol: float = 1e-10) -> float:
    """Check the exact-leakage formula of a stochastic tree against a brute-force sum.

    The brute force builds the joint distribution of (distinct input row, output) from the
    empirical distribution of ``X`` and the tree's output distributions, and sums
    ``p(x, y) log p(x, y) / (p(x) p(y))``.

    Parameters
    ----------
    model : fitted tree
        A midlib tree with ``predict_proba`` (its released output distribution).
    X : array-like of shape (n_samples, n_features)
        The inputs whose empirical distribution defines ``I(X; Yhat)``.
    formula : callable, default=None
        ``formula(model, X) -> float``, the value under test; default
        ``model.mutual_information(X)`` (the proposition's formula).
    tol : float, default=1e-10
        The largest accepted difference.

    Returns
    -------
    float
        The brute-force mutual information (nats).

    Raises
    ------
    ClaimViolation
        If the formula and the brute-force sum differ by more than ``tol``.

    Examples
    --------
    >>> from midlib.data import make_survey
    >>> from midlib.defenses import MIDDecisionTreeClassifier
    >>> t = make_survey(100, random_state=0)
    >>> m = MIDDecisionTreeClassifier(0.0, random_state=0).fit(t.encode(), t.y())
    >>> round(exact_leakage(m, t.encode()), 3) == round(m.mutual_information(t.encode()), 3)
    True
    """
    X = np.asarray(X, dtype=float)
    rows, inverse = np.unique(X, axis=0, return_inverse=True)
    px = np.bincount(inverse.ravel(), minlength=len(rows)) / len(X)
    joint = px[:, None] * model.predict_proba(rows)
    py = joint.sum(0)
    with np.errstate(divide="ignore", invalid="ignore"):
        brute = float(np.nansum(joint * np.log(joint / (px[:, None] * py[None, :]))))
    value = float(model.mutual_information(X) if formula is None else formula(model, X))
    check(abs(value - brute) <= tol, "the exact leakage formula equals the brute-force I(X; Yhat)",
          f"formula {value!r}, brute force {brute!r}")
    return brute


def _leaf_terms(tree, mask, X, y_index, leaf_output):
    """Expected log-loss, I(X; Yhat) and leaf sizes of one pruning, directly from the records."""
    pruned = prune_tree(tree, mask)
    leaves = pruned.apply(np.asarray(X, dtype=np.float32))
    ids, local = np.unique(leaves, return_inverse=True)
    counts = node_counts(pruned)[ids]
    q = leaf_output(counts)
    with np.errstate(divide="ignore"):
        logloss = float(np.mean(-np.log(q[local.ravel(), y_index])))
    weights = np.bincount(local.ravel(), minlength=len(ids)).astype(float)
    return logloss, stochastic_tree_information(weights, q), len(ids)


def logloss_degeneracy(tree, X, y_index, lams=(0.0, 0.5, 0.9, 1.1, 2.0), leaf_output=None,
                       tol: float = 1e-9) -> dict:
    """Check that log-loss + lambda I is an affine rescaling of the log-loss over all prunings.

    For every pruning of ``tree`` the expected log-loss of the stochastic tree's released
    predictions is computed directly on the training records (their leaves' output
    distributions at their labels), and ``I(X; Yhat)`` from the leaves' sizes and outputs. The
    claim: ``logloss + lam * I = (1 - lam) * logloss + lam * H(Y)`` for every pruning, so the
    minimiser is the largest pruning for ``lam < 1`` and the root for ``lam > 1``.

    Parameters
    ----------
    tree : sklearn.tree._tree.Tree
        A fitted tree (``model.tree_``) trained on ``(X, y_index)``.
    X : array-like of shape (n_samples, n_features)
        The training inputs.
    y_index : array-like of int of shape (n_samples,)
        The training labels as class indices (columns of the node counts).
    lams : sequence of float, default=(0.0, 0.5, 0.9, 1.1, 2.0)
        The lambdas at which the minimiser is checked (none equal to 1).
    leaf_output : callable, default=None
        ``leaf_output(counts) -> q``, the leaves' output distributions from their training class
        counts; default the empirical frequencies (the proposition's hypothesis).
    tol : float, default=1e-9
        Tolerance of the identity.

    Returns
    -------
    dict
        ``"n_prunings"``, ``"H_Y"`` (nats) and ``"max_gap"``, the largest deviation from the
        identity.

    Raises
    ------
    ClaimViolation
        If the identity fails for some pruning, or the minimiser at some ``lam`` is not the
        largest pruning (``lam < 1``) or the root (``lam > 1``).

    Examples
    --------
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> from midlib.data import make_survey
    >>> t = make_survey(40, dependence=0.7, n_features=3, random_state=0)
    >>> tree = DecisionTreeClassifier(max_depth=3, random_state=0).fit(t.encode(), t.y()).tree_
    >>> out = logloss_degeneracy(tree, t.encode(), t.y())
    >>> out["max_gap"] < 1e-9
    True
    """
    y_index = np.asarray(y_index, dtype=int)
    if leaf_output is None:
        def leaf_output(c):
            return c / c.sum(1, keepdims=True)
    n_classes = node_counts(tree).shape[1]
    H_Y = float(entropy(np.bincount(y_index, minlength=n_classes) / len(y_index)))
    terms = np.array([_leaf_terms(tree, m, X, y_index, leaf_output)
                      for m in enumerate_prunings(tree)])
    logloss, info, sizes = terms[:, 0], terms[:, 1], terms[:, 2]
    gap = 0.0
    for lam in lams:
        objective = logloss + lam * info
        rescaled = (1 - lam) * logloss + lam * H_Y
        gap = max(gap, float(np.max(np.abs(objective - rescaled))))
        best = np.flatnonzero(np.isclose(objective, objective.min(), atol=1e-12))
        want = sizes.max() if lam < 1 else 1
        check(want in sizes[best],
              f"log-loss + {lam} I is minimised by the {'largest pruning' if lam < 1 else 'root'}",
              f"minimisers have {sorted(set(sizes[best].astype(int)))} leaves")
    check(gap <= tol, "log-loss + lambda I = (1 - lambda) log-loss + lambda H(Y) for every pruning",
          f"largest deviation {gap:.3g}")
    return {"n_prunings": len(terms), "H_Y": H_Y, "max_gap": gap}


def gini_is_01_loss(model, X, y, gini=None, tol: float = 1e-12) -> float:
    """Check that the weighted Gini impurity is the stochastic tree's training 0-1 loss.

    The 0-1 loss is computed directly: the mean over records of one minus the probability that
    the released output equals the record's label.

    Parameters
    ----------
    model : fitted stochastic tree
        A midlib tree with ``predict_proba``, ``classes_`` and (default) ``gini_``.
    X : array-like of shape (n_samples, n_features)
        The training inputs.
    y : array-like of shape (n_samples,)
        The training labels.
    gini : float, default=None
        The impurity under test; default ``model.gini_``.
    tol : float, default=1e-12
        The largest accepted difference.

    Returns
    -------
    float
        The expected 0-1 loss.

    Raises
    ------
    ClaimViolation
        If the impurity and the 0-1 loss differ by more than ``tol``.

    Examples
    --------
    >>> from midlib.data import make_survey
    >>> from midlib.defenses import MIDDecisionTreeClassifier
    >>> t = make_survey(100, random_state=0)
    >>> m = MIDDecisionTreeClassifier(0.1, random_state=0).fit(t.encode(), t.y())
    >>> abs(gini_is_01_loss(m, t.encode(), t.y()) - m.gini_) < 1e-12
    True
    """
    y = np.asarray(y)
    proba = model.predict_proba(X)
    loss = float(np.mean(1 - proba[np.arange(len(y)), np.searchsorted(model.classes_, y)]))
    value = float(model.gini_ if gini is None else gini)
    check(abs(loss - value) <= tol, "the weighted Gini impurity equals the stochastic 0-1 loss",
          f"impurity {value!r}, 0-1 loss {loss!r}")
    return loss


def pruning_is_optimal(tree, lams, prune=mid_prune, tol: float = 1e-12) -> int:
    """Check that a pruning rule attains the exhaustive minimum of ``J_lam`` at every ``lam``.

    Parameters
    ----------
    tree : sklearn.tree._tree.Tree
        A small fitted tree (all its prunings are enumerated).
    lams : sequence of float
        The lambdas to check.
    prune : callable, default=mid_prune
        ``prune(tree, lam) -> keep_leaf mask``, the rule under test.
    tol : float, default=1e-12
        Tolerance.

    Returns
    -------
    int
        The number of (lambda) cases checked.

    Raises
    ------
    ClaimViolation
        If the rule's objective exceeds the exhaustive minimum at some ``lam``.

    Examples
    --------
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> from midlib.data import make_survey
    >>> t = make_survey(40, dependence=0.7, n_features=3, random_state=0)
    >>> tree = DecisionTreeClassifier(max_depth=4, random_state=0).fit(t.encode(), t.y()).tree_
    >>> pruning_is_optimal(tree, [0.0, 0.5, 1.0, 2.0])
    4
    """
    masks = enumerate_prunings(tree)
    for lam in lams:
        best = min(pruning_objective(tree, m, lam)["objective"] for m in masks)
        got = pruning_objective(tree, prune(tree, lam), lam)["objective"]
        check(got <= best + tol, "MID pruning attains the exhaustive minimum of J_lambda",
              f"lambda {lam}: {got!r} > {best!r}")
    return len(lams)


def leakage_monotone(lams, info, gini=None, tol: float = 1e-12) -> None:
    """Check that I(X; Yhat) does not rise, and the Gini impurity does not fall, with lambda.

    Parameters
    ----------
    lams : array-like of float
        The lambdas (any order; sorted here).
    info : array-like of float
        The exact ``I(X; Yhat)`` of the tree fitted at each lambda (same data and seed).
    gini : array-like of float, default=None
        Its training Gini impurity, if given.
    tol : float, default=1e-12
        Tolerance.

    Returns
    -------
    None

    Raises
    ------
    ClaimViolation
        If ``info`` rises or ``gini`` falls between consecutive lambdas.

    Examples
    --------
    >>> leakage_monotone([0.0, 0.5, 1.0], [0.9, 0.4, 0.0], [0.3, 0.5, 0.6])
    """
    order = np.argsort(np.asarray(lams, dtype=float), kind="stable")
    info = np.asarray(info, dtype=float)[order]
    check(np.diff(info) <= tol, "I(X; Yhat) does not rise with lambda",
          f"I along lambda: {np.round(info, 6).tolist()}")
    if gini is not None:
        gini = np.asarray(gini, dtype=float)[order]
        check(np.diff(gini) >= -tol, "the Gini impurity does not fall with lambda",
              f"Gini along lambda: {np.round(gini, 6).tolist()}")


def root_at_large_lambda(lams, info, n_leaves, threshold: float = 2.0) -> None:
    """Check that the MID tree is the root (one leaf, ``I = 0``) for every ``lam >= threshold``.

    Parameters
    ----------
    lams : array-like of float
        The lambdas.
    info : array-like of float
        The exact ``I(X; Yhat)`` at each lambda.
    n_leaves : array-like of int
        The number of leaves at each lambda.
    threshold : float, default=2.0
        The theorem's bound (the leaf cost is convex for ``lam >= 2``).

    Returns
    -------
    None

    Raises
    ------
    ClaimViolation
        If some tree at ``lam >= threshold`` has more than one leaf or positive leakage, or no
        lambda reaches the threshold.

    Examples
    --------
    >>> root_at_large_lambda([0.5, 2.0, 2.5], [0.3, 0.0, 0.0], [9, 1, 1])
    """
    lams = np.asarray(lams, dtype=float)
    big = lams >= threshold
    check(big.any(), f"the lambda grid reaches {threshold}")
    check((np.asarray(n_leaves)[big] == 1) & (np.asarray(info, dtype=float)[big] == 0.0),
          f"the root is chosen for lambda >= {threshold}",
          f"leaves {np.asarray(n_leaves)[big].tolist()} at lambdas {lams[big].tolist()}")


def beats_root(model_f1, model_interval, root_f1, root_interval) -> Comparison:
    """Compare a model's held-out utility with the root tree's (the no-model baseline).

    Parameters
    ----------
    model_f1 : float
        The undefended model's mean held-out F1 over seeds.
    model_interval : tuple of float
        Its 95 % interval.
    root_f1 : float
        The root tree's (a tree that samples the label prior) mean held-out F1.
    root_interval : tuple of float
        Its 95 % interval.

    Returns
    -------
    Comparison
        Direction ``"above"`` when the model is learnable (beats the root significantly).

    Examples
    --------
    >>> beats_root(0.36, (0.355, 0.365), 0.33, (0.325, 0.335)).direction
    'above'
    """
    return compare(model_f1, model_interval, root_f1, root_interval)


def matched_level(none_f1: float, slack: float, root_interval) -> float:
    """The matched-utility level ``none_f1 - slack``, checked to exclude the root tree.

    Parameters
    ----------
    none_f1 : float
        The undefended tree's mean held-out F1.
    slack : float
        The utility a defence may give up.
    root_interval : tuple of float
        The 95 % interval of the root tree's held-out F1.

    Returns
    -------
    float
        The level.

    Raises
    ------
    ClaimViolation
        If the level does not lie above the root tree's interval (a "matched-utility" point
        could then be no model at all).

    Examples
    --------
    >>> round(matched_level(0.36, 0.02, (0.32, 0.335)), 3)
    0.34
    """
    level = float(none_f1) - float(slack)
    check(level > root_interval[1], "the matched-utility level lies above the root tree's utility",
          f"level {level:.4f}, root tree {tuple(root_interval)}")
    return level


def excludes_root(n_leaves, label: str = "") -> None:
    """Check that no setting chosen for a matched-utility claim is the root tree.

    Parameters
    ----------
    n_leaves : array-like of float
        The (mean) number of leaves of each chosen setting.
    label : str, default=""
        What was chosen, for the message.

    Returns
    -------
    None

    Raises
    ------
    ClaimViolation
        If some chosen setting has a single leaf on average.

    Examples
    --------
    >>> excludes_root([12.0, 3.4])
    """
    n = np.asarray(n_leaves, dtype=float)
    check(n > 1, "matched-utility claims exclude the root tree", f"{label} leaves: {n.tolist()}")
