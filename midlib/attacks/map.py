"""The MAP attacks of Fredrikson et al.: one family for regression and classification.

The adversary knows a target's non-sensitive attributes, its true label ``y`` and the marginal
prior of the sensitive attribute (knowledge ``"aux+label"``). For each candidate value ``v`` of the
sensitive attribute it asks the model about the completed record ``(x_ns, v)`` and guesses

    argmax_v  prior(v) * P(y | model output on (x_ns, v)).

- :class:`FredriksonMAP` (Fredrikson et al. 2014, regression): a Gaussian likelihood
  ``N(y; f(x_ns, v), s^2)``, ``s`` the model's residual standard deviation (the "performance
  statistics" Fredrikson et al. assume public; here estimated on the adversary's auxiliary
  records). *White-box* it reads the weights and computes the mean prediction; *black-box* it
  queries ``model.predict``, which for a stochastic model such as MID returns a fresh noisy sample
  per query (``n_queries`` queries are averaged).
- :class:`ClassifierMAP` (Fredrikson et al. 2015's black-box attack, classification): the
  likelihood of the true label given the released output, either through the model's confusion
  matrix on the auxiliary data (``likelihood="confusion"``, the paper's form) or the model's own
  probabilities (``likelihood="proba"``; with calibrated probabilities the two agree).

:func:`midlib.leakage.map_bayes_accuracy` is the success of the regression rule when the model *is*
the data's true regression function with Gaussian noise: the Bayes-optimal accuracy, against which
the tests check the attack.
"""

from __future__ import annotations

import numbers
from typing import Callable

import numpy as np
import pandas as pd

from midlib.data.task import TabularTask
from midlib.game import Adversary

__all__ = ["FredriksonMAP", "ClassifierMAP", "output_distribution", "label_columns"]

TARGETS = ("raw", "scaled")
LIKELIHOODS = ("confusion", "proba")


class FredriksonMAP(Adversary):
    """Fredrikson et al. (2014)'s naive MAP attack on a regression model (knowledge
    ``"aux+label"``: demographics and the true label).

    For each candidate value ``v`` of the sensitive attribute the score is the log posterior
    ``log prior(v) - (y - f(x_ns, v))^2 / (2 s^2)`` up to a constant, and the guess its argmax.

    Parameters
    ----------
    access : {"black-box", "white-box"}, default="black-box"
        ``"white-box"`` (reads the model: its ``predict_mean`` if it has one, otherwise
        ``X @ coef_ + intercept_``) or ``"black-box"`` (calls ``model.predict``).
    target : {"scaled", "raw"} or callable, default="scaled"
        The label on the model's scale: ``"scaled"`` (``task.y(frame, scaled=True)``),
        ``"raw"`` (``task.y(frame)``) or a function ``(task, frame) -> y``.
    prior : array-like of shape (n_values,), callable or None, default=None
        None (the empirical marginal prior of the auxiliary records, as in the paper), a
        probability vector over ``task.sensitive_values``, or a function ``frame -> (n, k)``
        array of per-record priors (e.g. conditional on race).
    residual_sd : float, default=None
        The s of the likelihood; None estimates it as the root-mean-square residual of
        the model on the auxiliary records, through the same access.
    n_queries : int, default=1
        Black-box only: queries per candidate, averaged (1 = the paper's naive attack).

    Attributes
    ----------
    task : TabularTask
        The task, stored by ``fit``.
    values_ : list
        The sensitive values, in ``task.sensitive_values`` order (the columns of ``scores``).
    prior_ : ndarray of shape (n_values,)
        The prior vector: ``prior`` if one was given, else the auxiliary records' empirical
        prior.
    aux_ : pandas.DataFrame
        The auxiliary records.

    See Also
    --------
    ClassifierMAP : The same attack on classifiers.

    Examples
    --------
    >>> from sklearn.linear_model import LinearRegression
    >>> from midlib.data import make_pharmacogenetic
    >>> task = make_pharmacogenetic(200, random_state=0)
    >>> model = LinearRegression().fit(task.encode(), task.y(scaled=True))
    >>> attack = FredriksonMAP(access="white-box").fit(task, task.frame)
    >>> attack.guess(model, task.frame.head(3))
    array(['A/A', 'A/G', 'A/G'], dtype=object)
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
        """Check the parameters and store the task, the prior and the auxiliary records.

        Parameters
        ----------
        task : TabularTask
            A regression task.
        aux : pandas.DataFrame
            The adversary's auxiliary records (with their sensitive values and labels).

        Returns
        -------
        self : FredriksonMAP
            The fitted adversary.

        Raises
        ------
        ValueError
            If a parameter is invalid, the task is not a regression, or ``prior`` is not a
            probability vector over the sensitive values.

        Examples
        --------
        >>> from sklearn.linear_model import LinearRegression
        >>> from midlib.attacks import FredriksonMAP
        >>> from midlib.data import make_pharmacogenetic
        >>> task = make_pharmacogenetic(200, random_state=0)
        >>> model = LinearRegression().fit(task.encode(), task.y(scaled=True))
        >>> attack = FredriksonMAP(access="white-box").fit(task, task.frame)
        >>> attack.values_
        ['G/G', 'A/G', 'A/A']
        """
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
        self.aux_ = task.check_frame(aux, "aux")
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
        """The s of the likelihood: ``residual_sd`` or the RMS residual on the auxiliary data.

        The residuals are those of the model's output through the attack's access (the mean
        prediction white-box, the average of ``n_queries`` queries black-box).

        Parameters
        ----------
        model : regressor
            The attacked model.

        Returns
        -------
        float
            The standard deviation ``s`` of the Gaussian likelihood (at least 1e-12).

        Examples
        --------
        >>> from sklearn.linear_model import LinearRegression
        >>> from midlib.attacks import FredriksonMAP
        >>> from midlib.data import make_pharmacogenetic
        >>> task = make_pharmacogenetic(200, random_state=0)
        >>> model = LinearRegression().fit(task.encode(), task.y(scaled=True))
        >>> FredriksonMAP(residual_sd=0.1).fit(task, task.frame).residual_scale(model)
        0.1
        >>> attack = FredriksonMAP(access="white-box").fit(task, task.frame)
        >>> round(attack.residual_scale(model), 2)
        0.09
        """
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
        """Log posterior up to a constant: log prior(v) - (y - f(x_ns, v))^2 / (2 s^2).

        Parameters
        ----------
        model : regressor
            The attacked model.
        frame : pandas.DataFrame
            The targets, with their labels (the sensitive column may be hidden).

        Returns
        -------
        ndarray of shape (n_targets, n_values)
            The score of each sensitive value (columns in ``values_`` order) for each target.

        Raises
        ------
        ValueError
            If the targets' labels are missing.

        Examples
        --------
        >>> from sklearn.linear_model import LinearRegression
        >>> from midlib.attacks import FredriksonMAP
        >>> from midlib.data import make_pharmacogenetic
        >>> task = make_pharmacogenetic(200, random_state=0)
        >>> model = LinearRegression().fit(task.encode(), task.y(scaled=True))
        >>> attack = FredriksonMAP(access="white-box").fit(task, task.frame)
        >>> attack.scores(model, task.frame.head(3)).shape
        (3, 3)
        """
        self._check_fitted()
        y = self._y(frame)
        s = self.residual_scale(model)
        out = self._log_prior(frame)
        for j, v in enumerate(self.values_):
            pred = self._predict(model, self.task.encode(self.task.with_sensitive(frame, v)))
            out[:, j] += -((y - pred) ** 2) / (2 * s * s)
        return out


class ClassifierMAP(Adversary):
    """Fredrikson et al.'s MAP attack on a classifier (black-box, knowledge ``"aux+label"``).

    ``score(v) = prior(v) * L(y | x = (v, x_ns))`` with the likelihood ``L``:

    - ``likelihood="confusion"`` (default; the black-box attack of Fredrikson et al. 2015):
      ``sum_yhat P(Yhat = yhat | x) * pi(y | yhat)``, ``pi`` the model's confusion matrix (the
      probability of the true label given the output) estimated on the auxiliary data with
      ``smoothing`` added to every cell. For a deterministic model the output distribution is a
      point mass at its prediction; for a stochastic tree it is the leaf's distribution (an
      adversary who queries repeatedly learns it). Works on any classifier with ``predict``.
    - ``likelihood="proba"``: ``max(P_model(y | x), floor)``, the model's own probabilities
      (needs ``predict_proba``).

    Parameters
    ----------
    likelihood : {"confusion", "proba"}, default="confusion"
        How the true label's likelihood is read from the model.
    smoothing : float, default=1.0
        Add-``smoothing`` counts of the confusion matrix (``likelihood="confusion"``).
    floor : float, default=1e-12
        Smallest likelihood (``likelihood="proba"``), so no candidate scores exactly 0.

    Attributes
    ----------
    task : TabularTask
        The task, stored by ``fit``.
    values_ : list
        The sensitive values, in ``task.sensitive_values`` order (the columns of ``scores``).
    prior_ : ndarray of shape (n_values,)
        The empirical prior of the auxiliary records.
    aux_ : pandas.DataFrame
        The auxiliary records (index reset).

    See Also
    --------
    FredriksonMAP : The same attack on regression models.

    Examples
    --------
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> from midlib.data import make_survey
    >>> task = make_survey(300, random_state=0)
    >>> tree = DecisionTreeClassifier(max_depth=3, random_state=0).fit(task.encode(), task.y())
    >>> attack = ClassifierMAP().fit(task, task.frame)
    >>> attack.guess(tree, task.frame.head(3)).shape
    (3,)
    """

    knowledge = "aux+label"
    access = "black-box"

    def __init__(self, likelihood: str = "confusion", smoothing: float = 1.0, floor: float = 1e-12):
        self.likelihood = likelihood
        self.smoothing = smoothing
        self.floor = floor

    def __repr__(self):
        return f"ClassifierMAP(likelihood={self.likelihood!r})"

    def fit(self, task, aux):
        """Store the task, the prior and the auxiliary records.

        Parameters
        ----------
        task : TabularTask
            A classification task.
        aux : pandas.DataFrame
            The adversary's auxiliary records (with their sensitive values).

        Returns
        -------
        self : ClassifierMAP
            The fitted adversary.

        Raises
        ------
        ValueError
            If ``likelihood`` or ``smoothing`` is invalid.

        Examples
        --------
        >>> from sklearn.tree import DecisionTreeClassifier
        >>> from midlib.attacks import ClassifierMAP
        >>> from midlib.data import make_survey
        >>> task = make_survey(300, random_state=0)
        >>> tree = DecisionTreeClassifier(max_depth=3, random_state=0).fit(task.encode(), task.y())
        >>> attack = ClassifierMAP().fit(task, task.frame)
        >>> attack.values_
        ['no', 'yes']
        """
        if self.likelihood not in LIKELIHOODS:
            raise ValueError(f"likelihood must be one of {LIKELIHOODS}, got {self.likelihood!r}")
        if not np.isfinite(self.smoothing) or self.smoothing < 0:
            raise ValueError(f"smoothing must be a finite number >= 0, got {self.smoothing!r}")
        super().fit(task, aux)
        self.aux_ = aux.reset_index(drop=True)
        return self

    def confusion(self, model) -> np.ndarray:
        """``pi[yhat, y]``: P(true label y | released output yhat), estimated on the auxiliary data.

        Parameters
        ----------
        model : classifier
            The fitted model, with ``classes_``.

        Returns
        -------
        ndarray of shape (n_classes, n_classes)
            Row ``yhat`` (in ``model.classes_`` order) is the distribution of the true label
            given that output; records whose label the model never saw are left out.

        Examples
        --------
        >>> from sklearn.tree import DecisionTreeClassifier
        >>> from midlib.attacks import ClassifierMAP
        >>> from midlib.data import make_survey
        >>> task = make_survey(300, random_state=0)
        >>> tree = DecisionTreeClassifier(max_depth=3, random_state=0).fit(task.encode(), task.y())
        >>> pi = ClassifierMAP().fit(task, task.frame).confusion(tree)
        >>> pi.shape, pi.sum(axis=1).round(6).tolist()
        ((3, 3), [1.0, 1.0, 1.0])
        """
        self._check_fitted()
        out = output_distribution(model, self.task.encode(self.aux_))
        col = label_columns(self.task, model, self.aux_)
        K = out.shape[1]
        seen = col >= 0
        joint = out[seen].T @ np.eye(K)[col[seen]] + self.smoothing
        tot = joint.sum(axis=1, keepdims=True)
        return np.divide(joint, tot, out=np.full_like(joint, 1.0 / K), where=tot > 0)

    def scores(self, model, frame: pd.DataFrame) -> np.ndarray:
        """Posterior-like scores, one column per sensitive value.

        Parameters
        ----------
        model : classifier
            The fitted model.
        frame : pandas.DataFrame
            Targets, sensitive column hidden.

        Returns
        -------
        ndarray of shape (n_targets, n_values)
            ``prior(v) * L(y | x = (v, x_ns))`` for each target and sensitive value (columns in
            ``values_`` order); with ``likelihood="confusion"`` the rows are normalised, and a
            row whose scores are all 0 is replaced by the prior.

        Raises
        ------
        TypeError
            If ``model`` is not a fitted classifier with ``classes_``.

        Examples
        --------
        >>> from sklearn.tree import DecisionTreeClassifier
        >>> from midlib.attacks import ClassifierMAP
        >>> from midlib.data import make_survey
        >>> task = make_survey(300, random_state=0)
        >>> tree = DecisionTreeClassifier(max_depth=3, random_state=0).fit(task.encode(), task.y())
        >>> attack = ClassifierMAP().fit(task, task.frame)
        >>> attack.scores(tree, task.frame.head(2)).round(2)
        array([[0.81, 0.19],
               [0.81, 0.19]])
        """
        self._check_fitted()
        task = self.task
        if not list(getattr(model, "classes_", [])):
            raise TypeError("ClassifierMAP needs a fitted classifier with classes_")
        col = label_columns(task, model, frame)
        out = np.zeros((len(frame), len(self.values_)))
        if self.likelihood == "proba":
            for j, v in enumerate(self.values_):
                proba = np.asarray(model.predict_proba(task.encode(task.with_sensitive(frame, v))))
                lik = np.where(col >= 0, proba[np.arange(len(frame)), np.maximum(col, 0)], 0.0)
                out[:, j] = self.prior_[j] * np.maximum(lik, self.floor)
            return out
        pi = self.confusion(model)
        for j, v in enumerate(self.values_):
            dist = output_distribution(model, task.encode(task.with_sensitive(frame, v)))
            lik = np.where(col >= 0, (dist * pi[:, np.maximum(col, 0)].T).sum(axis=1), 0.0)
            out[:, j] = self.prior_[j] * lik
        empty = out.sum(axis=1) <= 0
        out[empty] = self.prior_
        return out / out.sum(axis=1, keepdims=True)


def output_distribution(model, X) -> np.ndarray:
    """The distribution of the model's released output on each row of ``X``.

    It is ``model.output_distribution`` if it has one (midlib trees), else the point mass at
    ``model.predict``.

    Parameters
    ----------
    model : classifier
        A fitted classifier with ``classes_``.
    X : array-like of shape (n_samples, n_features)
        The inputs.

    Returns
    -------
    ndarray of shape (n_samples, n_classes)
        The probability of each output, columns in ``model.classes_`` order.

    Examples
    --------
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> from midlib.attacks import output_distribution
    >>> from midlib.data import make_survey
    >>> task = make_survey(200, random_state=0)
    >>> tree = DecisionTreeClassifier(max_depth=3, random_state=0).fit(task.encode(), task.y())
    >>> output_distribution(tree, task.encode()[:2])
    array([[0., 1., 0.],
           [1., 0., 0.]])
    """
    if hasattr(model, "output_distribution"):
        return np.asarray(model.output_distribution(X), dtype=float)
    classes = list(model.classes_)
    pos = {c: k for k, c in enumerate(classes)}
    pred = np.asarray(model.predict(X))
    out = np.zeros((len(pred), len(classes)))
    out[np.arange(len(pred)), [pos[p] for p in pred.tolist()]] = 1.0
    return out


def label_columns(task, model, frame) -> np.ndarray:
    """Column of each record's true label in ``model.classes_`` (-1 for a label the model never saw).

    Parameters
    ----------
    task : TabularTask
        The task (it reads the labels with ``task.y(frame)``).
    model : classifier
        A fitted classifier with ``classes_``.
    frame : pandas.DataFrame
        Records with their labels.

    Returns
    -------
    ndarray of shape (n_records,)
        The index of each record's label in ``model.classes_``, or -1.

    Examples
    --------
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> from midlib.attacks.map import label_columns
    >>> from midlib.data import make_survey
    >>> task = make_survey(200, random_state=0)
    >>> tree = DecisionTreeClassifier(max_depth=3, random_state=0).fit(task.encode(), task.y())
    >>> label_columns(task, tree, task.frame.head(5)).tolist()
    [1, 1, 2, 1, 1]
    """
    y = np.asarray(task.y(frame))
    classes = list(getattr(model, "classes_", []))
    if not classes:
        raise TypeError(f"{type(model).__name__} has no classes_: pass a fitted classifier")
    pos = {c: k for k, c in enumerate(classes)}
    cols = np.array([pos.get(v, -1) for v in y.tolist()])
    if len(cols) and (cols < 0).all():
        # e.g. a model fitted on string labels while task.y gives integer codes: every
        # likelihood would be 0 and the attack would silently report "no leak"
        raise ValueError(
            f"none of the targets' labels {sorted(set(y.tolist()))[:5]} is a class of the model "
            f"({classes[:5]}): fit the model on task.y(frame), the labels the attack reads")
    return cols
