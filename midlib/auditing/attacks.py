"""The audit's attacks, vectorised: one batched query over all records x candidate values.

Every record is repeated once per candidate value of the sensitive column (an (n k)-row frame,
record-major) and the model is queried once on all of them (:func:`query`). The attacks then read
the (n, k) predictions:

- ``map``: Fredrikson et al.'s black-box MAP attack: regression, ``prior(v) * N(y; f(x_ns, v),
  s^2)`` with ``s`` the model's RMS residual on the auxiliary records (2014); classification,
  ``prior(v) * pi(y | f(x_ns, v))`` with ``pi`` the model's confusion matrix on the auxiliary
  records (2015);
- ``csmia``: Mehnaz et al. (2022)'s confidence-score attack: the candidate whose prediction is
  the true label; several such, the most confident; none, the least confident (for a
  regression model: the candidate whose prediction is nearest the true label, which finds the
  records a model memorised);
- ``lomia``: Mehnaz et al.'s label-only attack: where exactly one candidate predicts the true
  label, that candidate; an attack model trained on those records guesses the rest;
- ``whitebox_tree``: Fredrikson et al. (2015)'s white-box attack on a tree or a forest's trees:
  ``prior(v) * sum_trees (training records of label y in the leaf (x_ns, v) reaches)``.

The no-model baselines (``prior``; ``aux`` and ``aux+label``, an imputation model trained on the
auxiliary records) never query the model.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from midlib.auditing.loading import ModelAdapter
from midlib.defenses.tree_base import node_counts

__all__ = ["ATTACKS", "BASELINES", "Queries", "AuxKnowledge", "expand", "query", "fit_aux",
           "attack_guesses", "baseline_guesses", "fit_imputer", "available_attacks"]

#: LOMIA trains its attack model on at most this many records.
LOMIA_MAX_TRAIN = 20_000
#: The attacks: name -> (label, knowledge, access).
ATTACKS = {
    "map": ("black-box MAP (Fredrikson et al.)", "aux+label", "black-box"),
    "csmia": ("confidence-score CSMIA (Mehnaz et al.)", "aux+label", "black-box"),
    "lomia": ("label-only LOMIA (Mehnaz et al.)", "aux+label", "label-only"),
    "whitebox_tree": ("white-box tree (Fredrikson et al. 2015)", "aux+label", "white-box"),
}
#: The no-model baselines: name -> (label, knowledge).
BASELINES = {
    "prior": ("most frequent value", "prior"),
    "aux": ("imputation from the other columns", "aux"),
    "aux+label": ("imputation from the other columns and the label", "aux+label"),
}


def expand(frame: pd.DataFrame, features, sensitive: str, values) -> pd.DataFrame:
    """Repeat each record once per candidate value: row ``i k + j`` is record i with value j.

    Parameters
    ----------
    frame : pandas.DataFrame
        The records.
    features : list of str
        The columns to keep (the model's inputs).
    sensitive : str
        The sensitive column (one of ``features``).
    values : array-like of shape (k,)
        The candidate values.

    Returns
    -------
    pandas.DataFrame
        ``len(frame) * k`` rows.

    Examples
    --------
    >>> frame = pd.DataFrame({"a": [1, 2], "s": ["x", "x"]})
    >>> expand(frame, ["a", "s"], "s", ["x", "y"])["s"].tolist()
    ['x', 'y', 'x', 'y']
    """
    values = np.asarray(values)
    n, k = len(frame), len(values)
    out = frame[list(features)].iloc[np.repeat(np.arange(n), k)].reset_index(drop=True)
    out[sensitive] = np.tile(values, n)
    return out


@dataclass
class Queries:
    """The model's answers for n records x k candidate values (from :func:`query`).

    Parameters
    ----------
    pred : ndarray of shape (n, k)
        The predictions.
    proba : ndarray of shape (n, k, n_classes) or None
        Class probabilities, if the model gives them.
    Xt : array or None
        The final estimator's input, n k rows (white-box attacks).

    Examples
    --------
    >>> Queries(np.zeros((2, 3)), None, None).pred.shape
    (2, 3)
    """

    pred: np.ndarray
    proba: np.ndarray | None
    Xt: object


def query(adapter: ModelAdapter, frame: pd.DataFrame, sensitive: str, values) -> Queries:
    """Query the model once on every record completed with every candidate value.

    Parameters
    ----------
    adapter : ModelAdapter
        The wrapped model.
    frame : pandas.DataFrame
        The records.
    sensitive : str
        The sensitive column.
    values : array-like of shape (k,)
        The candidate values.

    Returns
    -------
    Queries
        Predictions of shape (n, k) (and probabilities of shape (n, k, n_classes)).

    Examples
    --------
    >>> from sklearn.linear_model import LinearRegression
    >>> from midlib.auditing.loading import wrap_model
    >>> frame = pd.DataFrame({"s": [0, 1, 0, 1], "y": [0.0, 1.0, 0.1, 1.1]})
    >>> adapter = wrap_model(LinearRegression().fit(frame[["s"]], frame["y"]), frame, target="y")
    >>> query(adapter, frame.head(1), "s", [0, 1]).pred.round(2).tolist()
    [[0.05, 1.05]]
    """
    n, k = len(frame), len(values)
    pred, proba, Xt = adapter.outputs(expand(frame, adapter.features, sensitive, values))
    pred = pred.reshape(n, k)
    if proba is not None:
        proba = proba.reshape(n, k, -1)
    return Queries(pred, proba, Xt)


# --------------------------------------------------------------------------------------------
# what the adversary learns from auxiliary records, and the no-model baselines
# --------------------------------------------------------------------------------------------

def _design(frame: pd.DataFrame, columns, cats: dict) -> pd.DataFrame:
    out = {}
    for c in columns:
        if c in cats:
            out[c] = pd.Categorical(frame[c], categories=cats[c])
        else:
            out[c] = pd.to_numeric(frame[c], errors="coerce").astype(float)
    return pd.DataFrame(out, index=frame.index)


def fit_imputer(aux: pd.DataFrame, columns, sensitive: str, random_state=0):
    """An imputation model of the sensitive column from ``columns``, trained on ``aux``.

    scikit-learn's ``HistGradientBoostingClassifier`` (missing values and categories handled
    natively; columns of text, booleans or categories are categorical).

    Parameters
    ----------
    aux : pandas.DataFrame
        Auxiliary records with their sensitive values.
    columns : list of str
        The columns it reads (not the sensitive one).
    sensitive : str
        The column it predicts.
    random_state : int, default=0
        Seeds the model.

    Returns
    -------
    callable or None
        ``f(frame) -> guesses`` (values of the sensitive column), None when ``aux`` holds a
        single sensitive value or ``columns`` is empty.

    Examples
    --------
    >>> aux = pd.DataFrame({"a": [0, 0, 1, 1] * 10, "s": ["x", "x", "y", "y"] * 10})
    >>> fit_imputer(aux, ["a"], "s")(pd.DataFrame({"a": [0, 1]})).tolist()
    ['x', 'y']
    """
    from sklearn.ensemble import HistGradientBoostingClassifier

    target = aux[sensitive].to_numpy()
    if len(pd.unique(target)) < 2 or not list(columns):
        return None
    cats = {}
    for c in columns:
        col = aux[c]
        if not pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col):
            levels = pd.unique(col.dropna())
            if len(levels) < 255:
                cats[c] = list(levels)
    model = HistGradientBoostingClassifier(categorical_features="from_dtype", max_iter=40,
                                           learning_rate=0.15, max_leaf_nodes=15,
                                           early_stopping=len(aux) >= 200, n_iter_no_change=5,
                                           random_state=random_state)
    with threadpool_limits(1):  # OpenMP threads contend badly on busy machines
        model.fit(_design(aux, columns, cats), target)

    def impute(frame):
        with threadpool_limits(1):
            return model.predict(_design(frame, columns, cats))

    return impute


@dataclass
class AuxKnowledge:
    """What the adversary learns from its auxiliary records (from :func:`fit_aux`).

    Parameters
    ----------
    values : ndarray of shape (k,)
        The candidate sensitive values.
    prior : ndarray of shape (k,)
        Their frequencies in the auxiliary records.
    sigma : float or None
        Regression: the model's RMS residual on them.
    confusion : ndarray of shape (n_classes, n_classes) or None
        Classification: ``pi[yhat, y]``, P(true label y | prediction yhat), smoothed.
    imputers : dict
        ``"aux"`` and ``"aux+label"``: the imputation models (see :func:`fit_imputer`).
    sensitive : str
        The sensitive column.

    Examples
    --------
    >>> AuxKnowledge(np.array(["a", "b"]), np.array([0.6, 0.4]), 1.0, None, {}, "s").prior.sum()
    np.float64(1.0)
    """

    values: np.ndarray
    prior: np.ndarray
    sigma: float | None
    confusion: np.ndarray | None
    imputers: dict
    sensitive: str


def label_codes(adapter: ModelAdapter, labels) -> np.ndarray:
    """Position of each label in the model's classes (-1 for a label the model never saw).

    Parameters
    ----------
    adapter : ModelAdapter
        A wrapped classifier.
    labels : array-like of shape (n,)
        Labels.

    Returns
    -------
    ndarray of shape (n,)
        Indices into ``adapter.classes``.

    Examples
    --------
    >>> from sklearn.dummy import DummyClassifier
    >>> from midlib.auditing.loading import wrap_model
    >>> frame = pd.DataFrame({"a": [0, 1], "y": ["n", "y"]})
    >>> adapter = wrap_model(DummyClassifier().fit(frame[["a"]], frame["y"]), frame, target="y")
    >>> label_codes(adapter, ["y", "z"]).tolist()
    [1, -1]
    """
    return pd.Index(adapter.classes).get_indexer(np.asarray(labels))


def fit_aux(adapter: ModelAdapter, aux: pd.DataFrame, sensitive: str, target: str, values,
            random_state=0) -> AuxKnowledge:
    """Learn the prior, the model's residual scale or confusion matrix, and the imputers.

    Parameters
    ----------
    adapter : ModelAdapter
        The wrapped model.
    aux : pandas.DataFrame
        Auxiliary records (not the audited targets).
    sensitive : str
        The sensitive column.
    target : str
        The label column.
    values : array-like of shape (k,)
        The candidate values.
    random_state : int, default=0
        Seeds the imputation models.

    Returns
    -------
    AuxKnowledge
        What the adversary knows.

    Examples
    --------
    >>> from sklearn.linear_model import LinearRegression
    >>> from midlib.auditing.loading import wrap_model
    >>> frame = pd.DataFrame({"s": [0, 1] * 20, "y": [0.0, 1.0] * 20})
    >>> adapter = wrap_model(LinearRegression().fit(frame[["s"]], frame["y"]), frame, target="y")
    >>> fit_aux(adapter, frame, "s", "y", [0, 1]).prior.tolist()
    [0.5, 0.5]
    """
    values = np.asarray(values)
    counts = pd.Index(values).get_indexer(aux[sensitive].to_numpy())
    prior = np.bincount(counts[counts >= 0], minlength=len(values)).astype(float)
    prior = prior / prior.sum()
    pred, _, _ = adapter.outputs(aux)
    sigma = confusion = None
    if adapter.kind == "regression":
        resid = aux[target].to_numpy(dtype=float) - np.asarray(pred, dtype=float)
        sigma = float(max(np.sqrt(np.mean(resid ** 2)), 1e-12))
    else:
        C = len(adapter.classes)
        yhat, y = label_codes(adapter, pred), label_codes(adapter, aux[target])
        ok = (yhat >= 0) & (y >= 0)
        joint = np.ones((C, C))
        np.add.at(joint, (yhat[ok], y[ok]), 1.0)
        confusion = joint / joint.sum(axis=1, keepdims=True)
    others = [c for c in adapter.features if c != sensitive]
    imputers = {"aux": fit_imputer(aux, others, sensitive, random_state),
                "aux+label": fit_imputer(aux, others + [target], sensitive, random_state)}
    return AuxKnowledge(values, prior, sigma, confusion, imputers, sensitive)


def baseline_guesses(name: str, know: AuxKnowledge, frame: pd.DataFrame) -> np.ndarray:
    """The guesses (indices into the candidate values) of a no-model baseline.

    Parameters
    ----------
    name : {"prior", "aux", "aux+label"}
        The baseline (see :data:`BASELINES`).
    know : AuxKnowledge
        What the adversary learnt from its auxiliary records.
    frame : pandas.DataFrame
        The targets.

    Returns
    -------
    ndarray of shape (n,)
        Indices into ``know.values``.

    Examples
    --------
    >>> know = AuxKnowledge(np.array(["a", "b"]), np.array([0.3, 0.7]), None, None, {}, "s")
    >>> baseline_guesses("prior", know, pd.DataFrame({"x": [1, 2]})).tolist()
    [1, 1]
    """
    mode = np.full(len(frame), int(np.argmax(know.prior)))
    if name == "prior" or know.imputers.get(name) is None:
        return mode
    idx = pd.Index(know.values).get_indexer(know.imputers[name](frame))
    return np.where(idx >= 0, idx, mode)


def available_attacks(adapter: ModelAdapter) -> list[str]:
    """The attacks that the model allows.

    Parameters
    ----------
    adapter : ModelAdapter
        The wrapped model.

    Returns
    -------
    list of str
        Keys of :data:`ATTACKS`: ``map`` always; ``csmia`` for regressors and classifiers
        with probabilities; for classifiers ``lomia``, ``whitebox_tree`` for scikit-learn or midlib trees and tree ensembles.

    Examples
    --------
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> from midlib.auditing.loading import wrap_model
    >>> frame = pd.DataFrame({"a": [0, 1], "y": ["n", "y"]})
    >>> adapter = wrap_model(DecisionTreeClassifier().fit(frame[["a"]], frame["y"]), frame, target="y")
    >>> available_attacks(adapter)
    ['map', 'csmia', 'lomia', 'whitebox_tree']
    """
    if adapter.kind == "regression":
        return ["map", "csmia"]
    out = ["map", "csmia", "lomia"] if adapter.has_proba else ["map", "lomia"]
    if _trees(adapter.final):
        out.append("whitebox_tree")
    return out


def _trees(est):
    if est is None or getattr(est, "classes_", None) is None:
        return []
    if hasattr(est, "tree_"):
        return [est]
    sub = getattr(est, "estimators_", None)
    if isinstance(sub, list) and sub and all(hasattr(t, "tree_") for t in sub):
        return sub
    return []


def attack_guesses(name: str, q: Queries, know: AuxKnowledge, adapter: ModelAdapter,
                   frame: pd.DataFrame, target: str, random_state=0) -> np.ndarray:
    """The guesses (indices into the candidate values) of one attack.

    Parameters
    ----------
    name : str
        A key of :data:`ATTACKS`.
    q : Queries
        The model's answers on ``frame`` x candidates (from :func:`query`).
    know : AuxKnowledge
        What the adversary learnt from its auxiliary records.
    adapter : ModelAdapter
        The wrapped model.
    frame : pandas.DataFrame
        The targets, with their labels.
    target : str
        The label column.
    random_state : int, default=0
        Seeds LOMIA's attack model.

    Returns
    -------
    ndarray of shape (n,)
        Indices into ``know.values``.

    Examples
    --------
    >>> from sklearn.linear_model import LinearRegression
    >>> from midlib.auditing.loading import wrap_model
    >>> frame = pd.DataFrame({"s": [0, 1] * 20, "y": [0.0, 1.0] * 20})
    >>> adapter = wrap_model(LinearRegression().fit(frame[["s"]], frame["y"]), frame, target="y")
    >>> know = fit_aux(adapter, frame, "s", "y", [0, 1])
    >>> q = query(adapter, frame.head(4), "s", [0, 1])
    >>> attack_guesses("map", q, know, adapter, frame.head(4), "y").tolist()
    [0, 1, 0, 1]
    """
    n, k = q.pred.shape
    with np.errstate(divide="ignore"):
        logp = np.log(know.prior)[None, :]
    if adapter.kind == "regression":
        y = frame[target].to_numpy(dtype=float)[:, None]
        if name == "csmia":
            return np.argmin(np.abs(y - q.pred.astype(float)), axis=1)
        return np.argmax(logp - (y - q.pred.astype(float)) ** 2 / (2 * know.sigma ** 2), axis=1)
    ycol = label_codes(adapter, frame[target])
    mode = int(np.argmax(know.prior))
    if name == "map":
        pcol = label_codes(adapter, q.pred.ravel()).reshape(n, k)
        with np.errstate(divide="ignore"):
            lik = np.log(know.confusion[np.maximum(pcol, 0), np.maximum(ycol, 0)[:, None]])
        guess = np.argmax(logp + lik, axis=1)
    elif name == "csmia":
        conf = q.proba.max(axis=2)
        match = q.pred == frame[target].to_numpy()[:, None]
        guess = np.argmax(np.where(match, 1.0 + conf, -conf), axis=1)
    elif name == "lomia":
        guess = _lomia(q, know, adapter, frame, target, random_state)
    elif name == "whitebox_tree":
        guess = _whitebox(q, know, adapter, ycol)
    else:
        raise ValueError(f"unknown attack {name!r}; choose from {list(ATTACKS)}")
    return np.where(ycol >= 0, guess, mode)


def _lomia(q, know, adapter, frame, target, random_state):
    match = q.pred == frame[target].to_numpy()[:, None]
    one = match.sum(axis=1) == 1
    guess = np.full(len(frame), int(np.argmax(know.prior)))
    guess[one] = np.argmax(match[one], axis=1)
    rest = ~one
    if rest.any() and one.sum() >= 10:
        sens = "__lomia_value__"
        train = frame.loc[one].assign(**{sens: guess[one]})
        if len(train) > LOMIA_MAX_TRAIN:
            train = train.sample(LOMIA_MAX_TRAIN, random_state=random_state)
        others = [c for c in adapter.features if c != know.sensitive]
        imputer = fit_imputer(train, others + [target], sens, random_state)
        if imputer is not None:
            guess[rest] = imputer(frame.loc[rest])
        else:
            guess[rest] = guess[one][0]
    return guess


def _whitebox(q, know, adapter, ycol):
    n, k = q.pred.shape
    trees = _trees(adapter.final)
    leaves = np.asarray(adapter.final.apply(q.Xt))
    leaves = leaves.reshape(len(leaves), -1)
    yrep = np.repeat(np.maximum(ycol, 0), k)
    score = np.zeros(n * k)
    for t, tree in enumerate(trees):
        score += node_counts(tree.tree_)[leaves[:, t], yrep]
    score = score.reshape(n, k) * know.prior[None, :]
    empty = score.sum(axis=1) <= 0
    score[empty] = know.prior
    return np.argmax(score, axis=1)
