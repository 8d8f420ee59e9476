"""Differentially private least squares: the functional mechanism (Zhang et al. 2012).

The least-squares objective of a data set is a quadratic polynomial in the weights::

    sum_i (y_i - w' x_i)^2 = sum_i y_i^2 - 2 (sum_i y_i x_i)' w + w' (sum_i x_i x_i') w,

so it is determined by the coefficients of its monomials: ``m_j = sum_i y_i x_ij`` (the linear
ones) and ``M_jk = sum_i x_ij x_ik`` for j <= k (the quadratic ones). The functional mechanism
adds Laplace noise to these coefficients and minimises the noisy polynomial; everything after
the noise is post-processing, so the weights are epsilon-DP.

Sensitivity (replace-one neighbours, the chapter "MID for linear regression" derives it): with
features in [0, 1]^d and labels in [0, 1], every monomial value of one record lies in [0, c]
with c = 1 for ``x_j x_k`` (j <= k) and ``y x_j``; the difference of two non-negative numbers in
[0, c] is at most c. Counting the coefficients as the optimiser sees them (``2 M_jk`` for
j < k, ``M_jj`` and ``2 m_j``), the L1 change of the coefficient vector when one record is
replaced is at most::

    d^2 + 2 d                      without an intercept,
    d^2 + 4 d + 2                  with an intercept (a constant feature 1, whose square is the
                                   same n for every data set and is left out).

This is tighter than Zhang et al.'s 2 (1 + d)^2, which is stated for features in a unit ball and
labels in [-1, 1] (where differences of signed values can double). The noisy quadratic form may
be indefinite; as in Zhang et al. (Section 5), its non-positive eigen-directions are trimmed
(post-processing, no privacy cost), and an optional ridge term is added before trimming: Zhang
et al.'s reference implementation adds ``5 sqrt(2) Delta / epsilon`` times the identity
(:func:`zhang_ridge`; ``ridge="zhang"``), five standard deviations of the Laplace noise.
"""

from __future__ import annotations

import numbers

import numpy as np
from numbers import Real

from sklearn.base import BaseEstimator, RegressorMixin, _fit_context
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from midlib.validation import check_random_state

__all__ = ["FunctionalMechanismRegression", "functional_mechanism_sensitivity", "check_unit_bounds",
           "replacement_change", "zhang_ridge"]


def functional_mechanism_sensitivity(d: int, fit_intercept: bool = True) -> float:
    """L1 sensitivity of the least-squares coefficient vector under replace-one neighbours.

    For x in [0, 1]^d and y in [0, 1]: ``d^2 + 4d + 2`` with an intercept, ``d^2 + 2d`` without
    (see the module for the derivation).

    Parameters
    ----------
    d : int
        The number of features, >= 1.
    fit_intercept : bool, default=True
        Whether the model has an intercept (a constant feature).

    Returns
    -------
    float
        The L1 sensitivity.

    Examples
    --------
    >>> functional_mechanism_sensitivity(2)
    14.0
    >>> functional_mechanism_sensitivity(2, fit_intercept=False)
    8.0
    """
    if not isinstance(d, (numbers.Integral, np.integer)) or d < 1:
        raise ValueError(f"d must be a positive integer, got {d!r}")
    return float(d * d + 4 * d + 2) if fit_intercept else float(d * d + 2 * d)


def zhang_ridge(d: int, epsilon: float, fit_intercept: bool = True) -> float:
    """The ridge of Zhang et al.'s reference implementation: ``5 sqrt(2) Delta / epsilon``.

    Five standard deviations of the Laplace noise on each coefficient (a Laplace variable of
    scale ``b = Delta / epsilon`` has standard deviation ``sqrt(2) b``), added to the diagonal
    of the noisy quadratic form before its non-positive directions are trimmed. It depends only
    on the public ``d`` and ``epsilon``: post-processing, no privacy cost.

    Parameters
    ----------
    d : int
        Number of features (without the intercept's constant feature).
    epsilon : float
        Privacy budget, > 0.
    fit_intercept : bool, default=True
        Whether the mechanism fits an intercept (it changes the sensitivity).

    Returns
    -------
    float
        ``5 * sqrt(2) * functional_mechanism_sensitivity(d, fit_intercept) / epsilon``.

    Raises
    ------
    ValueError
        If ``epsilon`` is not positive.

    Examples
    --------
    >>> round(zhang_ridge(2, 1.0), 3)  # Delta = 14
    98.995
    """
    if not (isinstance(epsilon, numbers.Real) and epsilon > 0):
        raise ValueError(f"epsilon must be a positive number, got {epsilon!r}")
    return float(5.0 * np.sqrt(2.0) * functional_mechanism_sensitivity(d, fit_intercept) / epsilon)


def replacement_change(mechanism, X, y, a, b) -> float:
    """L1 change of the perturbed coefficient vector when one record is replaced.

    The record appended to ``(X, y)`` is ``a`` rather than ``b``. This is the quantity the
    sensitivity bounds, computed exactly, for brute-force checks of
    :func:`functional_mechanism_sensitivity`.

    Parameters
    ----------
    mechanism : FunctionalMechanismRegression
        The mechanism whose :meth:`~FunctionalMechanismRegression.exact_coefficients` are compared
        (its ``fit_intercept`` matters).
    X : array-like of shape (n_samples, d)
        The other records' features.
    y : array-like of shape (n_samples,)
        The other records' labels.
    a : ndarray of shape (d + 1,)
        One candidate record ``(x_1, ..., x_d, y)``.
    b : ndarray of shape (d + 1,)
        The other candidate record, in the same layout.

    Returns
    -------
    float
        The L1 distance between the two coefficient vectors.

    Examples
    --------
    >>> fm = FunctionalMechanismRegression(fit_intercept=False)
    >>> a, b = np.array([1.0, 1.0]), np.array([0.0, 0.0])
    >>> replacement_change(fm, [[0.5]], [0.5], a, b)  # reaches d^2 + 2d = 3
    3.0
    """
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    d = X.shape[1]
    ca = mechanism.exact_coefficients(np.vstack([X, a[:d]]), np.append(y, a[d]))[0]
    cb = mechanism.exact_coefficients(np.vstack([X, b[:d]]), np.append(y, b[d]))[0]
    return float(np.abs(ca - cb).sum())


def check_unit_bounds(X: np.ndarray, y: np.ndarray | None = None, tol: float = 1e-9) -> None:
    """Raise a ValueError if a feature lies outside [0, 1] or a label outside [0, 1].

    The privacy guarantee of the functional mechanism holds only for data inside the declared
    bounds, so data outside them are refused rather than silently clipped.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        The features.
    y : ndarray of shape (n_samples,), default=None
        The labels; None checks the features only.
    tol : float, default=1e-9
        Values up to ``tol`` outside [0, 1] are accepted (rounding errors).

    Raises
    ------
    ValueError
        Naming the first entry out of bounds.

    Examples
    --------
    >>> check_unit_bounds(np.array([[0.2, 0.8]]), np.array([0.5]))  # in bounds: nothing happens
    >>> try:
    ...     check_unit_bounds(np.array([[0.2, 1.5]]))
    ... except ValueError as err:
    ...     print(str(err)[:40])
    features must lie in [0, 1] for the priv
    """
    if X.size and (X.min() < -tol or X.max() > 1 + tol):
        bad = np.argwhere((X < -tol) | (X > 1 + tol))[0]
        raise ValueError(
            f"features must lie in [0, 1] for the privacy guarantee; X[{bad[0]}, {bad[1]}] = "
            f"{X[bad[0], bad[1]]!r}. Scale them first (e.g. TabularTask.encode, or MinMaxScaler "
            "with bounds fixed in advance from public knowledge, not from the data)."
        )
    if y is not None and y.size and (y.min() < -tol or y.max() > 1 + tol):
        i = int(np.argmax((y < -tol) | (y > 1 + tol)))
        raise ValueError(
            f"labels must lie in [0, 1] for the privacy guarantee; y[{i}] = {y[i]!r}. Scale them "
            "with bounds fixed in advance (e.g. TabularTask.y(scaled=True))."
        )


class FunctionalMechanismRegression(RegressorMixin, BaseEstimator):
    """epsilon-DP linear regression by the functional mechanism (Zhang et al. 2012).

    Features and labels must lie in [0, 1] (see :func:`check_unit_bounds`). The Laplace noise is
    added to the coefficients of the least-squares polynomial; everything after it (trimming,
    ridge, clipping) is post-processing.

    Parameters
    ----------
    epsilon : float, default=1.0
        Privacy budget, > 0 (pure epsilon-DP, replace-one neighbours).
    fit_intercept : bool, default=True
        Whether to fit an intercept (a constant feature; it costs sensitivity).
    random_state : None, int or numpy.random.Generator, default=None
        Seed or Generator for the Laplace noise.
    ridge : float or "zhang", default=0.0
        A ridge penalty ``ridge * ||w||^2`` added to the noisy objective before trimming
        (post-processing, no privacy cost; 0 reproduces the plain mechanism with spectral
        trimming); ``"zhang"`` uses Zhang et al.'s ``5 sqrt(2) Delta / epsilon``
        (:func:`zhang_ridge`), the regularised mechanism of their reference implementation.
    clip_predictions : bool, default=True
        Clip predictions to the label range [0, 1] (post-processing).
    noise_floor : float, default=0.0
        Trim every eigen-direction of the noisy quadratic form whose eigenvalue is at most
        ``noise_floor`` times the Laplace scale ``sensitivity / epsilon`` (0, the default, trims
        only the non-positive ones, as Zhang et al.). The threshold depends only on the public
        ``d``, ``epsilon`` and ``noise_floor`` and is applied to the noisy release, so it is
        post-processing and costs no privacy. See the notes.

    Attributes
    ----------
    coef_ : ndarray of shape (n_features,)
        The private weights.
    intercept_ : float
        The private intercept (0 without ``fit_intercept``).
    sensitivity_ : float
        The L1 sensitivity of the perturbed coefficients.
    laplace_scale_ : float
        The Laplace scale ``sensitivity / epsilon`` of the noise on the coefficients (named so
        as not to be mistaken for ``noise_scale_``, which midlib's stochastic regressors use for
        the standard deviation of their output noise; this model's output is deterministic).
    epsilon_ : float
        The epsilon achieved.
    n_trimmed_ : int
        Eigen-directions removed.
    ridge_ : float
        The ridge added to the noisy quadratic form (``ridge``, or :func:`zhang_ridge` for
        ``"zhang"``).
    n_features_in_ : int
        Number of features.
    feature_names_in_ : ndarray of shape (n_features,)
        Names of the features seen at fit; defined only when ``X`` has feature names that are
        all strings.

    See Also
    --------
    functional_mechanism_sensitivity : the L1 sensitivity used for the noise.

    Notes
    -----
    **The design must have full rank.** The noise added to ``X'X`` and ``X'y`` has a fixed
    scale, so the mechanism is consistent (its weights converge to least squares as n grows at
    fixed epsilon) only when the population second-moment matrix of the augmented features is
    non-singular. A one-hot encoding that keeps every level of a categorical feature, together
    with an intercept, violates this: every group of columns sums to 1, the constant column, so
    for each group there is a direction ``v`` with ``X v = 0`` for every possible record. Along
    ``v`` the noisy quadratic has an eigenvalue that is pure noise, and the weight component
    along it is a ratio of two noise terms, heavy-tailed and the same at every n::

        w_v = (v' e) / (v' E v)      (e, E: the Laplace noise on X'y and X'X)

    It is harmless for records with ``X v = 0`` only as long as the eigenvectors do not mix;
    they mix by O(1/n), so with a small enough noisy eigenvalue the error on predictions stays
    large even at n = 10^6 (predictions clipped to 0 or 1). Two remedies cost no privacy:

    - encode with a reference level dropped (``TabularTask.with_encoding(drop_first=True)``),
      which also lowers d and hence the sensitivity; this is the recommended one;
    - set ``noise_floor`` (about 10, a few times the spectral norm of the noise matrix divided
      by the Laplace scale), which trims every direction whose noisy curvature is not clearly
      above the noise, whatever the encoding.

    Detecting the rank deficiency on the private data (for instance from the exact ``X'X``)
    would itself leak and is not done.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = rng.random((100, 2)); y = 0.2 + 0.3 * X[:, 0] + 0.4 * X[:, 1]
    >>> m = FunctionalMechanismRegression(epsilon=1.0, random_state=0).fit(X, y)
    >>> m.sensitivity_, m.laplace_scale_, m.coef_.shape
    (14.0, 14.0, (2,))
    >>> big = FunctionalMechanismRegression(epsilon=1e4, random_state=0).fit(X, y)
    >>> big.coef_.round(2), round(big.intercept_, 2)  # little noise: close to least squares
    (array([0.3, 0.4]), 0.2)
    """

    _parameter_constraints = {
        "epsilon": [Interval(Real, 0, np.inf, closed="neither")],
        "fit_intercept": ["boolean"],
        "random_state": ["random_state", np.random.Generator],
        "ridge": [Interval(Real, 0, np.inf, closed="left"), StrOptions({"zhang"})],
        "clip_predictions": ["boolean"],
        "noise_floor": [Interval(Real, 0, np.inf, closed="left")],
    }

    def __init__(self, epsilon: float = 1.0, fit_intercept: bool = True, random_state=None,
                 ridge: float = 0.0, clip_predictions: bool = True, noise_floor: float = 0.0):
        self.epsilon = epsilon
        self.fit_intercept = fit_intercept
        self.random_state = random_state
        self.ridge = ridge
        self.clip_predictions = clip_predictions
        self.noise_floor = noise_floor

    # -- the mechanism ---------------------------------------------------------------------------
    def _augment(self, X):
        return np.hstack([np.ones((X.shape[0], 1)), X]) if self.fit_intercept else X

    def exact_coefficients(self, X, y):
        """The coefficient vector of the least-squares polynomial that the mechanism perturbs.

        The vector holds ``2 m_j`` (the linear coefficients), then ``M_jj`` and ``2 M_jk`` for j < k
        over the upper triangle (with an intercept the constant ``M_00 = n`` is left out); the
        intercept's constant feature comes first.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The features.
        y : array-like of shape (n_samples,)
            The labels.

        Returns
        -------
        coefficients : ndarray of shape (n_coefficients,)
            The exact (noiseless) coefficients.
        layout : tuple
            ``(iu, scale, keep)``: the upper-triangle indices of the quadratic coefficients, their
            factors (1 on the diagonal, 2 off it) and the mask of those kept in ``coefficients``.

        Examples
        --------
        >>> fm = FunctionalMechanismRegression(fit_intercept=False)
        >>> coefficients, layout = fm.exact_coefficients([[1.0], [0.5]], [1.0, 0.0])
        >>> coefficients  # 2 sum(y x), sum(x^2)
        array([2.  , 1.25])
        """
        Xa = self._augment(np.asarray(X, dtype=float))
        y = np.asarray(y, dtype=float)
        p = Xa.shape[1]
        M = Xa.T @ Xa
        m = Xa.T @ y
        iu = np.triu_indices(p)
        scale = np.where(iu[0] == iu[1], 1.0, 2.0)
        quad = scale * M[iu]
        keep = np.ones(len(quad), dtype=bool)
        if self.fit_intercept:
            keep[0] = False  # (0, 0): the constant n
        return np.concatenate([2.0 * m, quad[keep]]), (iu, scale, keep)

    def noisy_coefficients(self, X, y, rng=None):
        """One draw of the mechanism's output: the epsilon-DP release.

        It is the exact coefficients plus Laplace noise of scale ``sensitivity / epsilon`` on each.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The features.
        y : array-like of shape (n_samples,)
            The labels.
        rng : numpy.random.Generator, default=None
            The generator of the noise; None creates one from ``random_state``.

        Returns
        -------
        ndarray of shape (n_coefficients,)
            The noisy coefficients, in the layout of :meth:`exact_coefficients`.

        Examples
        --------
        >>> rng = np.random.default_rng(0)
        >>> X = rng.random((100, 2)); y = 0.2 + 0.3 * X[:, 0] + 0.4 * X[:, 1]
        >>> fm = FunctionalMechanismRegression(epsilon=1.0, random_state=0)
        >>> fm.noisy_coefficients(X, y).shape  # 3 linear and 5 quadratic coefficients
        (8,)
        """
        self._validate_params()
        coefs, _ = self.exact_coefficients(X, y)
        d = np.asarray(X).shape[1]
        b = functional_mechanism_sensitivity(d, self.fit_intercept) / self.epsilon
        rng = check_random_state(self.random_state) if rng is None else rng
        return coefs + rng.laplace(0.0, b, size=coefs.shape)

    def _ridge_value(self, p):
        if isinstance(self.ridge, str):
            return zhang_ridge(p - int(bool(self.fit_intercept)), self.epsilon, self.fit_intercept)
        return float(self.ridge)

    def _solve(self, coefs, n, p):
        """Minimise the polynomial(s) with coefficient vector(s) ``coefs`` (post-processing):
        ``coefs`` (k,) or (m, k) -> weights (p,) or (m, p), and the number of trimmed directions."""
        coefs = np.asarray(coefs, dtype=float)
        single = coefs.ndim == 1
        coefs = np.atleast_2d(coefs)
        lin = coefs[:, :p] / 2.0
        iu = np.triu_indices(p)
        scale = np.where(iu[0] == iu[1], 1.0, 2.0)
        quad = np.empty((coefs.shape[0], len(iu[0])))
        if self.fit_intercept:
            quad[:, 0] = n
            quad[:, 1:] = coefs[:, p:]
        else:
            quad[:] = coefs[:, p:]
        M = np.zeros((coefs.shape[0], p, p))
        M[:, iu[0], iu[1]] = quad / scale
        M = M + np.triu(M, 1).transpose(0, 2, 1)
        M = M + self._ridge_value(p) * np.eye(p)
        vals, vecs = np.linalg.eigh(M)
        tol = np.maximum(1e-12, 1e-12 * np.abs(vals).max(axis=1, keepdims=True))
        if self.noise_floor > 0:
            d = p - int(bool(self.fit_intercept))
            b = functional_mechanism_sensitivity(d, self.fit_intercept) / self.epsilon
            tol = np.maximum(tol, self.noise_floor * b)   # public threshold: post-processing
        pos = vals > tol
        proj = np.einsum("mji,mj->mi", vecs, lin)           # V' m
        proj = np.where(pos, proj / np.where(pos, vals, 1.0), 0.0)
        w = np.einsum("mij,mj->mi", vecs, proj)
        trimmed = (~pos).sum(axis=1)
        return (w[0], int(trimmed[0])) if single else (w, trimmed)

    def sample_weights(self, X, y, size: int, random_state=None) -> np.ndarray:
        """Independent runs of the mechanism on (X, y), for auditing the privacy claim.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The features, in [0, 1].
        y : array-like of shape (n_samples,)
            The labels, in [0, 1].
        size : int
            The number of runs.
        random_state : None, int or numpy.random.Generator, default=None
            Seeds the noise of the runs.

        Returns
        -------
        ndarray of shape (size, p)
            The fitted weights of each run, intercept first when ``fit_intercept`` (p is
            ``n_features + 1`` then, else ``n_features``).

        Examples
        --------
        >>> rng = np.random.default_rng(0)
        >>> X = rng.random((100, 2)); y = 0.2 + 0.3 * X[:, 0] + 0.4 * X[:, 1]
        >>> fm = FunctionalMechanismRegression(epsilon=1.0)
        >>> fm.sample_weights(X, y, size=5, random_state=0).shape
        (5, 3)
        """
        self._validate_params()
        X = np.asarray(X, dtype=float)
        y = np.asarray(y, dtype=float)
        check_unit_bounds(X, y)
        coefs, _ = self.exact_coefficients(X, y)
        b = functional_mechanism_sensitivity(X.shape[1], self.fit_intercept) / self.epsilon
        rng = check_random_state(random_state)
        noisy = coefs[None, :] + rng.laplace(0.0, b, size=(size, len(coefs)))
        return self._solve(noisy, X.shape[0], X.shape[1] + int(bool(self.fit_intercept)))[0]

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Fit the private weights: one release of the mechanism, then its minimiser.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training features, in [0, 1].
        y : array-like of shape (n_samples,)
            Labels, in [0, 1].

        Returns
        -------
        self : FunctionalMechanismRegression
            The fitted model.

        Raises
        ------
        ValueError
            For invalid parameters, or data outside [0, 1].

        Examples
        --------
        >>> rng = np.random.default_rng(0)
        >>> X = rng.random((100, 2)); y = 0.2 + 0.3 * X[:, 0] + 0.4 * X[:, 1]
        >>> m = FunctionalMechanismRegression(epsilon=1.0, random_state=0).fit(X, y)
        >>> m.epsilon_, m.n_trimmed_
        (1.0, 0)
        """
        X, y = validate_data(self, X, y, dtype=np.float64, y_numeric=True)
        check_unit_bounds(X, y)
        rng = check_random_state(self.random_state)
        n, d = X.shape
        noisy = self.noisy_coefficients(X, y, rng=rng)
        p = d + int(bool(self.fit_intercept))
        w, self.n_trimmed_ = self._solve(noisy, n, p)
        if self.fit_intercept:
            self.intercept_, self.coef_ = float(w[0]), w[1:]
        else:
            self.intercept_, self.coef_ = 0.0, w
        self.sensitivity_ = functional_mechanism_sensitivity(d, self.fit_intercept)
        self.ridge_ = self._ridge_value(p)
        self.laplace_scale_ = self.sensitivity_ / self.epsilon
        self.epsilon_ = float(self.epsilon)
        return self

    def predict(self, X):
        """Predict with the private linear model.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Inputs.

        Returns
        -------
        ndarray of shape (n_samples,)
            ``X @ coef_ + intercept_``, clipped to [0, 1] when ``clip_predictions``.

        Examples
        --------
        >>> rng = np.random.default_rng(0)
        >>> X = rng.random((100, 2)); y = 0.2 + 0.3 * X[:, 0] + 0.4 * X[:, 1]
        >>> m = FunctionalMechanismRegression(epsilon=1.0, random_state=0).fit(X, y)
        >>> p = m.predict(X)
        >>> p.shape, bool(p.min() >= 0 and p.max() <= 1)
        ((100,), True)
        """
        check_is_fitted(self)
        X = validate_data(self, X, dtype=np.float64, reset=False)
        out = X @ self.coef_ + self.intercept_
        return np.clip(out, 0.0, 1.0) if self.clip_predictions else out
