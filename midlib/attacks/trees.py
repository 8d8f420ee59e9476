"""Fredrikson et al. (2015)'s attribute-inference attacks on decision trees.

Both adversaries know the target's non-sensitive answers ``x_ns``, its true label ``y`` and the
marginal prior of the sensitive answer (knowledge ``"aux+label"``), and try every value ``v`` of
the sensitive attribute in turn (``task.with_sensitive``).

:class:`WhiteBoxTreeAttack` reads the tree (white-box): the leaf ``l(v)`` that the completed record
``(v, x_ns)`` reaches, its training count ``n_l`` and its released output distribution ``q_l``.
Fredrikson et al.'s white-box estimator weighs the paths that are consistent with the known
answers and that output ``y`` by their counts and the prior; here

    score(v) = n_{l(v)} * q_{l(v)}(y) * w(v),    w(v) = prior(v) if the path to l(v) never tests
                                                 the sensitive feature, else 1,

which for a deterministic tree (``q_l`` one-hot) is the count of the path when it predicts ``y``
and 0 otherwise, and for a stochastic leaf is its count of training records labelled ``y``. It is
the Bayes posterior of ``v`` given the tree's partition: if the path tests the sensitive feature,
its count already counts only records with value ``v``; if not, the prior splits it. Rows where
every score is 0 fall back to the prior.

:class:`BlackBoxTreeAttack` sees only outputs (black-box): the MAP estimator of Fredrikson et al.
(2014), used as the black-box baseline in 2015,

    score(v) = prior(v) * sum_yhat P(Yhat = yhat | x = (v, x_ns)) * pi(y | yhat),

with ``pi(y | yhat)`` the model's confusion matrix (the probability of the true label given the
output), estimated on the auxiliary data with add-one smoothing. For a deterministic model the
output distribution is a point mass at its prediction; for a stochastic tree it is ``q_l`` (an
adversary who queries repeatedly learns it).

Both work on any fitted tree with a scikit-learn ``tree_``: scikit-learn's own
``DecisionTreeClassifier`` and midlib's MID, DP and priority trees. :func:`art_guesses` runs the
Adversarial Robustness Toolbox's implementations of the same paper on the same trees.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from midlib.game import Adversary
from midlib.defenses.mid_tree import TREE_LEAF, node_counts, tree_of

__all__ = ["WhiteBoxTreeAttack", "BlackBoxTreeAttack", "output_distribution", "leaf_outputs",
           "sensitive_path_mask", "art_guesses"]


def output_distribution(model, X) -> np.ndarray:
    """The distribution of the model's released output on each row of ``X`` (columns in
    ``model.classes_`` order): ``model.output_distribution`` if it has one (midlib trees), else the
    point mass at ``model.predict``."""
    if hasattr(model, "output_distribution"):
        return np.asarray(model.output_distribution(X), dtype=float)
    classes = list(model.classes_)
    pos = {c: k for k, c in enumerate(classes)}
    pred = np.asarray(model.predict(X))
    out = np.zeros((len(pred), len(classes)))
    out[np.arange(len(pred)), [pos[p] for p in pred.tolist()]] = 1.0
    return out


def leaf_outputs(model) -> np.ndarray:
    """Per-node released output distribution ``q`` of a tree: the stored class fractions for a
    stochastic midlib tree, their one-hot mode otherwise (nodes x classes)."""
    counts = node_counts(tree_of(model))
    if getattr(model, "stochastic", False):
        tot = counts.sum(axis=1, keepdims=True)
        return np.divide(counts, tot, out=np.full_like(counts, 1.0 / counts.shape[1]), where=tot > 0)
    value = np.asarray(tree_of(model).value)[:, 0, :]
    return np.eye(value.shape[1])[np.argmax(value, axis=1)]


def sensitive_path_mask(tree, columns) -> np.ndarray:
    """For every node, whether the path from the root to it tests one of ``columns``."""
    columns = set(int(c) for c in columns)
    left, right, feature = tree.children_left, tree.children_right, tree.feature
    tested = np.zeros(tree.node_count, dtype=bool)
    for node in range(tree.node_count):  # parents before children
        if left[node] != TREE_LEAF:
            flag = tested[node] or int(feature[node]) in columns
            tested[left[node]] = tested[right[node]] = flag
    return tested


def _label_columns(task, model, frame) -> np.ndarray:
    y = np.asarray(task.y(frame))
    classes = list(model.classes_)
    pos = {c: k for k, c in enumerate(classes)}
    return np.array([pos.get(v, -1) for v in y.tolist()])


class WhiteBoxTreeAttack(Adversary):
    """Fredrikson et al. (2015) white-box attack on a decision tree (leaf counts and paths)."""

    knowledge = "aux+label"
    access = "white-box"

    def __init__(self, weighting: str = "prior"):
        self.weighting = weighting

    def fit(self, task, aux):
        if self.weighting not in ("prior", "partition"):
            raise ValueError(f"weighting must be 'prior' or 'partition', got {self.weighting!r}")
        return super().fit(task, aux)

    def scores(self, model, frame: pd.DataFrame) -> np.ndarray:
        self._check_fitted()
        task = self.task
        tree = tree_of(model)
        counts = node_counts(tree)
        size = counts.sum(axis=1)
        q = leaf_outputs(model)
        tested = sensitive_path_mask(tree, task.sensitive_columns())
        col = _label_columns(task, model, frame)
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


class BlackBoxTreeAttack(Adversary):
    """Fredrikson et al. (2014)'s MAP attack with the model's confusion matrix (the black-box
    attack of Fredrikson et al. 2015); works on any classifier with ``predict``."""

    knowledge = "aux+label"
    access = "black-box"

    def __init__(self, smoothing: float = 1.0):
        self.smoothing = smoothing

    def fit(self, task, aux):
        if not np.isfinite(self.smoothing) or self.smoothing < 0:
            raise ValueError(f"smoothing must be a finite number >= 0, got {self.smoothing!r}")
        super().fit(task, aux)
        self.aux_ = aux.reset_index(drop=True)
        return self

    def confusion(self, model) -> np.ndarray:
        """``pi[yhat, y]``: P(true label y | released output yhat), estimated on the auxiliary data."""
        self._check_fitted()
        out = output_distribution(model, self.task.encode(self.aux_))
        col = _label_columns(self.task, model, self.aux_)
        K = out.shape[1]
        seen = col >= 0
        joint = out[seen].T @ np.eye(K)[col[seen]] + self.smoothing
        tot = joint.sum(axis=1, keepdims=True)
        return np.divide(joint, tot, out=np.full_like(joint, 1.0 / K), where=tot > 0)

    def scores(self, model, frame: pd.DataFrame) -> np.ndarray:
        self._check_fitted()
        task = self.task
        pi = self.confusion(model)
        col = _label_columns(task, model, frame)
        out = np.zeros((len(frame), len(self.values_)))
        for j, v in enumerate(self.values_):
            dist = output_distribution(model, task.encode(task.with_sensitive(frame, v)))
            lik = np.where(col >= 0, (dist * pi[:, np.maximum(col, 0)].T).sum(axis=1), 0.0)
            out[:, j] = self.prior_[j] * lik
        empty = out.sum(axis=1) <= 0
        out[empty] = self.prior_
        return out / out.sum(axis=1, keepdims=True)


def art_guesses(model, task, frame: pd.DataFrame, prior, kind: str = "decision_tree") -> np.ndarray:
    """Guesses of the Adversarial Robustness Toolbox's Fredrikson et al. (2015) attacks on a tree:
    ``kind="decision_tree"`` (``AttributeInferenceWhiteBoxDecisionTree``: the value whose
    prediction matches the known label when exactly one does, else the largest leaf count times
    prior) or ``"lifestyle"`` (``AttributeInferenceWhiteBoxLifestyleDecisionTree``: leaf count
    times prior over the total count of the leaves each value reaches). The true label stands in
    for the model's prediction (ART's documented proxy). Needs a binary sensitive attribute
    encoded as one 0/1 column and ``adversarial-robustness-toolbox`` installed.
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
        y = _label_columns(task, sk, frame)
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


# --------------------------------------------------------------------------------------------
# One point of the Fig. 2b experiment: a tree, both attacks, both games
# --------------------------------------------------------------------------------------------

METHODS = ("none", "MID", "DP", "priority")


def make_tree(method: str, param, task, seed: int, base: dict | None = None, dp_depth: int = 4):
    """An unfitted tree of the Fig. 2b comparison: ``"none"`` (scikit-learn's tree), ``"MID"``
    (``param`` = lambda), ``"DP"`` (``param`` = epsilon, complete tree of depth ``dp_depth``) or
    ``"priority"`` (``param`` = "top" or "bottom"); ``base`` holds the growing parameters shared by
    the scikit-learn, MID and priority trees (e.g. ``min_samples_leaf``)."""
    from sklearn.tree import DecisionTreeClassifier

    from midlib.defenses.dp_tree import DPDecisionTreeClassifier
    from midlib.defenses.mid_tree import MIDDecisionTreeClassifier
    from midlib.defenses.priority_tree import PriorityDecisionTreeClassifier

    base = dict(base or {})
    if method == "none":
        return DecisionTreeClassifier(random_state=seed, **base)
    if method == "MID":
        return MIDDecisionTreeClassifier(param, random_state=seed, **base)
    if method == "DP":
        return DPDecisionTreeClassifier(param, max_depth=dp_depth, random_state=seed)
    if method == "priority":
        cols = task.sensitive_columns()
        if len(cols) != 1:
            raise ValueError("priority trees need a binary sensitive attribute (one encoded column)")
        return PriorityDecisionTreeClassifier(cols[0], position=param, random_state=seed, **base)
    raise ValueError(f"method must be one of {METHODS}, got {method!r}")


def tree_information(model) -> float:
    """Exact I(X; Yhat) (nats) of a fitted tree's released predictor on its training distribution
    (for a deterministic tree, H(Yhat))."""
    from midlib.defenses.mid_tree import leaf_ids, stochastic_tree_information

    if hasattr(model, "mutual_information"):
        return float(model.mutual_information())
    tree = tree_of(model)
    leaves = leaf_ids(tree)
    q = leaf_outputs(model)[leaves]
    return stochastic_tree_information(np.asarray(tree.weighted_n_node_samples)[leaves], q)


def tree_game(task, method: str, param, seed: int, test_size: float = 0.3,
              base: dict | None = None, dp_depth: int = 4,
              attacks: dict | None = None) -> pd.DataFrame:
    """Train one tree on a seeded split and play both games with both Fredrikson attacks.

    Returns one row per (attack, game) with the model's weighted F1 on the same records
    (``model_f1``: training records for the training-set game, held-out ones for the
    distributional game; the released, possibly sampled, predictions), the attack's ``f1``,
    ``precision``, ``recall``, ``success`` (accuracy), ``baseline`` and ``advantage``, the exact
    ``info`` I(X; Yhat) of the tree, and its number of leaves.
    """
    from sklearn.metrics import f1_score

    from midlib.game import play

    attacks = attacks or {"white-box": WhiteBoxTreeAttack, "black-box": BlackBoxTreeAttack}
    train, test = task.split(test_size, seed)
    model = make_tree(method, param, task, seed, base, dp_depth)
    model.fit(task.encode(train), task.y(train))
    f1 = {game: f1_score(task.y(frame), model.predict(task.encode(frame)), average="weighted",
                         zero_division=0)
          for game, frame in (("training-set", train), ("distributional", test))}
    info = tree_information(model)
    leaves = int((tree_of(model).children_left == TREE_LEAF).sum())
    rows = []
    for name, make in attacks.items():
        out = play(task, model, make(), members=train, nonmembers=test)
        out["attack"] = name
        rows.append(out)
    out = pd.concat(rows, ignore_index=True)
    out["model_f1"] = out["game"].map(f1)
    out["split"] = out["game"].map({"training-set": "training", "distributional": "held-out"})
    out = out.assign(dataset=task.name, method=method, param=str(param), seed=seed, info=info,
                     n_leaves=leaves)
    return out.drop(columns=["adversary"])
