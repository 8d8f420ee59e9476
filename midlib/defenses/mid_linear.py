"""MID for linear regression: a stochastic linear model with an information penalty.

The model outputs ``Yhat = w'x + b + sigma * xi`` with ``xi ~ N(0, 1)`` drawn afresh at every
prediction. For *any* distribution of X with covariance Sigma,

    I(X; Yhat) <= (1/2) log(1 + w' Sigma w / sigma^2)        (nats),

because among distributions with a given variance the Gaussian has the largest entropy. MID
minimises the expected squared loss of the stochastic output plus lambda times this bound:

    J(w, b, sigma^2) = mean_i (y_i - w'x_i - b)^2 + sigma^2 + (lambda / 2) log(1 + w'Sigma w / sigma^2),

with Sigma the (empirical) covariance of the training features. The chapter "MID for linear
regression" proves that the minimiser is

    w = alpha w_OLS,  alpha = max(0, 1 - lambda / (2 V)),  sigma^2 = alpha (1 - alpha) V,
    b = mean(y) - w' mean(x),

where w_OLS is the (minimum-norm) least-squares slope and V = w_OLS' Sigma w_OLS the variance of
the least-squares fit on the training data. At the optimum the excess squared loss over least
squares is min(lambda / 2, V) and the bound equals (1/2) log(2 V / lambda) (0 when lambda >= 2V):
the Gaussian rate-distortion function of the fitted signal. :class:`MIDLinearRegression`
implements this closed form; :func:`mid_objective` evaluates J for any (w, b, sigma^2), which
the tests minimise with a general-purpose optimiser to check the derivation.
"""

from __future__ import annotations

import numpy as np
from numbers import Real

from sklearn.base import BaseEstimator, RegressorMixin, _fit_context
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import check_is_fitted, validate_data

from midlib.validation import check_random_state

__all__ = ["MIDLinearRegression", "mid_objective", "numerical_minimum", "gaussian_bound", "optimal_noise_variance",
           "optimal_shrinkage"]


def gaussian_bound(signal_variance, noise_variance):
    """The Gaussian bound ``(1/2) log(1 + signal_variance / noise_variance)``, in nats.

    It is inf when the noise is 0 and the signal is not, and 0 when the signal is 0.

    Parameters
    ----------
    signal_variance : float or array-like
        The variance ``w' Sigma w`` of the signal.
    noise_variance : float or array-like
        The variance ``sigma^2`` of the output noise (broadcast against ``signal_variance``).

    Returns
    -------
    float or ndarray
        The bound in nats: a float for scalar arguments, else an array of their broadcast shape.

    Examples
    --------
    >>> round(gaussian_bound(3.0, 1.0), 4)  # log(4) / 2
    0.6931
    >>> gaussian_bound(1.0, 0.0), gaussian_bound(0.0, 0.0)
    (inf, 0.0)
    """
    v = np.asarray(signal_variance, dtype=float)
    s = np.asarray(noise_variance, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(v <= 0, 0.0, np.where(s <= 0, np.inf, 0.5 * np.log1p(v / np.where(s > 0, s, 1.0))))
    return out if out.ndim else float(out)


def optimal_noise_variance(signal_variance, lam):
    """The optimal output-noise variance for a fixed signal variance.

    The minimiser over s = sigma^2 >= 0 of ``s + (lam / 2) log(1 + V / s)`` for fixed
    V = w' Sigma w: ``(sqrt(V^2 + 2 lam V) - V) / 2`` (0 when lam = 0 or V = 0), computed without
    cancellation as ``lam V / (sqrt(V^2 + 2 lam V) + V)``.

    Parameters
    ----------
    signal_variance : float or array-like
        The signal variance V = w' Sigma w, >= 0.
    lam : float
        The weight lambda of the information bound, >= 0.

    Returns
    -------
    float or ndarray
        The optimal sigma^2: a float for a scalar ``signal_variance``, else an array of its shape.

    Examples
    --------
    >>> round(optimal_noise_variance(4.0, 1.0), 4)  # (sqrt(16 + 8) - 4) / 2
    0.4495
    >>> optimal_noise_variance(4.0, 0.0)
    0.0
    """
    V = np.asarray(signal_variance, dtype=float)
    lam = float(lam)
    # (sqrt(V^2 + 2 lam V) - V) / 2 written without cancellation: lam V / (sqrt(.) + V)
    denom = np.sqrt(V * V + 2 * lam * V) + V
    out = np.where(denom > 0, lam * V / np.where(denom > 0, denom, 1.0), 0.0)
    return out if out.ndim else float(out)


def optimal_shrinkage(signal_variance_ols, lam):
    """The optimal shrinkage ``alpha* = max(0, 1 - lam / (2 V))`` of the least-squares slope.

    Parameters
    ----------
    signal_variance_ols : float
        V, the variance of the least-squares fit on the training data.
    lam : float
        The weight lambda of the information bound, >= 0.

    Returns
    -------
    float
        alpha* in [0, 1] (0 when V <= 0).

    Examples
    --------
    >>> optimal_shrinkage(1.0, 0.5)
    0.75
    >>> optimal_shrinkage(1.0, 4.0)
    0.0
    """
    V = float(signal_variance_ols)
    if V <= 0:
        return 0.0
    return max(0.0, 1.0 - float(lam) / (2.0 * V))


def mid_objective(w, b, noise_variance, X, y, lam, centered=True):
    """The MID objective J(w, b, sigma^2) of a stochastic linear model on (X, y).

    J is the mean squared error of the stochastic output plus lam times the Gaussian bound:
    ``mean_i (y_i - w'x_i - b)^2 + sigma^2 + lam (1/2) log(1 + w' Sigma w / sigma^2)``, with
    Sigma the empirical (1/n) covariance of X (``centered=False``: the second-moment matrix, the
    model without intercept).

    Parameters
    ----------
    w : array-like of shape (n_features,)
        The slope.
    b : float
        The intercept.
    noise_variance : float
        sigma^2, the variance of the output noise.
    X : array-like of shape (n_samples, n_features)
        The features.
    y : array-like of shape (n_samples,)
        The targets.
    lam : float
        The weight lambda of the information bound, >= 0 (0: no penalty).
    centered : bool, default=True
        Whether Sigma is the covariance (True) or the second-moment matrix of X (False).

    Returns
    -------
    float
        J(w, b, sigma^2).

    Examples
    --------
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0]]); y = 2 * X.ravel()
    >>> mid_objective([2.0], 0.0, 0.0, X, y, lam=0.0)  # least squares, a perfect fit
    0.0
    >>> round(mid_objective([1.8], 0.3, 0.45, X, y, lam=1.0), 4)  # the MID optimum
    1.6513
    """
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    w = np.asarray(w, dtype=float)
    resid = y - X @ w - b
    Xc = X - X.mean(axis=0) if centered else X
    V = float(np.mean((Xc @ w) ** 2))
    penalty = 0.0 if lam == 0 else lam * gaussian_bound(V, noise_variance)
    return float(np.mean(resid ** 2) + noise_variance + penalty)


def numerical_minimum(X, y, lam, fit_intercept=True, starts=3, seed=0):
    """The smallest MID objective J found by a general-purpose optimiser.

    The optimiser (BFGS, then Nelder-Mead) runs over ``(w, b, log sigma^2)`` from ``starts``
    random starting points: the independent check of the closed form of
    :class:`MIDLinearRegression`.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        The features.
    y : array-like of shape (n_samples,)
        The targets.
    lam : float
        The weight lambda of the information bound, >= 0.
    fit_intercept : bool, default=True
        Whether to optimise an intercept (else b = 0 and Sigma is the second-moment matrix).
    starts : int, default=3
        The number of random starting points.
    seed : int, default=0
        Seeds the starting points.

    Returns
    -------
    scipy.optimize.OptimizeResult
        The best result: ``fun`` is J and ``x`` is ``(w, b, log sigma^2)``.

    Examples
    --------
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0]]); y = 2 * X.ravel()
    >>> res = numerical_minimum(X, y, lam=1.0, starts=1)
    >>> round(float(res.fun), 4)  # the closed form's J
    1.6513
    """
    from scipy.optimize import minimize

    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    d = X.shape[1]
    rng = np.random.default_rng(seed)

    def f(p):
        return mid_objective(p[:d], p[d] if fit_intercept else 0.0, np.exp(p[d + 1]), X, y, lam,
                             centered=fit_intercept)

    best = None
    for _ in range(starts):
        start = np.r_[rng.normal(size=d) * 0.1, y.mean(), np.log(np.var(y)) + rng.normal()]
        res = minimize(f, start, method="BFGS", options=dict(gtol=1e-11))
        res = minimize(f, res.x, method="Nelder-Mead",
                       options=dict(maxiter=4000, xatol=1e-11, fatol=1e-15))
        if best is None or res.fun < best.fun:
            best = res
    return best


class MIDLinearRegression(RegressorMixin, BaseEstimator):
    """Linear regression with the MID penalty and a stochastic (Gaussian) output.

    The model outputs ``Yhat = w'x + b + sigma * xi`` with fresh ``xi ~ N(0, 1)`` at every
    prediction; ``w``, ``b`` and ``sigma`` minimise the MID objective (see the module), whose
    closed-form minimiser is ``w = alpha w_OLS`` with ``alpha = max(0, 1 - lam / (2 V))`` and
    ``sigma^2 = alpha (1 - alpha) V``.

    Parameters
    ----------
    lam : float, default=0.01
        lambda >= 0, the weight of the information bound (in squared-label units per nat).
        0 gives ordinary least squares with no output noise.
    fit_intercept : bool, default=True
        Whether to fit an intercept b.
    random_state : None, int or numpy.random.Generator, default=None
        Seed or Generator for the output noise; the generator is (re)created at fit, so a fit
        followed by the same sequence of predict calls gives the same samples.

    Attributes
    ----------
    coef_ : ndarray of shape (n_features,)
        The slope w of the mean model.
    intercept_ : float
        The intercept b of the mean model.
    noise_scale_ : float
        The output noise's standard deviation sigma.
    alpha_ : float
        The shrinkage of the least-squares slope, in [0, 1].
    coef_ols_ : ndarray of shape (n_features,)
        The (minimum-norm) least-squares slope w_OLS.
    signal_variance_ols_ : float
        V = w_OLS' Sigma w_OLS, the variance of the least-squares fit on the training data.
    feature_covariance_ : ndarray of shape (n_features, n_features)
        Sigma: the (1/n) covariance of the training features (without ``fit_intercept``, their
        second-moment matrix).
    rng_ : numpy.random.Generator
        The generator of the output noise.
    n_features_in_ : int
        Number of features seen at fit.
    feature_names_in_ : ndarray of shape (n_features,)
        Names of the features seen at fit; defined only when ``X`` has feature names that are
        all strings.

    See Also
    --------
    midlib.defenses.GaussianNoiseRegressor : least squares with noise set to cap the bound.

    Examples
    --------
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0]]); y = 2 * X.ravel()
    >>> m = MIDLinearRegression(lam=1.0, random_state=0).fit(X, y)
    >>> m.coef_.round(6), round(m.intercept_, 6), round(m.noise_scale_ ** 2, 6)
    (array([1.8]), 0.3, 0.45)
    """

    _parameter_constraints = {
        "lam": [Interval(Real, 0, np.inf, closed="left")],
        "fit_intercept": ["boolean"],
        "random_state": ["random_state", np.random.Generator],
    }

    def __init__(self, lam: float = 0.01, fit_intercept: bool = True, random_state=None):
        self.lam = lam
        self.fit_intercept = fit_intercept
        self.random_state = random_state

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.non_deterministic = True  # predict samples
        return tags

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Fit the closed-form MID solution.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training features.
        y : array-like of shape (n_samples,)
            Targets.

        Returns
        -------
        self : MIDLinearRegression
            The fitted model.

        Raises
        ------
        ValueError
            If ``lam`` is not a finite number >= 0.

        Examples
        --------
        >>> X = np.array([[0.0], [1.0], [2.0], [3.0]]); y = 2 * X.ravel()
        >>> m = MIDLinearRegression(lam=1.0, random_state=0).fit(X, y)
        >>> round(m.signal_variance_ols_, 6), round(m.alpha_, 6)  # V, then 1 - lam / (2 V)
        (5.0, 0.9)
        """
        lam = float(self.lam)
        X, y = validate_data(self, X, y, dtype=np.float64, y_numeric=True)
        n = X.shape[0]
        # With an intercept, Sigma is the covariance of X; without one, the second-moment matrix
        # E[X X'] (E[(w'X)^2] >= Var(w'X), so the bound stays valid and the derivation is the same).
        x_mean = X.mean(axis=0) if self.fit_intercept else np.zeros(X.shape[1])
        y_mean = float(y.mean()) if self.fit_intercept else 0.0
        Xc, yc = X - x_mean, y - y_mean
        w_ols, *_ = np.linalg.lstsq(Xc, yc, rcond=None)
        Sigma = Xc.T @ Xc / n
        V = float(w_ols @ Sigma @ w_ols)
        alpha = optimal_shrinkage(V, lam)
        self.coef_ols_ = w_ols
        self.signal_variance_ols_ = V
        self.feature_covariance_ = Sigma
        self.alpha_ = alpha
        self.coef_ = alpha * w_ols
        self.intercept_ = y_mean - float(self.coef_ @ x_mean)
        # sigma^2 = alpha (1 - alpha) V at the optimum; computed by the general formula for w
        self.noise_scale_ = float(np.sqrt(optimal_noise_variance(alpha * alpha * V, lam)))
        self.rng_ = check_random_state(self.random_state)
        return self

    def predict_distribution(self, X):
        """The output distribution: the mean prediction of each row and the output noise's sd.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Inputs.

        Returns
        -------
        mean : ndarray of shape (n_samples,)
            The mean prediction w'x + b of each row.
        sigma : float
            The output noise's standard deviation.

        Examples
        --------
        >>> X = np.array([[0.0], [1.0], [2.0], [3.0]]); y = 2 * X.ravel()
        >>> m = MIDLinearRegression(lam=1.0, random_state=0).fit(X, y)
        >>> mean, sigma = m.predict_distribution(X)
        >>> mean.round(6), round(sigma ** 2, 6)
        (array([0.3, 2.1, 3.9, 5.7]), 0.45)
        """
        check_is_fitted(self)
        X = validate_data(self, X, dtype=np.float64, reset=False)
        return X @ self.coef_ + self.intercept_, self.noise_scale_

    def predict_mean(self, X):
        """The mean prediction w'x + b (the deterministic part of the model).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Inputs.

        Returns
        -------
        ndarray of shape (n_samples,)
            The mean predictions.

        Examples
        --------
        >>> X = np.array([[0.0], [1.0], [2.0], [3.0]]); y = 2 * X.ravel()
        >>> m = MIDLinearRegression(lam=1.0, random_state=0).fit(X, y)
        >>> m.predict_mean(X).round(6)
        array([0.3, 2.1, 3.9, 5.7])
        """
        return self.predict_distribution(X)[0]

    def predict(self, X):
        """A sample of the stochastic output: mean + sigma * N(0, 1), fresh noise per call.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Inputs.

        Returns
        -------
        ndarray of shape (n_samples,)
            One sample of the output per row (the mean itself when sigma is 0).

        Examples
        --------
        >>> X = np.array([[0.0], [1.0], [2.0], [3.0]]); y = 2 * X.ravel()
        >>> m = MIDLinearRegression(lam=1.0, random_state=0).fit(X, y)
        >>> m.predict(X).shape
        (4,)
        >>> bool(np.all(m.predict(X) != m.predict(X)))  # fresh noise per call
        True
        """
        mean, sigma = self.predict_distribution(X)
        if sigma == 0:
            return mean
        return mean + sigma * self.rng_.standard_normal(mean.shape)

    def information_bound(self, X=None):
        """The regulariser's value ``(1/2) log(1 + w' Sigma w / sigma^2)``, in nats.

        It is an upper bound on I(X; Yhat) for every input distribution with covariance Sigma (the
        training features' covariance, or that of ``X`` when given); inf for lam = 0 (a deterministic
        output).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features), default=None
            Inputs whose covariance is Sigma; None means the training features'.

        Returns
        -------
        float
            The bound in nats.

        Examples
        --------
        >>> X = np.array([[0.0], [1.0], [2.0], [3.0]]); y = 2 * X.ravel()
        >>> m = MIDLinearRegression(lam=1.0, random_state=0).fit(X, y)
        >>> round(m.information_bound(), 4)  # log(2 V / lam) / 2 = log(10) / 2
        1.1513
        """
        check_is_fitted(self)
        if X is None:
            Sigma = self.feature_covariance_
        else:
            X = validate_data(self, X, dtype=np.float64, reset=False)
            Xc = X - X.mean(axis=0) if self.fit_intercept else X
            Sigma = Xc.T @ Xc / X.shape[0]
        return gaussian_bound(float(self.coef_ @ Sigma @ self.coef_), self.noise_scale_ ** 2)

    def objective(self, X, y):
        """The MID objective J (:func:`mid_objective`) at the fitted parameters on (X, y).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Features.
        y : array-like of shape (n_samples,)
            Targets.

        Returns
        -------
        float
            J(w, b, sigma^2) of the fitted model.

        Examples
        --------
        >>> X = np.array([[0.0], [1.0], [2.0], [3.0]]); y = 2 * X.ravel()
        >>> m = MIDLinearRegression(lam=1.0, random_state=0).fit(X, y)
        >>> round(m.objective(X, y), 4)  # excess loss lam / 2, plus lam times the bound
        1.6513
        """
        check_is_fitted(self)
        return mid_objective(self.coef_, self.intercept_, self.noise_scale_ ** 2, X, y, self.lam,
                             centered=self.fit_intercept)
