"""The model-inversion (MI) game, its adversaries, and the advantage with confidence intervals.

The game (catalogue entry 1 of the design). A challenger draws a training set ``S`` and trains
``f = A(S)``; it draws a target record ``(x, y)`` with ``x = (x_s, x_ns)`` and ``x_s`` a discrete
sensitive attribute, either fresh from the data distribution (the *distributional* game) or
uniformly from ``S`` (the *training-set* game). The adversary receives auxiliary knowledge and
access to ``f`` and outputs a guess of ``x_s``. Its *advantage* is its success probability minus
the success of the best adversary with the same knowledge and no access to ``f``.

Knowledge levels (:attr:`Adversary.knowledge`):

``"prior"``      the marginal prior of ``x_s`` only;
``"aux"``        plus the target's non-sensitive attributes ``x_ns``;
``"aux+label"``  plus the target's true label ``y``.

Access levels (:attr:`Adversary.access`): ``"none"`` (no-model baselines: they receive
``None`` instead of the model), ``"prediction"`` (only the model's output on the true
target record, handed over by the challenger), ``"prediction+white-box"`` (that output and the model
itself), ``"black-box"`` (queries on inputs of its choice), ``"white-box"`` (the model itself).

Empirically, :func:`play` scores a fitted model against an adversary on training records
(*members*) and held-out records (*non-members*, standing in for fresh draws), and
:func:`play_seeds` / :func:`play_sampled` repeat this over seeds. Exactly, for a known discrete
distribution, :func:`bayes_success` gives the success of the Bayes-optimal adversary.
"""

from __future__ import annotations

from typing import Callable, Iterable, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from .datasets import TabularTask

KNOWLEDGE = ("prior", "aux", "aux+label")
ACCESS = ("none", "prediction", "prediction+white-box", "black-box", "white-box")
GAMES = ("training-set", "distributional")

__all__ = [
    "KNOWLEDGE", "ACCESS", "GAMES",
    "Adversary", "PriorAdversary", "AuxiliaryAdversary", "BayesAdversary",
    "RegressionMAPAdversary", "LikelihoodAdversary", "ClassifierMAPAdversary",
    "OutputBayesAdversary",
    "TargetPrediction", "play", "play_seeds", "play_sampled", "summarize",
    "wilson_interval", "paired_difference_interval", "bayes_success", "bayes_advantage",
    "task_from_arrays", "check_task", "check_seed",
]


# --------------------------------------------------------------------------------------------
# Validation helpers
# --------------------------------------------------------------------------------------------

def check_seed(seed) -> int:
    """Return ``seed`` as an int; raise a TypeError if it is not an integer."""
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"seeds must be integers, got {seed!r} ({type(seed).__name__})")
    return int(seed)


def check_task(task) -> TabularTask:
    """Check that ``task`` is a TabularTask whose sensitive attribute is discrete with >= 2 values."""
    if not isinstance(task, TabularTask):
        raise TypeError(
            f"task must be a midlib.datasets.TabularTask, got {type(task).__name__}; build one "
            "from arrays with midlib.game.task_from_arrays"
        )
    values = task.sensitive_values
    if len(values) < 2:
        raise ValueError(
            f"the sensitive attribute {task.sensitive!r} must have at least two values, got {values}"
        )
    return task


def _as_frame(task: TabularTask, data, name: str) -> pd.DataFrame:
    if isinstance(data, np.ndarray):
        cols = list(task.frame.columns)
        if data.ndim != 2 or data.shape[1] != len(cols):
            raise ValueError(
                f"{name}: an array must have shape (n, {len(cols)}) with the task's columns "
                f"{cols}, got shape {data.shape}"
            )
        data = pd.DataFrame(data, columns=cols)
        for col in cols:
            if col in task.bounds or (col == task.target and task.task == "regression"):
                data[col] = data[col].astype(float)
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"{name} must be a pandas DataFrame (or numpy array), got {type(data).__name__}")
    if len(data) == 0:
        raise ValueError(f"{name} has no records")
    needed = [c for c in task.features + [task.target] if c not in data.columns]
    if needed:
        raise ValueError(f"{name} lacks the task's columns {needed}")
    bad = ~data[task.sensitive].isin(task.sensitive_values)
    if bad.any():
        raise ValueError(
            f"{name}: sensitive column {task.sensitive!r} has values "
            f"{sorted(map(str, set(data.loc[bad, task.sensitive])))} outside "
            f"{task.sensitive_values} (the sensitive attribute must be discrete)"
        )
    return data.reset_index(drop=True)


def task_from_arrays(X, y, s, *, sensitive_values: Sequence | None = None,
                     task: str = "classification", feature_names: Sequence[str] | None = None,
                     name: str = "arrays") -> TabularTask:
    """A :class:`TabularTask` from numpy arrays or pandas objects.

    ``X`` (n, d) numeric non-sensitive features (scaled to [0, 1] by their observed ranges),
    ``y`` (n,) the target, ``s`` (n,) the discrete sensitive attribute (>= 2 distinct values).
    The sensitive column is named ``"s"``, the target ``"y"``.
    """
    X = np.asarray(X, dtype=float)
    if X.ndim == 1:
        X = X[:, None]
    if X.ndim != 2:
        raise ValueError(f"X must be 2-D (n, d), got shape {X.shape}")
    y = np.asarray(y)
    s = np.asarray(s)
    n = X.shape[0]
    if y.shape != (n,) or s.shape != (n,):
        raise ValueError(f"shapes disagree: X {X.shape}, y {y.shape}, s {s.shape}; need (n, d), (n,), (n,)")
    if np.isnan(X).any():
        raise ValueError("X has missing values (NaN): impute or drop them first")
    if s.dtype.kind == "f":
        if np.isnan(s).any():
            raise ValueError("s has missing values (NaN)")
        if not np.all(s == np.round(s)):
            raise ValueError("the sensitive attribute s must be discrete; got non-integer floats "
                             "(discretize it first)")
        s = s.astype(int)
    values = list(pd.unique(s)) if sensitive_values is None else list(sensitive_values)
    if sensitive_values is None:
        values = sorted(values, key=lambda v: (str(type(v)), v))
    if len(values) < 2:
        raise ValueError(f"the sensitive attribute must take at least two values, got {values}")
    names = list(feature_names) if feature_names is not None else [f"x{j}" for j in range(X.shape[1])]
    if len(names) != X.shape[1] or "s" in names or "y" in names:
        raise ValueError("feature_names must give one name per column of X, other than 's' and 'y'")
    frame = pd.DataFrame(X, columns=names)
    frame["s"] = s
    frame["y"] = y
    bounds = {}
    for c in names:
        lo, hi = float(frame[c].min()), float(frame[c].max())
        bounds[c] = (lo, hi if hi > lo else lo + 1.0)
    return TabularTask(name=name, frame=frame, target="y", sensitive="s", features=names + ["s"],
                       categories={"s": values}, bounds=bounds, task=task)


# --------------------------------------------------------------------------------------------
# Confidence intervals
# --------------------------------------------------------------------------------------------

def wilson_interval(successes, n, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval of a binomial proportion (statsmodels' ``proportion_confint``)."""
    from statsmodels.stats.proportion import proportion_confint

    if n <= 0:
        raise ValueError(f"n must be positive, got {n}")
    lo, hi = proportion_confint(successes, n, alpha=1 - confidence, method="wilson")
    return float(lo), float(hi)


def paired_difference_interval(a, b, confidence: float = 0.95) -> tuple[float, float, float]:
    """Difference of two paired proportions ``mean(a) - mean(b)`` with Newcombe's (1998,
    method 10) interval: Wilson intervals of both proportions combined with the correlation of
    the pairs. ``a`` and ``b`` are 0/1 outcomes on the same records. Returns (diff, lo, hi).
    """
    a = np.asarray(a, dtype=bool)
    b = np.asarray(b, dtype=bool)
    if a.shape != b.shape or a.ndim != 1 or len(a) == 0:
        raise ValueError("a and b must be non-empty 1-D arrays of the same length")
    n = len(a)
    both, only_a = np.sum(a & b), np.sum(a & ~b)
    only_b, neither = np.sum(~a & b), np.sum(~a & ~b)
    p1, p2 = (both + only_a) / n, (both + only_b) / n
    l1, u1 = wilson_interval(both + only_a, n, confidence)
    l2, u2 = wilson_interval(both + only_b, n, confidence)
    margins = float(both + only_a) * (only_b + neither) * (both + only_b) * (only_a + neither)
    if margins == 0:
        phi = 0.0
    else:
        num = float(both) * neither - float(only_a) * only_b
        if num > 0:
            num = max(num - n / 2, 0.0)
        phi = num / np.sqrt(margins)
    delta = np.sqrt(max((p1 - l1) ** 2 - 2 * phi * (p1 - l1) * (u2 - p2) + (u2 - p2) ** 2, 0.0))
    eps = np.sqrt(max((u1 - p1) ** 2 - 2 * phi * (u1 - p1) * (p2 - l2) + (p2 - l2) ** 2, 0.0))
    diff = p1 - p2
    return float(diff), float(max(diff - delta, -1.0)), float(min(diff + eps, 1.0))


# --------------------------------------------------------------------------------------------
# Exact Bayes success for a known discrete distribution
# --------------------------------------------------------------------------------------------

def bayes_success(joint) -> np.ndarray:
    """Success probability of the Bayes-optimal guess of a secret ``S`` from an observation ``O``.

    ``joint[..., s, o] = P(S = s, O = o)`` (leading axes are a batch; flatten several observed
    variables into the last axis). Returns ``sum_o max_s p(s, o)`` per batch element.
    """
    p = np.asarray(joint, dtype=float)
    if p.ndim < 2:
        raise ValueError("joint must have at least two axes (..., n_s, n_obs)")
    if np.any(p < -1e-12):
        raise ValueError("joint has negative entries")
    return p.max(axis=-2).sum(axis=-1)


def bayes_advantage(joint) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Exact (success, baseline, advantage) of the Bayes-optimal adversary for a joint
    ``p[..., s, a, o]`` of secret ``S``, auxiliary knowledge ``A`` and model output ``O``.

    success = sum_{a,o} max_s p(s, a, o); baseline = sum_a max_s p(s, a) (the best guess from
    ``A`` alone); advantage = success - baseline. A 2-D ``p[..., s, o]`` (no auxiliary
    knowledge beyond the prior) is accepted too when given as ``p[..., s, 1, o]``.
    """
    p = np.asarray(joint, dtype=float)
    if p.ndim < 3:
        raise ValueError("joint must have shape (..., n_s, n_a, n_o); add a length-1 axis for A")
    success = p.max(axis=-3).sum(axis=(-2, -1))
    baseline = p.sum(axis=-1).max(axis=-2).sum(axis=-1)
    return success, baseline, success - baseline


# --------------------------------------------------------------------------------------------
# Adversaries
# --------------------------------------------------------------------------------------------

class TargetPrediction:
    """What an adversary with ``access = "prediction"`` receives instead of the model: the
    model's output on the true target records (``predictions``, one row per record). It cannot
    be queried. With ``access = "prediction+white-box"`` the model is attached as ``model``."""

    def __init__(self, predictions, model=None):
        self.predictions = np.asarray(predictions)
        self.model = model

    def predict(self, X):  # noqa: D401 - an explicit refusal
        raise TypeError("this adversary has prediction access only: read `.predictions`")

    predict_proba = predict


class Adversary:
    """Base class of every attribute-inference adversary.

    Subclasses set :attr:`knowledge` and :attr:`access`, may extend :meth:`fit`, and implement
    :meth:`scores` (posterior-like scores, one column per sensitive value; the guess is the
    argmax) or override :meth:`guess`.
    """

    knowledge: str = "aux+label"
    access: str = "black-box"

    def fit(self, task: TabularTask, aux: pd.DataFrame) -> "Adversary":
        """Learn from auxiliary data (records with their sensitive value): by default, store the
        task, the sensitive values and their empirical prior."""
        check_task(task)
        aux = _as_frame(task, aux, "aux")
        self.task = task
        self.values_ = list(task.sensitive_values)
        self.prior_ = task.prior(aux)
        return self

    def _check_fitted(self):
        if not hasattr(self, "prior_"):
            raise RuntimeError(f"{type(self).__name__} is not fitted: call fit(task, aux) first")

    def scores(self, model, frame: pd.DataFrame) -> np.ndarray:
        """Scores (n, n_values); larger means more likely. Subclasses implement this."""
        raise NotImplementedError(f"{type(self).__name__} implements neither scores nor guess")

    def guess(self, model, frame: pd.DataFrame) -> np.ndarray:
        """Guesses of the hidden sensitive values of ``frame`` (elements of ``values_``)."""
        self._check_fitted()
        s = np.asarray(self.scores(model, frame), dtype=float)
        if s.shape != (len(frame), len(self.values_)):
            raise ValueError(f"scores must have shape {(len(frame), len(self.values_))}, got {s.shape}")
        return np.asarray(self.values_, dtype=object)[np.argmax(s, axis=1)]

    def __repr__(self):
        return f"{type(self).__name__}()"


class PriorAdversary(Adversary):
    """Guesses the mode of the prior: the best no-model adversary at knowledge ``"prior"``."""

    knowledge = "prior"
    access = "none"

    def scores(self, model, frame):
        self._check_fitted()
        return np.tile(self.prior_, (len(frame), 1))


class AuxiliaryAdversary(Adversary):
    """No-model baseline at knowledge ``"aux"`` or ``"aux+label"``: a classifier of the
    sensitive attribute from the non-sensitive attributes (and the label), learnt on the
    auxiliary data. It approximates the Bayes rule ``argmax_v P(x_s = v | x_ns[, y])``.

    ``estimator`` is any scikit-learn classifier with ``predict_proba`` (default: logistic
    regression). Never looks at the model.
    """

    access = "none"

    def __init__(self, knowledge: str = "aux+label", estimator=None):
        if knowledge not in ("aux", "aux+label"):
            raise ValueError(f"knowledge must be 'aux' or 'aux+label', got {knowledge!r}")
        self.knowledge = knowledge
        self.estimator = estimator

    def _design(self, frame):
        X = self.task.encode(self.task.with_sensitive(frame, self.values_[0]))
        keep = [j for j in range(X.shape[1]) if j not in set(self.task.sensitive_columns())]
        X = X[:, keep]
        if self.knowledge == "aux+label":
            if self.task.task == "regression":
                y = self.task.y(frame).astype(float)
                X = np.column_stack([X, (y - self.y_mean_) / self.y_scale_])
            else:
                codes = self.task.y(frame)
                X = np.column_stack([X, (np.asarray(codes)[:, None] == self.y_levels_[None, :])])
        return X

    def fit(self, task, aux):
        from sklearn.base import clone
        from sklearn.linear_model import LogisticRegression

        super().fit(task, aux)
        aux = _as_frame(task, aux, "aux")
        if task.task == "regression":
            y = task.y(aux).astype(float)
            self.y_mean_, self.y_scale_ = float(y.mean()), float(y.std() or 1.0)
        else:
            self.y_levels_ = np.unique(task.y(aux))
        target = aux[task.sensitive].to_numpy()
        est = LogisticRegression(max_iter=2000) if self.estimator is None else clone(self.estimator)
        if len(np.unique(target)) < 2:
            self.estimator_ = None
        else:
            self.estimator_ = est.fit(self._design(aux), target)
        return self

    def scores(self, model, frame):
        self._check_fitted()
        out = np.zeros((len(frame), len(self.values_)))
        if self.estimator_ is None:
            return out + self.prior_
        proba = self.estimator_.predict_proba(self._design(frame))
        for j, c in enumerate(self.estimator_.classes_):
            out[:, self.values_.index(c)] = proba[:, j]
        return out

    def __repr__(self):
        return f"AuxiliaryAdversary(knowledge={self.knowledge!r})"


class BayesAdversary(Adversary):
    """The exact Bayes-optimal adversary for a known discrete channel from the sensitive value
    to the model's output: ``channel[v, o] = P(Yhat = outputs[o] | x_s = values[v])``.

    It has prediction access: it sees the model's output on the true target and guesses
    ``argmax_v prior(v) * channel[v, o]``. ``prior`` defaults to the empirical prior of the
    auxiliary data; pass the true one to play against a known distribution.
    """

    knowledge = "prior"
    access = "prediction"

    def __init__(self, channel, outputs: Sequence, prior=None):
        self.channel = channel
        self.outputs = outputs
        self.prior = prior

    def fit(self, task, aux):
        super().fit(task, aux)
        C = np.asarray(self.channel, dtype=float)
        if C.ndim != 2 or C.shape != (len(self.values_), len(self.outputs)):
            raise ValueError(f"channel must have shape (n_values, n_outputs) = "
                             f"{(len(self.values_), len(self.outputs))}, got {C.shape}")
        if np.any(C < 0) or not np.allclose(C.sum(axis=1), 1):
            raise ValueError("each row of channel must be a probability distribution")
        self.channel_ = C
        if self.prior is not None:
            p = np.asarray(self.prior, dtype=float)
            if p.shape != (len(self.values_),) or np.any(p < 0) or not np.isclose(p.sum(), 1):
                raise ValueError("prior must be a probability vector over the sensitive values")
            self.prior_ = p
        self.index_ = {o: k for k, o in enumerate(self.outputs)}
        return self

    def scores(self, model, frame):
        self._check_fitted()
        if not isinstance(model, TargetPrediction):
            raise TypeError("BayesAdversary has prediction access: play() hands it a TargetPrediction")
        pred = np.asarray(model.predictions).ravel()
        try:
            cols = np.array([self.index_[o] for o in pred.tolist()])
        except KeyError as err:
            raise ValueError(f"model output {err.args[0]!r} is not one of outputs {list(self.outputs)}") from None
        return self.prior_[None, :] * self.channel_[:, cols].T

    def success(self) -> float:
        """Exact success probability sum_o max_v prior(v) channel[v, o]."""
        self._check_fitted()
        return float(bayes_success(self.prior_[:, None] * self.channel_))


class RegressionMAPAdversary(Adversary):
    """Black-box MAP attack on a regression model with Gaussian residuals (the generic form of
    Fredrikson et al. 2014): for each candidate ``v``, query ``f(x_ns, v)`` and score
    ``log prior(v) - (y - f(x_ns, v))^2 / (2 sigma^2)``.

    ``sigma``: the residual standard deviation; if None it is estimated as the model's
    root-mean-square residual on the auxiliary records (which the adversary knows in full).
    ``target``: a function ``(task, frame) -> y`` giving the target on the model's scale
    (default ``task.y(frame)``).
    """

    knowledge = "aux+label"
    access = "black-box"

    def __init__(self, sigma: float | None = None, target: Callable | None = None):
        self.sigma = sigma
        self.target = target

    def fit(self, task, aux):
        super().fit(task, aux)
        if self.sigma is not None and not (np.isfinite(self.sigma) and self.sigma > 0):
            raise ValueError(f"sigma must be positive, got {self.sigma}")
        self.aux_ = _as_frame(task, aux, "aux")
        return self

    def _y(self, frame):
        return np.asarray(self.task.y(frame) if self.target is None else self.target(self.task, frame),
                          dtype=float)

    def _sigma(self, model):
        if self.sigma is not None:
            return float(self.sigma)
        resid = self._y(self.aux_) - np.asarray(model.predict(self.task.encode(self.aux_)), dtype=float).ravel()
        return float(max(np.sqrt(np.mean(resid ** 2)), 1e-12))

    def scores(self, model, frame):
        self._check_fitted()
        y = self._y(frame)
        sigma = self._sigma(model)
        out = np.empty((len(frame), len(self.values_)))
        with np.errstate(divide="ignore"):
            logp = np.log(self.prior_)
        for j, v in enumerate(self.values_):
            pred = np.asarray(model.predict(self.task.encode(self.task.with_sensitive(frame, v))),
                              dtype=float).ravel()
            out[:, j] = logp[j] - (y - pred) ** 2 / (2 * sigma ** 2)
        return out


#: The generic likelihood (MAP) adversary for regression models.
LikelihoodAdversary = RegressionMAPAdversary


class ClassifierMAPAdversary(Adversary):
    """Black-box MAP attack on a classifier with ``predict_proba``:
    ``argmax_v prior(v) * P_model(y | x_ns, x_s = v)``, the true label ``y`` being known.
    (Fredrikson et al. 2015's black-box attack uses the confusion matrix in place of the model's
    probabilities; with calibrated probabilities the two agree.)
    """

    knowledge = "aux+label"
    access = "black-box"

    def __init__(self, floor: float = 1e-12):
        self.floor = floor

    def scores(self, model, frame):
        self._check_fitted()
        y = np.asarray(self.task.y(frame))
        classes = list(getattr(model, "classes_", []))
        if not classes:
            raise TypeError("ClassifierMAPAdversary needs a classifier with classes_ and predict_proba")
        pos = {c: k for k, c in enumerate(classes)}
        col = np.array([pos.get(v, -1) for v in y.tolist()])
        out = np.empty((len(frame), len(self.values_)))
        for j, v in enumerate(self.values_):
            proba = np.asarray(model.predict_proba(self.task.encode(self.task.with_sensitive(frame, v))))
            lik = np.where(col >= 0, proba[np.arange(len(frame)), np.maximum(col, 0)], 0.0)
            out[:, j] = self.prior_[j] * np.maximum(lik, self.floor)
        return out


class OutputBayesAdversary(Adversary):
    """Bayes adversary that sees only the regression model's output ``yhat`` on the target (and
    knows the model and the prior): ``argmax_v prior(v) p(yhat | x_s = v)``, where
    ``p(yhat | v)`` is the output density under the auxiliary records with ``x_s = v``: the
    mixture ``mean_r N(yhat; f(x_r), s^2)`` of the model's mean predictions ``f`` (its
    ``predict_mean`` if it has one, else ``predict``), with ``s^2`` = the model's output noise
    variance (``noise_scale_``, 0 for a deterministic model) plus ``bandwidth^2`` (default:
    Silverman's rule on the auxiliary predictions when the model is deterministic, else 0).

    Knowledge ``"prior"``: no attribute of the target besides the model's output, so its
    advantage over :class:`PriorAdversary` is bounded by sqrt(I(X; Yhat) / 2) in the
    distributional game (chapter "Measuring leakage"). ``max_aux`` caps the mixture size.
    """

    knowledge = "prior"
    access = "prediction+white-box"

    def __init__(self, bandwidth: float | None = None, max_aux: int = 5000, seed: int = 0):
        self.bandwidth = bandwidth
        self.max_aux = max_aux
        self.seed = seed

    def fit(self, task, aux):
        super().fit(task, aux)
        aux = _as_frame(task, aux, "aux")
        if len(aux) > self.max_aux:
            aux = aux.sample(self.max_aux, random_state=check_seed(self.seed))
        self.aux_ = aux.reset_index(drop=True)
        return self

    @staticmethod
    def _mean(model, X):
        f = getattr(model, "predict_mean", None) or model.predict
        return np.asarray(f(X), dtype=float).ravel()

    def scores(self, model, frame):
        from scipy.special import logsumexp

        self._check_fitted()
        if not isinstance(model, TargetPrediction) or model.model is None:
            raise TypeError("OutputBayesAdversary needs access 'prediction+white-box'")
        f = model.model
        yhat = np.asarray(model.predictions, dtype=float).ravel()
        means = self._mean(f, self.task.encode(self.aux_))
        noise = float(getattr(f, "noise_scale_", 0.0) or 0.0)
        h = self.bandwidth
        if h is None:
            h = 0.0 if noise > 0 else 1.06 * max(means.std(), 1e-12) * len(means) ** (-0.2)
        s = float(np.sqrt(noise ** 2 + h ** 2))
        if s <= 0:
            raise ValueError("the output density needs a positive noise or bandwidth")
        labels = self.aux_[self.task.sensitive].to_numpy()
        out = np.full((len(frame), len(self.values_)), -np.inf)
        with np.errstate(divide="ignore"):
            logp = np.log(self.prior_)
        for j, v in enumerate(self.values_):
            m = means[labels == v]
            if len(m) == 0:
                continue
            z = (yhat[:, None] - m[None, :]) / s
            out[:, j] = logp[j] + logsumexp(-0.5 * z ** 2, axis=1) - np.log(len(m))
        return out


# --------------------------------------------------------------------------------------------
# Playing the game
# --------------------------------------------------------------------------------------------

def _default_predict(model, X):
    return np.asarray(model.predict(X))


def _hide(task: TabularTask, frame: pd.DataFrame, knowledge: str) -> pd.DataFrame:
    hidden = frame.copy()
    hidden[task.sensitive] = None
    if knowledge in ("prior", "aux") and task.target in hidden.columns:
        hidden[task.target] = None
    return hidden


def _guesses(task, model, adversary, frame, predict):
    if adversary.knowledge not in KNOWLEDGE:
        raise ValueError(f"{adversary!r}: knowledge must be one of {KNOWLEDGE}, got {adversary.knowledge!r}")
    if adversary.access not in ACCESS:
        raise ValueError(f"{adversary!r}: access must be one of {ACCESS}, got {adversary.access!r}")
    if adversary.access == "none":
        oracle = None
    elif adversary.access == "prediction":
        oracle = TargetPrediction(predict(model, task.encode(frame)))
    elif adversary.access == "prediction+white-box":
        oracle = TargetPrediction(predict(model, task.encode(frame)), model=model)
    else:
        oracle = model
    g = np.asarray(adversary.guess(oracle, _hide(task, frame, adversary.knowledge)), dtype=object)
    if g.shape != (len(frame),):
        raise ValueError(f"{adversary!r} returned {g.shape} guesses for {len(frame)} records")
    bad = [v for v in set(g.tolist()) if v not in task.sensitive_values]
    if bad:
        raise ValueError(f"{adversary!r} guessed values {bad} outside {task.sensitive_values}")
    return g


def _score(task, truth, guess, base_guess, confidence):
    truth = np.asarray(truth, dtype=object)
    hit = guess == truth
    base_hit = base_guess == truth
    n = len(truth)
    lo, hi = wilson_interval(int(hit.sum()), n, confidence)
    blo, bhi = wilson_interval(int(base_hit.sum()), n, confidence)
    adv, alo, ahi = paired_difference_interval(hit, base_hit, confidence)
    row = dict(n=n, success=hit.mean(), success_lo=lo, success_hi=hi,
               baseline=base_hit.mean(), baseline_lo=blo, baseline_hi=bhi,
               advantage=adv, advantage_lo=alo, advantage_hi=ahi,
               precision=np.nan, recall=np.nan, f1=np.nan)
    values = task.sensitive_values
    if len(values) == 2:
        from sklearn.metrics import precision_recall_fscore_support

        pos = values[1]
        p, r, f, _ = precision_recall_fscore_support(truth == pos, guess == pos, average="binary",
                                                     zero_division=0)
        row.update(precision=float(p), recall=float(r), f1=float(f))
    return row


def play(task: TabularTask, model, adversary: Adversary, *, members: pd.DataFrame,
         nonmembers: pd.DataFrame, aux: pd.DataFrame | None = None, confidence: float = 0.95,
         baseline: Adversary | None = None,
         predict: Callable = _default_predict) -> pd.DataFrame:
    """Play the MI game against a fitted ``model``.

    The adversary (and the baseline, default :class:`PriorAdversary`) is fitted on ``aux``
    (default: the members). Then, for the training-set game (targets: ``members``) and the
    distributional game (targets: ``nonmembers``, standing in for fresh draws), the sensitive
    column of the targets is hidden (and the label too below knowledge ``"aux+label"``), the
    adversary guesses, and the guesses are scored.

    Returns one row per game with columns ``game, adversary, knowledge, access, n, success,
    success_lo, success_hi`` (Wilson), ``baseline, baseline_lo, baseline_hi, advantage,
    advantage_lo, advantage_hi`` (Newcombe's paired interval; advantage = success - baseline on
    the same targets), and ``precision, recall, f1`` of the positive value
    ``task.sensitive_values[1]`` for a binary sensitive attribute (NaN otherwise).
    ``predict(model, X)`` gives the model's output on the true targets for adversaries with
    prediction access (default ``model.predict(X)``).
    """
    check_task(task)
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must lie in (0, 1), got {confidence}")
    if not isinstance(adversary, Adversary):
        raise TypeError(f"adversary must be a midlib.game.Adversary, got {type(adversary).__name__}")
    members = _as_frame(task, members, "members")
    nonmembers = _as_frame(task, nonmembers, "nonmembers")
    aux = members if aux is None else _as_frame(task, aux, "aux")
    baseline = PriorAdversary() if baseline is None else baseline
    if not isinstance(baseline, Adversary):
        raise TypeError(f"baseline must be a midlib.game.Adversary, got {type(baseline).__name__}")
    adversary.fit(task, aux)
    baseline.fit(task, aux)
    rows = []
    for game, frame in zip(GAMES, (members, nonmembers)):
        g = _guesses(task, model, adversary, frame, predict)
        b = _guesses(task, model, baseline, frame, predict)
        row = dict(game=game, adversary=repr(adversary), knowledge=adversary.knowledge,
                   access=adversary.access)
        row.update(_score(task, frame[task.sensitive].to_numpy(), g, b, confidence))
        rows.append(row)
    return pd.DataFrame(rows)


def _default_fit(model, task, frame):
    return model.fit(task.encode(frame), task.y(frame))


def play_seeds(task: TabularTask, make_model: Callable[[int], object],
               make_adversary: Callable[[], Adversary], seeds: Iterable[int], test_size: float = 0.3,
               fit: Callable = _default_fit, *, make_baseline: Callable[[], Adversary] | None = None,
               confidence: float = 0.95, predict: Callable = _default_predict) -> pd.DataFrame:
    """For each seed: split the task's records (``task.split(test_size, seed)``), build the model
    with ``make_model(seed)``, fit it with ``fit(model, task, members)`` (which may return the
    model or None), and :func:`play`. Returns the rows of all seeds with a ``seed`` column."""
    check_task(task)
    seeds = [check_seed(s) for s in seeds]
    if not seeds:
        raise ValueError("give at least one seed")
    out = []
    for seed in seeds:
        members, nonmembers = task.split(test_size, seed)
        model = make_model(seed)
        fitted = fit(model, task, members)
        model = model if fitted is None else fitted
        res = play(task, model, make_adversary(), members=members, nonmembers=nonmembers,
                   baseline=None if make_baseline is None else make_baseline(),
                   confidence=confidence, predict=predict)
        res.insert(0, "seed", seed)
        out.append(res)
    return pd.concat(out, ignore_index=True)


def play_sampled(sample: Callable[[int, int], TabularTask], make_model: Callable[[int], object],
                 make_adversary: Callable[[], Adversary], *, n_train: int, n_test: int,
                 seeds: Iterable[int], fit: Callable = _default_fit,
                 make_baseline: Callable[[], Adversary] | None = None, confidence: float = 0.95,
                 predict: Callable = _default_predict) -> pd.DataFrame:
    """The game against a data *sampler*: ``sample(n, seed)`` returns a TabularTask of ``n``
    fresh records (e.g. :func:`midlib.datasets.make_survey` or ``make_pharmacogenetic``).
    Per seed, the training set is ``sample(n_train, 2 * seed)`` and the distributional targets
    are fresh records ``sample(n_test, 2 * seed + 1)``."""
    seeds = [check_seed(s) for s in seeds]
    for name, n in (("n_train", n_train), ("n_test", n_test)):
        if not isinstance(n, (int, np.integer)) or n < 1:
            raise ValueError(f"{name} must be a positive integer, got {n!r}")
    out = []
    for seed in seeds:
        train = sample(n_train, 2 * seed)
        fresh = sample(n_test, 2 * seed + 1)
        model = make_model(seed)
        fitted = fit(model, train, train.frame)
        model = model if fitted is None else fitted
        res = play(train, model, make_adversary(), members=train.frame, nonmembers=fresh.frame,
                   baseline=None if make_baseline is None else make_baseline(),
                   confidence=confidence, predict=predict)
        res.insert(0, "seed", seed)
        out.append(res)
    return pd.concat(out, ignore_index=True)


_RANGES = {"success": (0.0, 1.0), "baseline": (0.0, 1.0), "precision": (0.0, 1.0),
           "recall": (0.0, 1.0), "f1": (0.0, 1.0), "advantage": (-1.0, 1.0)}


def summarize(results: pd.DataFrame, by: Sequence[str] = ("game",), confidence: float = 0.95,
              metrics: Sequence[str] = ("success", "baseline", "advantage")) -> pd.DataFrame:
    """Average per-seed results over seeds: for each group of ``by`` and each metric, the mean,
    a t-interval over seeds (``<metric>_lo``, ``<metric>_hi``; NaN with a single seed; clipped to
    the metric's range for success, baseline, advantage, precision, recall and f1) and the
    number of seeds."""
    missing = [c for c in list(by) + list(metrics) if c not in results.columns]
    if missing:
        raise ValueError(f"results lack columns {missing}")
    rows = []
    for key, grp in results.groupby(list(by), sort=False):
        key = key if isinstance(key, tuple) else (key,)
        row = dict(zip(by, key))
        row["seeds"] = len(grp)
        for m in metrics:
            x = grp[m].to_numpy(dtype=float)
            mean = x.mean()
            if len(x) > 1:
                half = stats.t.ppf(0.5 + confidence / 2, len(x) - 1) * x.std(ddof=1) / np.sqrt(len(x))
            else:
                half = np.nan
            lo, hi = mean - half, mean + half
            if m in _RANGES:  # an interval never leaves the metric's range
                lo, hi = max(lo, _RANGES[m][0]), min(hi, _RANGES[m][1])
            row.update({m: mean, f"{m}_lo": lo, f"{m}_hi": hi})
        rows.append(row)
    return pd.DataFrame(rows)
