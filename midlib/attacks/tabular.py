"""The attribute-inference attacks on tabular models, each scoring the engine's n x k table.

The game engine (:func:`midlib.game.play_batched`) asks the model once about every record
completed with every candidate sensitive value, and hands each attack a :class:`TableView`:
those n x k answers, the model's released output on the true records (what an adversary with
*output* access observes), the records' labels, and the same-knowledge imputation posterior.
An attack returns its *evidence*, an (n, k) log-likelihood of each candidate; the engine adds
it, with a weight tuned on held-out auxiliary records, to the log imputation posterior. Weight
0 is the imputation guess itself, so no attack starts below its own baseline.

The attacks (:data:`TABLE_ATTACKS`):

- ``map``: Fredrikson et al.'s MAP attack: regression ``-(y - f(x_ns, v))^2 / (2 s^2)``
  (2014); classification ``log pi(y | f(x_ns, v))`` through the model's confusion matrix on
  auxiliary records (2015), label-only;
- ``likelihood``: the model's own probability of the true label, ``log p_f(y | x_ns, v)``;
- ``csmia``: Mehnaz et al. (2022)'s confidence-score attack (the candidate whose prediction is
  the label, the most confident; for a regressor, the nearest prediction);
- ``lomia``: Mehnaz et al.'s label-only attack (candidates whose predicted label is the label);
- ``whitebox_tree``: Fredrikson et al. (2015)'s white-box attack on a tree or forest: the
  training records of label ``y`` in the leaves that ``(x_ns, v)`` reaches;
- ``output`` / ``output_label``: the *output observer*: the likelihood of the released output
  on the true record (scores or value; the label) under each candidate, for a stochastic
  output through its known distribution;
- ``learned`` / ``learned_output``: an attack model (gradient boosting) trained on auxiliary
  records, whose features are the imputation posterior and every other attack's evidence
  (with or without the observed output).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["TableView", "TableAttack", "TABLE_ATTACKS", "available_table_attacks", "attack_access", "ACCESS_LEVELS"]

#: Access levels of the engine, from the narrowest: the released output on the target, label
#: queries, score queries, the model itself.
ACCESS_LEVELS = ("output", "label-only", "black-box", "white-box")   # = midlib.game's


@dataclass
class TableView:
    """The model's answers on n records x k candidate values, and what the adversary knows.

    Attributes
    ----------
    kind : {"regression", "classification"}
    pred : ndarray of shape (n, k)
        The prediction for each record completed with each candidate (averaged over repeated
        queries for a stochastic model).
    proba : ndarray of shape (n, k, n_classes) or None
        Class probabilities, if the model gives them.
    observed : ndarray of shape (n,)
        The released output on the true record (one draw of a stochastic output).
    observed_proba : ndarray of shape (n, n_classes) or None
        The released scores on the true record.
    labels : ndarray of shape (n,)
        The records' labels (regression: float; classification: index into the classes, -1
        for a label the model does not know).
    pred_codes : ndarray of shape (n, k) or None
        Classification: the predicted labels as indices into the classes.
    observed_codes : ndarray of shape (n,) or None
        Classification: the released label as an index into the classes.
    stochastic : bool
        Whether the model's output is random (two queries of one record differ).
    leaf_counts : ndarray of shape (n, k, n_classes) or None
        White-box trees: training records of each label in the leaves each completed record
        reaches, summed over the trees.
    """

    kind: str
    pred: np.ndarray
    proba: np.ndarray | None
    observed: np.ndarray
    observed_proba: np.ndarray | None
    labels: np.ndarray
    pred_codes: np.ndarray | None = None
    observed_codes: np.ndarray | None = None
    stochastic: bool = False
    leaf_counts: np.ndarray | None = None
    n_classes: int = 0
    pred_mean: np.ndarray | None = None

    def __len__(self):
        return self.pred.shape[0]


def _at(a: np.ndarray, truth: np.ndarray) -> np.ndarray:
    """Row i's entry at column truth[i]."""
    return a[np.arange(len(truth)), truth]


# ------------------------------------------------------------------------------------------
# fit(view, truth) -> params ; evidence(view, params) -> (n, k) log-likelihood
# ------------------------------------------------------------------------------------------

def _fit_scale(view, truth):
    if view.kind != "regression":
        return {}
    resid = view.labels.astype(float) - _at(view.pred, truth).astype(float)
    return {"s": float(max(np.sqrt(np.mean(resid ** 2)), 1e-9))}


def _map_fit(view, truth):
    if view.kind == "regression":
        return _fit_scale(view, truth)
    C = view.n_classes
    yhat, y = _at(view.pred_codes, truth), view.labels
    ok = (yhat >= 0) & (y >= 0)
    joint = np.ones((C, C))
    np.add.at(joint, (yhat[ok], y[ok]), 1.0)
    return {"confusion": joint / joint.sum(axis=1, keepdims=True)}


def _map_evidence(view, p):
    if view.kind == "regression":
        return -(view.labels.astype(float)[:, None] - view.pred) ** 2 / (2 * p["s"] ** 2)
    y = np.maximum(view.labels, 0)
    return np.log(p["confusion"][np.maximum(view.pred_codes, 0), y[:, None]])


def _likelihood_evidence(view, p):
    y = np.maximum(view.labels, 0)
    lik = np.take_along_axis(view.proba, y[:, None, None], axis=2)[:, :, 0]
    return np.log(np.clip(lik, 1e-12, 1.0))


def _csmia_evidence(view, p):
    if view.kind == "regression":
        return -np.abs(view.labels.astype(float)[:, None] - view.pred) / p["s"]
    conf = view.proba.max(axis=2)
    match = view.pred_codes == view.labels[:, None]
    return np.where(match, 1.0 + conf, -conf)


def _lomia_evidence(view, p):
    return (view.pred_codes == view.labels[:, None]).astype(float)


def _whitebox_evidence(view, p):
    y = np.maximum(view.labels, 0)
    counts = np.take_along_axis(view.leaf_counts, y[:, None, None], axis=2)[:, :, 0]
    return np.log(counts + 0.5)


def _output_fit(view, truth):
    """The spread of the released output around the table's answer at the true value: zero
    (up to rounding) for a deterministic model, the output noise for a stochastic one."""
    if view.kind == "regression":
        diff = view.observed.astype(float) - _at(view.pred, truth).astype(float)
        scale = float(np.var(view.observed.astype(float))) or 1.0
    else:
        diff = view.observed_proba - _at(view.proba, truth)
        scale = 1.0
    tau2 = float(np.mean(np.sum(np.atleast_2d(diff.T).T ** 2, axis=-1) if diff.ndim > 1
                         else diff ** 2))
    return {"tau2": max(tau2, 1e-12 * scale)}


def _output_evidence(view, p):
    if view.kind == "regression":
        d2 = (view.observed.astype(float)[:, None] - view.pred) ** 2
    else:
        d2 = np.sum((view.observed_proba[:, None, :] - view.proba) ** 2, axis=2)
    return -d2 / (2 * p["tau2"])


def _output_label_fit(view, truth):
    agree = float(np.mean(view.observed_codes == _at(view.pred_codes, truth)))
    n = len(truth)
    return {"agree": min(max(agree, 0.5 / n), 1 - 0.5 / n)}


def _output_label_evidence(view, p):
    o = np.maximum(view.observed_codes, 0)
    if view.stochastic and view.proba is not None:   # the released label is a draw from proba
        lik = np.take_along_axis(view.proba, o[:, None, None], axis=2)[:, :, 0]
        return np.log(np.clip(lik, 1e-12, 1.0))
    other = (1 - p["agree"]) / max(view.n_classes - 1, 1)
    return np.where(view.pred_codes == o[:, None], np.log(p["agree"]), np.log(other))


def _no_fit(view, truth):
    return {}


@dataclass(frozen=True)
class TableAttack:
    """One attack of the engine: what it needs and how it reads the table.

    Attributes
    ----------
    name, label : str
        Its key and its name in reports.
    access : str
        One of ``"output"``, ``"label-only"``, ``"black-box"``, ``"white-box"``.
    knowledge : tuple of str
        The knowledge levels it is played at (``"aux"``, ``"aux+label"``).
    kinds : tuple of str
        The model kinds it applies to.
    needs : tuple of str
        What the model must give: ``"proba"``, ``"trees"``.
    fit, evidence : callable
        ``fit(view, truth) -> params`` on auxiliary records; ``evidence(view, params) -> (n, k)``.
    learned : bool
        An attack model trained on the other attacks' evidence.
    """

    name: str
    label: str
    access: str
    knowledge: tuple = ("aux+label",)
    kinds: tuple = ("regression", "classification")
    needs: tuple = ()
    fit: object = field(default=_no_fit, repr=False)
    evidence: object = field(default=None, repr=False)
    learned: bool = False


TABLE_ATTACKS = {a.name: a for a in [
    TableAttack("output", "output observer (released scores / value)", "output",
                knowledge=("aux", "aux+label"), needs=("proba",), fit=_output_fit,
                evidence=_output_evidence),
    TableAttack("output_label", "output observer (released label)", "output",
                knowledge=("aux", "aux+label"), kinds=("classification",),
                fit=_output_label_fit, evidence=_output_label_evidence),
    TableAttack("map", "MAP (Fredrikson et al.)", "label-only", fit=_map_fit,
                evidence=_map_evidence),
    TableAttack("map_mean", "MAP on the mean output (white-box)", "white-box",
                kinds=("regression",), needs=("mean",), fit=_map_fit, evidence=_map_evidence),
    TableAttack("lomia", "label-only LOMIA (Mehnaz et al.)", "label-only",
                kinds=("classification",), evidence=_lomia_evidence),
    TableAttack("likelihood", "model likelihood of the label", "black-box",
                kinds=("classification",), needs=("proba",), evidence=_likelihood_evidence),
    TableAttack("csmia", "confidence-score CSMIA (Mehnaz et al.)", "black-box", fit=_fit_scale,
                needs=("proba",), evidence=_csmia_evidence),
    TableAttack("whitebox_tree", "white-box tree (Fredrikson et al. 2015)", "white-box",
                kinds=("classification",), needs=("trees",), evidence=_whitebox_evidence),
    TableAttack("learned", "learned attack (queries)", "black-box", learned=True),
    TableAttack("learned_output", "learned attack (queries + released output)", "output",
                learned=True),
]}
# A regressor's MAP reads real-valued answers: score queries, not labels.
REGRESSION_ACCESS = {"map": "black-box"}


def attack_access(name: str, kind: str) -> str:
    """The access level an attack needs on a model of ``kind``.

    Examples
    --------
    >>> attack_access("map", "regression"), attack_access("map", "classification")
    ('black-box', 'label-only')
    """
    if kind == "regression" and name in REGRESSION_ACCESS:
        return REGRESSION_ACCESS[name]
    return TABLE_ATTACKS[name].access


def available_table_attacks(kind: str, has_proba: bool, has_trees: bool) -> list[str]:
    """The attacks that apply to a model.

    Examples
    --------
    >>> available_table_attacks("regression", False, False)
    ['output', 'map', 'csmia', 'learned', 'learned_output']
    """
    out = []
    for a in TABLE_ATTACKS.values():
        if kind not in a.kinds or ("trees" in a.needs and not has_trees) or "mean" in a.needs:
            continue
        if "proba" in a.needs and kind == "classification" and not has_proba:
            continue
        out.append(a.name)
    return out
