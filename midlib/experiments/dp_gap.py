"""The DP chapter's protocols where the DP gap theorem bites: an exact toy mechanism (randomised
response on a one-record training set) and the game against a memorising learner and its DP
counterpart, at small epsilon, with an auxiliary set independent of the training set."""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.tree import DecisionTreeClassifier

from midlib.attacks.map import ClassifierMAP
from midlib.data.surveys import make_survey
from midlib.defenses.dp_tree import DPDecisionTreeClassifier
from midlib.game import play

__all__ = ["randomized_response_game", "LookupClassifier", "run"]


def randomized_response_game(epsilon: float, n_values: int, delta: float = 0.0) -> dict:
    """Both games, exactly, for k-ary randomised response on a one-record training set.

    The training set is one record whose secret is uniform on ``n_values`` values. With
    probability ``delta`` the mechanism releases the secret, otherwise it runs k-ary randomised
    response: the true value with probability ``e^eps / (e^eps + k - 1)``, each other value with
    probability ``1 / (e^eps + k - 1)``. This is ``(epsilon, delta)``-DP for replace-one
    neighbours (the only neighbouring relation on a training set of fixed size one). The
    adversary guesses the released value.

    Parameters
    ----------
    epsilon : float
        The mechanism's epsilon, >= 0.
    n_values : int
        Number ``k >= 2`` of values of the secret.
    delta : float, default=0.0
        Probability of releasing the secret outright, in [0, 1].

    Returns
    -------
    dict
        ``training_success`` (the target is the training record),
        ``distributional_success`` (a fresh record, ``1 / k``), ``bound``
        (``e^eps * distributional_success + delta``, not capped at 1) and ``ratio``
        (``training_success / bound``, which tends to 1 as ``k`` grows).

    Raises
    ------
    ValueError
        If an argument is out of range.

    Examples
    --------
    >>> r = randomized_response_game(0.5, 1000)
    >>> round(r["training_success"], 6), round(r["bound"], 6), round(r["ratio"], 4)
    (0.001648, 0.001649, 0.9994)
    """
    if not epsilon >= 0:
        raise ValueError(f"epsilon must be >= 0, got {epsilon}")
    if int(n_values) != n_values or n_values < 2:
        raise ValueError(f"n_values must be an integer >= 2, got {n_values}")
    if not 0 <= delta <= 1:
        raise ValueError(f"delta must lie in [0, 1], got {delta}")
    k, e = int(n_values), float(np.exp(epsilon))
    keep = e / (e + k - 1)
    training = delta + (1 - delta) * keep
    # the released value is uniform (uniform secret, symmetric mechanism) and independent of a
    # fresh target, so any guess computed from it is right with probability 1/k
    distributional = 1.0 / k
    bound = e * distributional + delta
    return {"training_success": float(training), "distributional_success": float(distributional),
            "bound": float(bound), "ratio": float(training / bound)}


class LookupClassifier(ClassifierMixin, BaseEstimator):
    """A memorising classifier: the training label of an exact match, else a small tree.

    On an input equal to a training record it answers that record's label with probability 1
    (the majority label if several records share the input); elsewhere it answers the
    probabilities of a depth-``fallback_depth`` decision tree fitted on the same data. It stands
    for any model that memorises its members (a 1-nearest-neighbour rule, a fully grown tree).

    Parameters
    ----------
    fallback_depth : int, default=3
        Depth of the tree used on inputs not seen in training.
    random_state : int, numpy.random.RandomState or None, default=None
        Seed of the fallback tree.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The class labels.
    table_ : dict
        Input (as bytes) -> index of its memorised class.
    fallback_ : sklearn.tree.DecisionTreeClassifier
        The tree used on unseen inputs.

    Examples
    --------
    >>> X = np.array([[0, 0], [0, 1], [1, 1]]); y = np.array([0, 1, 1])
    >>> LookupClassifier().fit(X, y).predict(X).tolist()
    [0, 1, 1]
    """

    def __init__(self, fallback_depth: int = 3, random_state=None):
        self.fallback_depth = fallback_depth
        self.random_state = random_state

    def fit(self, X, y):
        """Memorise the training records and fit the fallback tree.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training inputs.
        y : array-like of shape (n_samples,)
            Their labels.

        Returns
        -------
        LookupClassifier
            ``self``.

        Examples
        --------
        >>> len(LookupClassifier().fit([[0], [1], [1]], [0, 1, 0]).table_)
        2
        """
        X, y = np.asarray(X, dtype=float), np.asarray(y)
        self.fallback_ = DecisionTreeClassifier(max_depth=self.fallback_depth,
                                                random_state=self.random_state).fit(X, y)
        self.classes_ = self.fallback_.classes_
        codes = np.searchsorted(self.classes_, y)
        counts: dict = {}
        for row, c in zip(X, codes):
            counts.setdefault(row.tobytes(), np.zeros(len(self.classes_), int))[c] += 1
        self.table_ = {key: int(np.argmax(c)) for key, c in counts.items()}
        self.n_features_in_ = X.shape[1]
        return self

    def predict_proba(self, X):
        """Class probabilities: one-hot on memorised inputs, the fallback's elsewhere.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Inputs.

        Returns
        -------
        ndarray of shape (n_samples, n_classes)

        Examples
        --------
        >>> m = LookupClassifier().fit([[0], [1]], [0, 1])
        >>> m.predict_proba([[0], [2]]).tolist()
        [[1.0, 0.0], [0.0, 1.0]]
        """
        X = np.asarray(X, dtype=float)
        proba = self.fallback_.predict_proba(X)
        for i, row in enumerate(X):
            c = self.table_.get(row.tobytes())
            if c is not None:
                proba[i] = 0.0
                proba[i, c] = 1.0
        return proba

    def predict(self, X):
        """The most likely class of :meth:`predict_proba`.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Inputs.

        Returns
        -------
        ndarray of shape (n_samples,)

        Examples
        --------
        >>> LookupClassifier().fit([[0], [1]], [3, 4]).predict([[1]]).tolist()
        [4]
        """
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]


def run(learner: str, epsilon, seed: int, *, n_train: int = 3000, n_aux: int = 3000,
        n_targets: int = 3000, n_members: int = 2000, dependence: float = 0.5,
        n_features: int = 16, n_classes: int = 4, max_depth: int = 3) -> list[dict]:
    """Play both games against a memorising learner or a DP tree, with an independent aux set.

    One synthetic survey (:func:`midlib.data.make_survey`, a uniform binary secret) is drawn and
    split into a training set, an auxiliary set for the adversary (independent of the training
    set, as the DP gap theorem requires) and fresh targets. The learner is
    attacked by Fredrikson et al.'s MAP rule on its probabilities
    (:class:`midlib.attacks.ClassifierMAP`, knowledge aux+label).

    Parameters
    ----------
    learner : {"lookup", "DP tree"}
        :class:`LookupClassifier` (memorises; no DP) or
        :class:`midlib.defenses.DPDecisionTreeClassifier` with budget ``epsilon``.
    epsilon : float or None
        The DP tree's budget (add/remove-one neighbours); ignored for ``"lookup"``.
    seed : int
        Seeds the data and the learner.
    n_train, n_aux, n_targets : int, default=3000
        Sizes of the training set, the auxiliary set and the fresh targets.
    n_members : int, default=2000
        Number of training records attacked in the training-set game.
    dependence : float, default=0.5
        Strength of the dependence between the secret and the label.
    n_features : int, default=16
        Number of non-sensitive answers (enough to make records unique).
    n_classes : int, default=4
        Number of label classes.
    max_depth : int, default=3
        Depth of the DP tree and of the lookup model's fallback tree.

    Returns
    -------
    list of dict
        One row per game: ``learner``, ``epsilon``, ``seed``, ``game``, ``targets``, ``hits``,
        ``success``, ``baseline``, ``advantage``.

    Raises
    ------
    ValueError
        If ``learner`` is unknown.

    Examples
    --------
    >>> rows = run("lookup", None, 0, n_train=200, n_aux=200, n_targets=200, n_members=100)
    >>> [r["game"] for r in rows]
    ['training-set', 'distributional']
    """
    if learner == "lookup":
        model = LookupClassifier(fallback_depth=max_depth, random_state=seed)
    elif learner == "DP tree":
        model = DPDecisionTreeClassifier(epsilon, max_depth=max_depth, random_state=seed)
    else:
        raise ValueError(f"learner must be 'lookup' or 'DP tree', got {learner!r}")
    task = make_survey(n_train + n_aux + n_targets, dependence=dependence, p_sensitive=0.5,
                       n_features=n_features, n_classes=n_classes, random_state=seed)
    frame = task.frame
    train = frame.iloc[:n_train]
    aux = frame.iloc[n_train:n_train + n_aux]
    fresh = frame.iloc[n_train + n_aux:]
    model.fit(task.encode(train), task.y(train))
    members = train.sample(min(n_members, n_train), random_state=seed)
    res = play(task, model, ClassifierMAP(likelihood="proba"), members=members, nonmembers=fresh,
               aux=aux)
    rows = []
    for r in res.to_dict("records"):
        rows.append({"learner": learner, "epsilon": epsilon, "seed": seed, "game": r["game"],
                     "targets": int(r["n"]), "hits": int(round(r["success"] * r["n"])),
                     "success": float(r["success"]), "baseline": float(r["baseline"]),
                     "advantage": float(r["advantage"])})
    return rows
