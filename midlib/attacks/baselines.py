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

    Its features are the encoded non-sensitive attributes and, at knowledge ``"aux+label"``,
    the label (standardised for a regression task, one-hot for a classification task).

    Parameters
    ----------
    knowledge : {"aux", "aux+label"}, default="aux+label"
        What the adversary knows of the target besides the prior: its non-sensitive
        attributes, and its label with ``"aux+label"``.
    estimator : classifier, default=None
        An unfitted scikit-learn classifier with ``predict_proba`` (cloned at fit); None uses
        ``LogisticRegression(max_iter=2000)``.

    Attributes
    ----------
    task : TabularTask
        The task, stored by ``fit``.
    values_ : list
        The sensitive values, in ``task.sensitive_values`` order (the columns of ``scores``).
    prior_ : ndarray of shape (n_values,)
        The empirical prior of the auxiliary records.
    estimator_ : classifier or None
        The fitted classifier; None when the auxiliary records hold a single sensitive value
        (the scores are then the prior).
    y_mean_ : float
        Regression tasks: the mean of the auxiliary labels (to standardise the label).
    y_scale_ : float
        Regression tasks: their standard deviation (1 if it is 0).
    y_levels_ : ndarray of shape (n_labels,)
        Classification tasks: the labels of the auxiliary records (one-hot encoded).

    Raises
    ------
    ValueError
        If ``knowledge`` is not ``"aux"`` or ``"aux+label"``.

    See Also
    --------
    midlib.game.PriorAdversary : The no-model baseline at knowledge ``"prior"``.

    Examples
    --------
    >>> from midlib.attacks import AuxiliaryAdversary
    >>> from midlib.data import make_survey
    >>> task = make_survey(200, random_state=0)
    >>> adversary = AuxiliaryAdversary().fit(task, task.frame)
    >>> adversary.guess(None, task.frame.head(3))
    array(['no', 'no', 'yes'], dtype=object)
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
        """Learn the classifier of the sensitive attribute on the auxiliary records.

        Parameters
        ----------
        task : TabularTask
            The task.
        aux : pandas.DataFrame
            The adversary's auxiliary records (with their sensitive values and labels).

        Returns
        -------
        self : AuxiliaryAdversary
            The fitted adversary.

        Examples
        --------
        >>> from midlib.attacks import AuxiliaryAdversary
        >>> from midlib.data import make_survey
        >>> task = make_survey(200, random_state=0)
        >>> AuxiliaryAdversary(knowledge="aux").fit(task, task.frame).estimator_
        LogisticRegression(max_iter=2000)
        """
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
        """The classifier's probabilities of the sensitive values for each target.

        Parameters
        ----------
        model : object
            Ignored (the adversary has no access to the model; the game passes None).
        frame : pandas.DataFrame
            The targets (the sensitive column may be hidden; the label is read at knowledge
            ``"aux+label"``).

        Returns
        -------
        ndarray of shape (n_targets, n_values)
            ``P(x_s = v | x_ns[, y])`` as estimated by ``estimator_``, columns in ``values_``
            order (0 for a value absent from the auxiliary records); the prior if
            ``estimator_`` is None.

        Examples
        --------
        >>> from midlib.attacks import AuxiliaryAdversary
        >>> from midlib.data import make_survey
        >>> task = make_survey(200, random_state=0)
        >>> adversary = AuxiliaryAdversary().fit(task, task.frame)
        >>> adversary.scores(None, task.frame.head(2)).round(2)
        array([[0.96, 0.04],
               [0.94, 0.06]])
        """
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

    Parameters
    ----------
    channel : array-like of shape (n_values, n_outputs)
        ``channel[v, o] = P(Yhat = outputs[o] | x_s = values[v])``, rows in
        ``task.sensitive_values`` order; each row a probability distribution.
    outputs : sequence
        The possible model outputs, in the column order of ``channel``.
    prior : array-like of shape (n_values,), default=None
        The prior of the sensitive values; None uses the empirical prior of the auxiliary
        records.

    Attributes
    ----------
    task : TabularTask
        The task, stored by ``fit``.
    values_ : list
        The sensitive values, in ``task.sensitive_values`` order (the columns of ``scores``).
    prior_ : ndarray of shape (n_values,)
        The prior used.
    channel_ : ndarray of shape (n_values, n_outputs)
        The validated channel.
    index_ : dict
        The column of each output in ``channel_``.

    Examples
    --------
    >>> from midlib.attacks import BayesAdversary
    >>> from midlib.data import make_survey
    >>> from midlib.game import TargetPrediction
    >>> task = make_survey(200, random_state=0)  # sensitive values ['no', 'yes']
    >>> channel = [[0.9, 0.1], [0.2, 0.8]]
    >>> adversary = BayesAdversary(channel, outputs=[0, 1], prior=[0.5, 0.5])
    >>> adversary = adversary.fit(task, task.frame)
    >>> adversary.guess(TargetPrediction([0, 1]), task.frame.head(2))
    array(['no', 'yes'], dtype=object)
    >>> round(adversary.success(), 3)
    0.85
    """

    knowledge = "prior"
    access = "prediction"

    def __init__(self, channel, outputs: Sequence, prior=None):
        self.channel = channel
        self.outputs = outputs
        self.prior = prior

    def fit(self, task, aux):
        """Validate the channel and the prior and store them.

        Parameters
        ----------
        task : TabularTask
            The task.
        aux : pandas.DataFrame
            Auxiliary records (with their sensitive values): the prior's default.

        Returns
        -------
        self : BayesAdversary
            The fitted adversary.

        Raises
        ------
        ValueError
            If ``channel`` has the wrong shape or a row that is not a distribution, or
            ``prior`` is not a probability vector over the sensitive values.

        Examples
        --------
        >>> from midlib.attacks import BayesAdversary
        >>> from midlib.data import make_survey
        >>> task = make_survey(200, random_state=0)
        >>> adversary = BayesAdversary([[0.9, 0.1], [0.2, 0.8]], outputs=[0, 1])
        >>> adversary.fit(task, task.frame).prior_.round(3)
        array([0.815, 0.185])
        """
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
        """The joint probability ``prior(v) * channel[v, o]`` of each value and the seen output.

        Parameters
        ----------
        model : TargetPrediction
            The model's outputs on the targets, handed over by the challenger (one per target,
            each one of ``outputs``).
        frame : pandas.DataFrame
            The targets (only their number is used).

        Returns
        -------
        ndarray of shape (n_targets, n_values)
            The scores, columns in ``values_`` order.

        Raises
        ------
        TypeError
            If ``model`` is not a :class:`~midlib.game.TargetPrediction`.
        ValueError
            If an output is not one of ``outputs``.

        Examples
        --------
        >>> from midlib.attacks import BayesAdversary
        >>> from midlib.data import make_survey
        >>> from midlib.game import TargetPrediction
        >>> task = make_survey(200, random_state=0)
        >>> adversary = BayesAdversary([[0.9, 0.1], [0.2, 0.8]], outputs=[0, 1], prior=[0.5, 0.5])
        >>> adversary.fit(task, task.frame).scores(TargetPrediction([0, 1]), task.frame.head(2))
        array([[0.45, 0.1 ],
               [0.05, 0.4 ]])
        """
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
        """Exact success probability sum_o max_v prior(v) channel[v, o].

        Returns
        -------
        float
            The success probability of the Bayes rule for a target drawn from the prior.

        Examples
        --------
        >>> from midlib.attacks import BayesAdversary
        >>> from midlib.data import make_survey
        >>> task = make_survey(200, random_state=0)
        >>> adversary = BayesAdversary([[0.9, 0.1], [0.2, 0.8]], outputs=[0, 1], prior=[0.5, 0.5])
        >>> round(adversary.fit(task, task.frame).success(), 3)
        0.85
        """
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

    Parameters
    ----------
    bandwidth : float, default=None
        The kernel bandwidth added to the output noise; None uses Silverman's rule on the
        auxiliary predictions for a deterministic model and 0 for a noisy one.
    max_aux : int, default=5000
        The largest number of auxiliary records in the mixture (a seeded subsample beyond).
    random_state : int, default=0
        Seed of that subsample.

    Attributes
    ----------
    task : TabularTask
        The task, stored by ``fit``.
    values_ : list
        The sensitive values, in ``task.sensitive_values`` order (the columns of ``scores``).
    prior_ : ndarray of shape (n_values,)
        The empirical prior of the auxiliary records (before subsampling).
    aux_ : pandas.DataFrame
        The auxiliary records of the mixture (at most ``max_aux``, index reset).

    Examples
    --------
    >>> from sklearn.linear_model import LinearRegression
    >>> from midlib.attacks import OutputBayesAdversary
    >>> from midlib.data import make_pharmacogenetic
    >>> from midlib.game import TargetPrediction
    >>> task = make_pharmacogenetic(200, random_state=0)
    >>> X = task.encode()
    >>> model = LinearRegression().fit(X, task.y(scaled=True))
    >>> adversary = OutputBayesAdversary().fit(task, task.frame)
    >>> seen = TargetPrediction(model.predict(X[:3]), model=model)
    >>> adversary.guess(seen, task.frame.head(3))
    array(['A/A', 'G/G', 'G/G'], dtype=object)
    """

    knowledge = "prior"
    access = "prediction+white-box"

    def __init__(self, bandwidth: float | None = None, max_aux: int = 5000, random_state: int = 0):
        self.bandwidth = bandwidth
        self.max_aux = max_aux
        self.random_state = random_state

    def fit(self, task, aux):
        """Store the task, the prior and (a subsample of) the auxiliary records.

        Parameters
        ----------
        task : TabularTask
            A regression task.
        aux : pandas.DataFrame
            The adversary's auxiliary records (with their sensitive values).

        Returns
        -------
        self : OutputBayesAdversary
            The fitted adversary.

        Examples
        --------
        >>> from midlib.attacks import OutputBayesAdversary
        >>> from midlib.data import make_pharmacogenetic
        >>> task = make_pharmacogenetic(200, random_state=0)
        >>> OutputBayesAdversary(max_aux=50).fit(task, task.frame).aux_.shape
        (50, 9)
        """
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
        """Log posterior up to a constant: ``log prior(v) + log p(yhat | x_s = v)``.

        Parameters
        ----------
        model : TargetPrediction
            The model's outputs on the targets with the model attached (access
            ``"prediction+white-box"``).
        frame : pandas.DataFrame
            The targets (only their number is used).

        Returns
        -------
        ndarray of shape (n_targets, n_values)
            The scores, columns in ``values_`` order; -inf for a value absent from ``aux_``.

        Raises
        ------
        TypeError
            If ``model`` is not a :class:`~midlib.game.TargetPrediction` with a model.
        ValueError
            If both the output noise and the bandwidth are 0.

        Examples
        --------
        >>> from sklearn.linear_model import LinearRegression
        >>> from midlib.attacks import OutputBayesAdversary
        >>> from midlib.data import make_pharmacogenetic
        >>> from midlib.game import TargetPrediction
        >>> task = make_pharmacogenetic(200, random_state=0)
        >>> X = task.encode()
        >>> model = LinearRegression().fit(X, task.y(scaled=True))
        >>> adversary = OutputBayesAdversary().fit(task, task.frame)
        >>> seen = TargetPrediction(model.predict(X[:3]), model=model)
        >>> adversary.scores(seen, task.frame.head(3)).shape
        (3, 3)
        """
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
