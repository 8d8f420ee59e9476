"""Adversaries that read no model, and the exact Bayes adversaries of the theory chapters.

- :class:`AuxiliaryAdversary`: the strongest no-model baseline at knowledge ``"aux"`` or
  ``"aux+label"``: a classifier of the sensitive attribute learnt on auxiliary records (with the
  prior-only :class:`midlib.game.PriorAdversary` it gives the baselines of every knowledge level);
- :class:`BayesAdversary`: the exact Bayes rule for a known discrete channel;
- :class:`OutputBayesAdversary`: the Bayes rule from a regression model's output alone.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from midlib.game import Adversary, TargetPrediction
from midlib.leakage import bayes_success
from midlib.validation import check_seed

__all__ = ["AuxiliaryAdversary", "BayesAdversary", "OutputBayesAdversary"]


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
        aux = task.check_frame(aux, "aux")
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

    def __init__(self, bandwidth: float | None = None, max_aux: int = 5000, random_state: int = 0):
        self.bandwidth = bandwidth
        self.max_aux = max_aux
        self.random_state = random_state

    def fit(self, task, aux):
        super().fit(task, aux)
        aux = task.check_frame(aux, "aux")
        if len(aux) > self.max_aux:
            aux = aux.sample(self.max_aux, random_state=check_seed(self.random_state))
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
