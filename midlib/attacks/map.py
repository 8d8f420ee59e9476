"""The naive MAP attack of Fredrikson et al. (2014) on a linear dosing model.

The adversary knows a target patient's demographics (every feature but the genotype), the
patient's true dose ``y``, the marginal prior of the genotype, and the model. For each candidate
genotype ``v`` it computes the model's prediction ``f(x_ns, v)`` and guesses

    argmax_v  prior(v) * N(y; f(x_ns, v), s^2),

where ``s`` is the model's residual standard deviation (the "performance statistics" Fredrikson
et al. assume public; here estimated on the adversary's auxiliary records). *White-box*, the
adversary reads the weights and computes the mean prediction; *black-box*, it queries the model
(``model.predict``), which for a stochastic model such as MID returns a fresh noisy sample per
query (``n_queries`` queries are averaged).

:func:`map_bayes_accuracy` is the success of this rule when the model *is* the data's true
regression function with Gaussian noise: the Bayes-optimal accuracy, against which the tests
check the attack.
"""

from __future__ import annotations

import numbers
from typing import Callable

import numpy as np
import pandas as pd

from midlib.datasets import IWPC_FORMULA, TabularTask
from midlib.game import Adversary, _as_frame

__all__ = ["FredriksonMAP", "FixedLinearModel", "map_bayes_accuracy", "iwpc_formula_model",
           "pharmacogenetic_bayes_accuracy"]

TARGETS = ("raw", "scaled")


class FixedLinearModel:
    """A given linear model ``x -> x' coef + intercept`` (e.g. a data set's true regression
    function), with the ``predict`` / ``coef_`` / ``intercept_`` interface of scikit-learn."""

    def __init__(self, coef, intercept: float = 0.0):
        self.coef_ = np.asarray(coef, dtype=float).ravel()
        self.intercept_ = float(intercept)

    def predict(self, X):
        X = np.asarray(X, dtype=float)
        if X.ndim != 2 or X.shape[1] != len(self.coef_):
            raise ValueError(f"X must have shape (n, {len(self.coef_)}), got {X.shape}")
        return X @ self.coef_ + self.intercept_

    def __repr__(self):
        return f"FixedLinearModel(d={len(self.coef_)})"


def iwpc_formula_model(task: TabularTask) -> FixedLinearModel:
    """The IWPC 2009 pharmacogenetic formula (sqrt of the weekly dose) as a linear model on
    ``task.encode`` columns: the true regression function of
    :func:`midlib.datasets.make_pharmacogenetic`. Numeric features are encoded as
    ``(x - low) / (high - low)``, so their coefficients are multiplied by ``high - low`` and
    ``coef * low`` moves into the intercept."""
    names = task.feature_names()
    coef = np.zeros(len(names))
    intercept = IWPC_FORMULA["intercept"]
    for j, name in enumerate(names):
        if name in task.bounds:
            low, high = task.bounds[name]
            c = IWPC_FORMULA.get(name, 0.0)
            coef[j] = c * (high - low)
            intercept += c * low
        elif name in ("amiodarone=yes", "enzyme_inducer=yes"):
            coef[j] = IWPC_FORMULA[name.split("=")[0]]
        else:
            coef[j] = IWPC_FORMULA.get(name, 0.0)  # baselines (White, G/G, *1/*1) are 0
    return FixedLinearModel(coef, intercept)


def map_bayes_accuracy(offsets, prior, noise_sd: float, grid_size: int = 200001) -> float:
    """Success of ``argmax_v prior[v] N(y; m + offsets[v], noise_sd^2)`` when ``y`` really is
    ``m + offsets[v] + N(0, noise_sd^2)`` with ``v ~ prior`` (``m`` known to the adversary):
    ``integral max_v prior[v] phi((t - offsets[v]) / noise_sd) / noise_sd dt``, computed on a
    grid. ``prior`` may be (k,) or (r, k) (one row per stratum, averaged with ``weights`` = the
    rows' probabilities if a tuple ``(priors, weights)`` is passed)."""
    offsets = np.asarray(offsets, dtype=float)
    if noise_sd <= 0:
        raise ValueError("noise_sd must be > 0")
    priors = np.atleast_2d(np.asarray(prior, dtype=float))
    t = np.linspace(offsets.min() - 12 * noise_sd, offsets.max() + 12 * noise_sd, grid_size)
    dens = np.exp(-0.5 * ((t[None, :] - offsets[:, None]) / noise_sd) ** 2) / (noise_sd * np.sqrt(2 * np.pi))
    out = [float(np.trapezoid((p[:, None] * dens).max(axis=0), t)) for p in priors]
    return out[0] if len(out) == 1 else np.asarray(out)


def pharmacogenetic_bayes_accuracy(noise_sd: float = 0.8, sensitive: str = "vkorc1") -> float:
    """Exact Bayes accuracy of guessing the genotype of a fresh patient of
    :func:`midlib.datasets.make_pharmacogenetic` from everything else (demographics, the other
    genotype and the dose), with the true model and the true race-specific genotype priors.

    Given the other features, sqrt(dose) is a known number plus the genotype's coefficient plus
    N(0, noise_sd^2), so the accuracy is :func:`map_bayes_accuracy` per race, averaged over the
    races. (The generator's clip of sqrt(dose) at 0.5 lies > 5 sd below every mean and is ignored.)
    """
    from midlib.datasets import (IWPC_CYP2C9, IWPC_RACES, IWPC_VKORC1, _SYNTH_RACE_P,
                                 pharmacogenetic_genotype_probs)

    values = {"vkorc1": IWPC_VKORC1, "cyp2c9": IWPC_CYP2C9}[sensitive]
    offsets = [IWPC_FORMULA.get(f"{sensitive}={v}", 0.0) for v in values]
    acc = 0.0
    for race in IWPC_RACES:
        pv, pc = pharmacogenetic_genotype_probs(race)
        p = pv if sensitive == "vkorc1" else pc
        acc += _SYNTH_RACE_P[race] * map_bayes_accuracy(offsets, p, noise_sd)
    return float(acc)


class FredriksonMAP(Adversary):
    """Fredrikson et al. (2014)'s naive MAP attack on a regression model (knowledge
    ``"aux+label"``: demographics and the true label).

    Parameters
    ----------
    access : ``"white-box"`` (reads the model: its ``predict_mean`` if it has one, otherwise
        ``X @ coef_ + intercept_``) or ``"black-box"`` (calls ``model.predict``).
    target : the label on the model's scale: ``"scaled"`` (``task.y(frame, scaled=True)``),
        ``"raw"`` (``task.y(frame)``) or a function ``(task, frame) -> y``.
    prior : None (the empirical marginal prior of the auxiliary records, as in the paper), a
        probability vector over ``task.sensitive_values``, or a function ``frame -> (n, k)``
        array of per-record priors (e.g. conditional on race).
    residual_sd : the s of the likelihood; None estimates it as the root-mean-square residual of
        the model on the auxiliary records, through the same access.
    n_queries : black-box only: queries per candidate, averaged (1 = the paper's naive attack).
    """

    knowledge = "aux+label"

    def __init__(self, access: str = "black-box", target: str | Callable = "scaled",
                 prior=None, residual_sd: float | None = None, n_queries: int = 1):
        self.access = access
        self.target = target
        self.prior = prior
        self.residual_sd = residual_sd
        self.n_queries = n_queries

    def __repr__(self):
        return f"FredriksonMAP(access={self.access!r})"

    # -- setup -------------------------------------------------------------------------------
    def fit(self, task: TabularTask, aux: pd.DataFrame) -> "FredriksonMAP":
        if self.access not in ("white-box", "black-box"):
            raise ValueError(f"access must be 'white-box' or 'black-box', got {self.access!r}")
        if not (callable(self.target) or self.target in TARGETS):
            raise ValueError(f"target must be one of {TARGETS} or a function (task, frame) -> y, "
                             f"got {self.target!r}")
        if self.residual_sd is not None and not (
                isinstance(self.residual_sd, numbers.Real) and np.isfinite(self.residual_sd)
                and self.residual_sd > 0):
            raise ValueError(f"residual_sd must be a positive number or None, got {self.residual_sd!r}")
        if not isinstance(self.n_queries, (int, np.integer)) or self.n_queries < 1:
            raise ValueError(f"n_queries must be a positive integer, got {self.n_queries!r}")
        super().fit(task, aux)
        if task.task != "regression":
            raise ValueError(f"FredriksonMAP attacks regression models; task {task.name!r} is "
                             f"{task.task!r}")
        self.aux_ = _as_frame(task, aux, "aux")
        if self.prior is not None and not callable(self.prior):
            p = np.asarray(self.prior, dtype=float)
            if p.shape != (len(self.values_),) or np.any(p < 0) or not np.isclose(p.sum(), 1):
                raise ValueError(f"prior must be a probability vector of length {len(self.values_)} "
                                 f"over {self.values_}")
            self.prior_ = p
        return self

    def _y(self, frame):
        if callable(self.target):
            y = self.target(self.task, frame)
        else:
            y = self.task.y(frame, scaled=self.target == "scaled")
        y = np.asarray(y, dtype=float)
        if np.isnan(y).any():
            raise ValueError("the targets' labels are missing: FredriksonMAP needs knowledge 'aux+label'")
        return y

    def _predict(self, model, X):
        if self.access == "white-box":
            if hasattr(model, "predict_mean"):
                return np.asarray(model.predict_mean(X), dtype=float).ravel()
            if hasattr(model, "coef_") and hasattr(model, "intercept_"):
                return X @ np.asarray(model.coef_, dtype=float).ravel() + float(np.ravel(model.intercept_)[0])
            raise TypeError(f"white-box access needs a linear model (coef_, intercept_ or predict_mean); "
                            f"got {type(model).__name__}")
        total = np.zeros(X.shape[0])
        for _ in range(int(self.n_queries)):
            total += np.asarray(model.predict(X), dtype=float).ravel()
        return total / self.n_queries

    def residual_scale(self, model) -> float:
        """The s of the likelihood: ``residual_sd`` or the RMS residual on the auxiliary data."""
        self._check_fitted()
        if self.residual_sd is not None:
            return float(self.residual_sd)
        resid = self._y(self.aux_) - self._predict(model, self.task.encode(self.aux_))
        return float(max(np.sqrt(np.mean(resid ** 2)), 1e-12))

    def _log_prior(self, frame):
        if callable(self.prior):
            p = np.asarray(self.prior(frame), dtype=float)
            if p.shape != (len(frame), len(self.values_)):
                raise ValueError(f"prior(frame) must return shape {(len(frame), len(self.values_))}, "
                                 f"got {p.shape}")
        else:
            p = np.tile(self.prior_, (len(frame), 1))
        with np.errstate(divide="ignore"):
            return np.log(p)

    def scores(self, model, frame: pd.DataFrame) -> np.ndarray:
        """Log posterior up to a constant: log prior(v) - (y - f(x_ns, v))^2 / (2 s^2)."""
        self._check_fitted()
        y = self._y(frame)
        s = self.residual_scale(model)
        out = self._log_prior(frame)
        for j, v in enumerate(self.values_):
            pred = self._predict(model, self.task.encode(self.task.with_sensitive(frame, v)))
            out[:, j] += -((y - pred) ** 2) / (2 * s * s)
        return out
