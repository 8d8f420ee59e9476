"""A linear regressor whose leakage is capped by construction: Gaussian output noise chosen so
that the Gaussian bound on I(X; Yhat) equals a cap C (the comparison model of the chapter "Why DP
does not stop model inversion")."""

from __future__ import annotations

from numbers import Real

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin, _fit_context, clone
from sklearn.linear_model import LinearRegression
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import check_is_fitted, validate_data

from midlib.leakage import linear_gaussian_mi, sigma_for_mi
from midlib.validation import check_random_state

__all__ = ["GaussianNoiseRegressor"]


class GaussianNoiseRegressor(RegressorMixin, BaseEstimator):
    """A linear regressor with Gaussian output noise: ``predict(X) = w'x + b + sigma * xi``.

    The base ``estimator`` is fitted, then ``sigma`` is set so that
    ``(1/2) log(1 + w' Sigma w / sigma^2) = mi_cap`` (nats), Sigma the covariance of the training
    features: for any input distribution with that covariance, ``I(X; Yhat) <= mi_cap``.

    Parameters
    ----------
    mi_cap : float, default=None
        The cap C on I(X; Yhat), in nats (> 0). Give exactly one of ``mi_cap`` and ``sigma``.
    sigma : float, default=None
        The output noise's standard deviation, given directly (> 0).
    estimator : regressor, default=None
        The mean model, a linear scikit-learn regressor with ``coef_`` and ``intercept_``;
        None means ordinary least squares.
    random_state : None, int or numpy.random.Generator, default=None
        Seeds the output noise; the generator is created at fit, so the same fit followed by the
        same predict calls gives the same samples.

    Attributes
    ----------
    coef_ : ndarray of shape (n_features,)
        Slope of the mean model.
    intercept_ : float
        Intercept of the mean model.
    noise_scale_ : float
        The output noise's standard deviation sigma.
    feature_covariance_ : ndarray of shape (n_features, n_features)
        Covariance of the training features.
    estimator_ : regressor
        The fitted mean model.
    rng_ : numpy.random.Generator
        The generator of the output noise.
    n_features_in_ : int
        Number of features seen at fit.
    feature_names_in_ : ndarray of shape (n_features,)
        Names of the features seen at fit; defined only when ``X`` has feature names that are
        all strings.

    See Also
    --------
    midlib.defenses.MIDLinearRegression : chooses the noise and the slope together (MID).

    Examples
    --------
    >>> import numpy as np
    >>> X = np.random.default_rng(0).random((50, 2)); y = X @ [1.0, 2.0]
    >>> m = GaussianNoiseRegressor(mi_cap=0.1, random_state=0).fit(X, y)
    >>> round(m.information_bound(), 6)
    0.1
    """

    _parameter_constraints = {
        "mi_cap": [Interval(Real, 0, np.inf, closed="neither"), None],
        "sigma": [Interval(Real, 0, np.inf, closed="neither"), None],
        "estimator": "no_validation",
        "random_state": ["random_state", np.random.Generator],
    }

    def __init__(self, mi_cap: float | None = None, sigma: float | None = None, estimator=None,
                 random_state=None):
        self.mi_cap = mi_cap
        self.sigma = sigma
        self.estimator = estimator
        self.random_state = random_state

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.non_deterministic = True  # predict samples
        tags.regressor_tags.poor_score = True  # the noise is the point: R^2 is low by design
        return tags

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Fit the mean model and set the noise.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training features.
        y : array-like of shape (n_samples,)
            Targets.

        Returns
        -------
        self : GaussianNoiseRegressor
            The fitted model.

        Raises
        ------
        ValueError
            Unless exactly one of ``mi_cap`` and ``sigma`` is given.

        Examples
        --------
        >>> import numpy as np
        >>> X = np.random.default_rng(0).random((50, 2)); y = X @ [1.0, 2.0]
        >>> m = GaussianNoiseRegressor(sigma=0.5, random_state=0).fit(X, y)
        >>> m.coef_.round(6), m.noise_scale_
        (array([1., 2.]), 0.5)
        """
        if (self.mi_cap is None) == (self.sigma is None):
            raise ValueError("give exactly one of mi_cap (nats) and sigma")
        X, y = validate_data(self, X, y, dtype=np.float64, y_numeric=True)
        est = LinearRegression() if self.estimator is None else clone(self.estimator)
        est.fit(X, y)
        self.estimator_ = est
        self.coef_ = np.asarray(est.coef_, dtype=float).ravel()
        self.intercept_ = float(np.ravel(est.intercept_)[0])
        self.feature_covariance_ = np.atleast_2d(np.cov(X, rowvar=False, bias=True))
        if self.sigma is not None:
            self.noise_scale_ = float(self.sigma)
        else:
            self.noise_scale_ = sigma_for_mi(self.coef_, self.feature_covariance_, self.mi_cap)
        self.rng_ = check_random_state(self.random_state)
        return self

    def predict_mean(self, X):
        """The mean prediction ``w'x + b``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Inputs.

        Returns
        -------
        ndarray of shape (n_samples,)
            The mean predictions (the deterministic part of the model).

        Examples
        --------
        >>> import numpy as np
        >>> X = np.random.default_rng(0).random((50, 2)); y = X @ [1.0, 2.0]
        >>> m = GaussianNoiseRegressor(mi_cap=0.1, random_state=0).fit(X, y)
        >>> bool(np.allclose(m.predict_mean(X), y))
        True
        """
        check_is_fitted(self)
        X = validate_data(self, X, dtype=np.float64, reset=False)
        return X @ self.coef_ + self.intercept_

    def predict(self, X):
        """A sample of the stochastic output, fresh noise per call.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Inputs.

        Returns
        -------
        ndarray of shape (n_samples,)
            One sample ``w'x + b + sigma * xi`` per row.

        Examples
        --------
        >>> import numpy as np
        >>> X = np.random.default_rng(0).random((50, 2)); y = X @ [1.0, 2.0]
        >>> m = GaussianNoiseRegressor(mi_cap=0.1, random_state=0).fit(X, y)
        >>> m.predict(X).shape
        (50,)
        >>> bool(np.all(m.predict(X) != m.predict(X)))  # fresh noise per call
        True
        """
        mean = self.predict_mean(X)
        return mean + self.noise_scale_ * self.rng_.standard_normal(mean.shape)

    def information_bound(self, X=None) -> float:
        """The Gaussian bound ``(1/2) log(1 + w' Sigma w / sigma^2)`` on I(X; Yhat), in nats.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features), default=None
            Inputs whose covariance is Sigma; None means the training features'.

        Returns
        -------
        float
            The bound in nats (``mi_cap`` on the training features when the model was fitted with
            ``mi_cap``).

        Examples
        --------
        >>> import numpy as np
        >>> X = np.random.default_rng(0).random((50, 2)); y = X @ [1.0, 2.0]
        >>> m = GaussianNoiseRegressor(mi_cap=0.1, random_state=0).fit(X, y)
        >>> round(m.information_bound(), 6)
        0.1
        """
        check_is_fitted(self)
        if X is None:
            cov = self.feature_covariance_
        else:
            X = validate_data(self, X, dtype=np.float64, reset=False)
            cov = np.atleast_2d(np.cov(X, rowvar=False, bias=True))
        return float(linear_gaussian_mi(self.coef_, cov, self.noise_scale_))
