"""Gaussian closed forms and the leakage of models with Gaussian output noise.

- :func:`gaussian_entropy`, :func:`gaussian_mutual_information`, :func:`linear_gaussian_mi`
  (``Yhat = w'X + sigma * xi``) and its inverse :func:`sigma_for_mi`;
- :func:`gaussian_mixture_mutual_information`: I(X; Yhat) for a discrete X and Gaussian output
  noise, by quadrature (the exact value the bounds are checked against);
- :func:`gaussian_output_mi`: the same quantity by Monte Carlo, with a standard error;
- :func:`gaussian_output_leakage`: the Bayes adversary's exact success, baseline and advantage
  and I(S; Yhat | A), I(X; Yhat), all on one quadrature grid.
"""

from __future__ import annotations

import numpy as np
from scipy import special, stats

from midlib.leakage.information import leakage_summary, population_weights, value_codes

__all__ = ["check_covariance", "gaussian_entropy", "gaussian_mutual_information",
           "linear_gaussian_mi", "sigma_for_mi", "gaussian_mixture_mutual_information",
           "gaussian_output_mi", "gaussian_output_leakage"]


def check_covariance(cov, name="cov"):
    """Validate a covariance matrix: symmetric and square.

    Parameters
    ----------
    cov : array-like of shape (d, d), or a scalar
        The covariance (a scalar is a 1 x 1 matrix).
    name : str, default="cov"
        The argument's name, used in the error message.

    Returns
    -------
    ndarray of shape (d, d)
        ``cov`` as a float matrix.

    Raises
    ------
    ValueError
        If ``cov`` is not a symmetric square matrix.

    Examples
    --------
    >>> check_covariance(2.0)
    array([[2.]])
    """
    cov = np.atleast_2d(np.asarray(cov, dtype=float))
    if cov.shape[0] != cov.shape[1] or not np.allclose(cov, cov.T):
        raise ValueError(f"{name} must be a symmetric square matrix, got shape {cov.shape}")
    return cov


def gaussian_entropy(cov) -> float:
    """Differential entropy of N(mu, cov), in nats.

    ``h = (1/2) log det(2 pi e cov)``; it does not depend on the mean.

    Parameters
    ----------
    cov : array-like of shape (d, d)
        The covariance, positive definite.

    Returns
    -------
    float
        The differential entropy in nats.

    Raises
    ------
    ValueError
        If ``cov`` is not positive definite.

    Examples
    --------
    >>> round(float(gaussian_entropy([[1.0]])), 4)  # (1/2) log(2 pi e)
    1.4189
    """
    cov = check_covariance(cov)
    sign, logdet = np.linalg.slogdet(2 * np.pi * np.e * cov)
    if sign <= 0:
        raise ValueError("cov must be positive definite")
    return 0.5 * logdet


def gaussian_mutual_information(cov, dim_x: int) -> float:
    """I(X; Y) of a jointly Gaussian (X, Y), in nats.

    ``cov`` is the covariance of (X, Y), X the first ``dim_x`` coordinates:
    ``I(X; Y) = (1/2) log(det S_xx det S_yy / det S)``.

    Parameters
    ----------
    cov : array-like of shape (d, d)
        The joint covariance, positive definite.
    dim_x : int
        The dimension of X, in 1 .. d - 1.

    Returns
    -------
    float
        I(X; Y) in nats.

    Examples
    --------
    >>> round(gaussian_mutual_information([[1.0, 0.5], [0.5, 1.0]], dim_x=1), 4)  # -log(1 - 0.25) / 2
    0.1438
    """
    cov = check_covariance(cov)
    if not 0 < dim_x < cov.shape[0]:
        raise ValueError(f"dim_x must lie in 1..{cov.shape[0] - 1}, got {dim_x}")
    _, lx = np.linalg.slogdet(cov[:dim_x, :dim_x])
    _, ly = np.linalg.slogdet(cov[dim_x:, dim_x:])
    sign, l = np.linalg.slogdet(cov)
    if sign <= 0:
        raise ValueError("cov must be positive definite")
    return float(max(0.5 * (lx + ly - l), 0.0))


def linear_gaussian_mi(w, cov_x, sigma) -> float:
    """I(X; w'X + sigma * xi) for Gaussian X with covariance ``cov_x`` and xi ~ N(0, 1), in nats.

    ``I = (1/2) log(1 + w' cov_x w / sigma^2)``. For any X with that covariance it is an upper
    bound (the Gaussian maximises entropy for a given variance).

    Parameters
    ----------
    w : array-like of shape (d,)
        The weights.
    cov_x : array-like of shape (d, d)
        The covariance of X.
    sigma : float or array-like
        The output noise's standard deviation, > 0 (an array gives one value per sigma).

    Returns
    -------
    float or ndarray
        The mutual information in nats, of the shape of ``sigma``.

    Examples
    --------
    >>> round(float(linear_gaussian_mi([1.0, 1.0], np.eye(2), sigma=1.0)), 4)  # log(3) / 2
    0.5493
    """
    w = np.atleast_1d(np.asarray(w, dtype=float))
    cov_x = check_covariance(cov_x, "cov_x")
    if cov_x.shape[0] != w.shape[0]:
        raise ValueError(f"w has {w.shape[0]} entries but cov_x is {cov_x.shape}")
    if not np.all(np.asarray(sigma) > 0):
        raise ValueError(f"sigma must be positive, got {sigma}")
    return 0.5 * np.log1p(float(w @ cov_x @ w) / np.asarray(sigma, dtype=float) ** 2)


def sigma_for_mi(w, cov_x, cap: float) -> float:
    """The output-noise standard deviation that caps the Gaussian bound at ``cap``.

    Solves ``(1/2) log(1 + w' cov_x w / sigma^2) = cap`` for sigma, the inverse of
    :func:`linear_gaussian_mi`.

    Parameters
    ----------
    w : array-like of shape (d,)
        The weights.
    cov_x : array-like of shape (d, d)
        The covariance of X.
    cap : float
        The cap on the mutual information, in nats (> 0).

    Returns
    -------
    float
        sigma; 1e-12 when the signal ``w' cov_x w`` is 0 (no noise is needed).

    Examples
    --------
    >>> round(sigma_for_mi([1.0, 1.0], np.eye(2), cap=0.5 * np.log(3)), 6)
    1.0
    """
    if not cap > 0:
        raise ValueError(f"cap must be positive, got {cap}")
    w = np.atleast_1d(np.asarray(w, dtype=float))
    var = float(w @ check_covariance(cov_x, "cov_x") @ w)
    if var <= 0:
        return 1e-12
    return float(np.sqrt(var / np.expm1(2 * cap)))




def gaussian_mixture_mutual_information(means, noise_sd, weights=None, grid_size=20001):
    """I(X; Yhat) in nats for a discrete X and Gaussian output noise, by quadrature.

    Yhat = m(X) + noise_sd * xi, X discrete with P(m(X) = means[k]) = weights[k]:
    ``I = h(Yhat) - (1/2) log(2 pi e noise_sd^2)``, with the mixture entropy integrated
    numerically on a grid (trapezoid rule, +-10 sd beyond the extreme means). It is the exact value
    the bounds are checked against.

    Parameters
    ----------
    means : array-like of shape (k,)
        The values of m(X).
    noise_sd : float
        The noise's standard deviation, > 0.
    weights : array-like of shape (k,), default=None
        The probabilities of the means (normalised); None means uniform.
    grid_size : int, default=20001
        The number of grid points.

    Returns
    -------
    float
        I(X; Yhat) in nats, >= 0.

    Examples
    --------
    >>> round(float(gaussian_mixture_mutual_information([0.0, 100.0], 1.0)), 4)  # separated: log 2
    0.6931
    >>> round(float(gaussian_mixture_mutual_information([0.0, 1.0], 1.0)), 4)
    0.1114
    """
    means = np.asarray(means, dtype=float).ravel()
    if weights is None:
        weights = np.full(len(means), 1.0 / len(means))
    weights = np.asarray(weights, dtype=float).ravel()
    if noise_sd <= 0:
        raise ValueError("noise_sd must be > 0 (a deterministic output of a discrete X leaks H(m(X)))")
    if len(weights) != len(means) or np.any(weights < 0):
        raise ValueError("weights must be non-negative, one per mean")
    weights = weights / weights.sum()
    # merge identical means (saves time, same density)
    uniq, inv = np.unique(np.round(means, 12), return_inverse=True)
    w = np.bincount(inv, weights=weights)
    t = np.linspace(uniq.min() - 10 * noise_sd, uniq.max() + 10 * noise_sd, grid_size)
    dens = np.zeros_like(t)
    for mu, wk in zip(uniq, w):
        dens += wk * np.exp(-0.5 * ((t - mu) / noise_sd) ** 2)
    dens /= noise_sd * np.sqrt(2 * np.pi)
    integrand = np.where(dens > 0, -dens * np.log(np.where(dens > 0, dens, 1.0)), 0.0)
    h_mix = float(np.trapezoid(integrand, t))
    h_noise = 0.5 * np.log(2 * np.pi * np.e * noise_sd ** 2)
    return max(0.0, h_mix - h_noise)


def gaussian_output_mi(means, sigma, weights=None, n_samples: int = 20000, seed: int = 0,
                       return_se: bool = False):
    """Monte-Carlo I(X; Yhat) for Yhat = mu(X) + sigma * xi, xi ~ N(0, 1), in nats.

    X is uniform over records (or distributed as ``weights``) whose means are ``means``:
    I = h(Yhat) - h(sigma xi), where the mixture entropy
    h(Yhat) = -E log sum_i w_i N(Yhat; mu_i, sigma^2) is estimated from ``n_samples`` draws with
    the mixture density computed exactly.

    Parameters
    ----------
    means : array-like of shape (n_records,)
        The records' mean predictions mu(x_i).
    sigma : float
        The output noise's standard deviation, > 0.
    weights : array-like of shape (n_records,), default=None
        The records' probabilities (normalised); None means uniform.
    n_samples : int, default=20000
        The number of Monte-Carlo draws.
    seed : int, default=0
        Seeds the draws.
    return_se : bool, default=False
        Also return the estimate's standard error.

    Returns
    -------
    mi : float
        The estimate of I(X; Yhat) in nats, >= 0.
    se : float
        Its standard error; returned only when ``return_se`` is True.

    See Also
    --------
    gaussian_mixture_mutual_information : the same quantity by quadrature.

    Examples
    --------
    >>> round(gaussian_output_mi([0.0, 100.0], 1.0, n_samples=2000), 2)  # separated: log 2
    0.69
    >>> mi, se = gaussian_output_mi([0.0, 1.0], 1.0, n_samples=2000, return_se=True)
    >>> abs(mi - 0.1114) < 3 * se
    True
    """
    mu = np.asarray(means, dtype=float).ravel()
    if not sigma > 0:
        raise ValueError(f"sigma must be positive, got {sigma}")
    w = population_weights(len(mu), weights)
    rng = np.random.default_rng(seed)
    idx = rng.choice(len(mu), size=n_samples, p=w)
    yhat = mu[idx] + sigma * rng.standard_normal(n_samples)
    # unique means with summed weights keep the mixture small
    umu, inv = np.unique(mu, return_inverse=True)
    uw = np.bincount(inv.ravel(), weights=w)
    logp = np.empty(n_samples)
    for start in range(0, n_samples, 2000):
        z = (yhat[start:start + 2000, None] - umu[None, :]) / sigma
        logp[start:start + 2000] = special.logsumexp(-0.5 * z ** 2, b=uw[None, :], axis=1)
    logp -= np.log(sigma * np.sqrt(2 * np.pi))
    h_noise = 0.5 * np.log(2 * np.pi * np.e * sigma ** 2)
    est = float(max(-logp.mean() - h_noise, 0.0))
    if return_se:
        return est, float(logp.std(ddof=1) / np.sqrt(n_samples))
    return est



def gaussian_output_leakage(means, sigma, secret, aux=None, weights=None,
                            grid_size: int = 4001) -> dict:
    """Exact (by quadrature) leakage of a regressor with Gaussian output noise.

    The regressor outputs Yhat = mu(x) + sigma * xi on a finite population: record i has mean
    prediction ``means[i]``, probability ``weights[i]``, secret and auxiliary knowledge as in
    :func:`discrete_output_leakage`. The output densities are mixtures of Gaussians, integrated on
    a grid of ``grid_size`` points over mean +- 9 sigma; I(X; Yhat) = h(Yhat) - h(sigma xi)
    (records with equal means are the same input as far as Yhat is concerned).

    Parameters
    ----------
    means : array-like of shape (n_records,)
        The records' mean predictions mu(x_i).
    sigma : float
        The output noise's standard deviation, > 0.
    secret : array-like of shape (n_records,) or (n_records, k)
        Each record's secret (rows of a 2-D array count as values).
    aux : array-like of shape (n_records,) or (n_records, k), default=None
        Each record's auxiliary knowledge; None means none.
    weights : array-like of shape (n_records,), default=None
        The records' probabilities (normalised); None means uniform.
    grid_size : int, default=4001
        The number of grid points.

    Returns
    -------
    dict
        As floats: ``success`` (the Bayes adversary's, who sees aux and the output), ``baseline``
        (aux only), ``advantage`` (their difference), ``cmi`` (I(S; Yhat | A), nats) and ``mi_x``
        (I(X; Yhat), nats).

    Examples
    --------
    >>> out = gaussian_output_leakage([0.0, 10.0], 1.0, secret=[0, 1])
    >>> round(out["success"], 4), round(out["baseline"], 4), round(out["mi_x"], 4)
    (1.0, 0.5, 0.6931)
    """
    mu = np.asarray(means, dtype=float).ravel()
    if not sigma > 0:
        raise ValueError(f"sigma must be positive, got {sigma}")
    n = len(mu)
    w = population_weights(n, weights)
    s, ks = value_codes(secret, n, "secret")
    a, ka = value_codes(aux, n, "aux")
    grid = np.linspace(mu.min() - 9 * sigma, mu.max() + 9 * sigma, grid_size)
    step = grid[1] - grid[0]
    umu, inv = np.unique(mu, return_inverse=True)
    inv = inv.ravel()
    dens = np.zeros((ks, ka, grid_size))
    mix = np.zeros(grid_size)
    for start in range(0, len(umu), 500):
        block = umu[start:start + 500]
        phi = stats.norm.pdf(grid[None, :], block[:, None], sigma) * step  # mass per grid cell
        sel = (inv >= start) & (inv < start + len(block))
        idx = inv[sel] - start
        contrib = w[sel, None] * phi[idx]
        np.add.at(dens, (s[sel], a[sel]), contrib)
        mix += contrib.sum(axis=0)
    dens /= dens.sum()
    mix /= mix.sum()
    h_out = -np.sum(special.xlogy(mix, mix)) + np.log(step)
    h_noise = 0.5 * np.log(2 * np.pi * np.e * sigma ** 2)
    return leakage_summary(dens, max(h_out - h_noise, 0.0))
