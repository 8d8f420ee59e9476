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
    """``cov`` as a symmetric square float matrix, or a clear error."""
    cov = np.atleast_2d(np.asarray(cov, dtype=float))
    if cov.shape[0] != cov.shape[1] or not np.allclose(cov, cov.T):
        raise ValueError(f"{name} must be a symmetric square matrix, got shape {cov.shape}")
    return cov


def gaussian_entropy(cov) -> float:
    """Differential entropy of N(mu, cov): (1/2) log det(2 pi e cov)."""
    cov = check_covariance(cov)
    sign, logdet = np.linalg.slogdet(2 * np.pi * np.e * cov)
    if sign <= 0:
        raise ValueError("cov must be positive definite")
    return 0.5 * logdet


def gaussian_mutual_information(cov, dim_x: int) -> float:
    """I(X; Y) of a jointly Gaussian (X, Y) with covariance ``cov`` of (X, Y), X the first
    ``dim_x`` coordinates: (1/2) log(det S_xx det S_yy / det S)."""
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
    """I(X; w'X + sigma * xi) = (1/2) log(1 + w' cov_x w / sigma^2) for Gaussian X with covariance
    ``cov_x`` and xi ~ N(0, 1). For any X with that covariance it is an upper bound (the Gaussian
    maximises entropy for a given variance)."""
    w = np.atleast_1d(np.asarray(w, dtype=float))
    cov_x = check_covariance(cov_x, "cov_x")
    if cov_x.shape[0] != w.shape[0]:
        raise ValueError(f"w has {w.shape[0]} entries but cov_x is {cov_x.shape}")
    if not np.all(np.asarray(sigma) > 0):
        raise ValueError(f"sigma must be positive, got {sigma}")
    return 0.5 * np.log1p(float(w @ cov_x @ w) / np.asarray(sigma, dtype=float) ** 2)


def sigma_for_mi(w, cov_x, cap: float) -> float:
    """The output-noise standard deviation sigma with (1/2) log(1 + w' cov_x w / sigma^2) = cap."""
    if not cap > 0:
        raise ValueError(f"cap must be positive, got {cap}")
    w = np.atleast_1d(np.asarray(w, dtype=float))
    var = float(w @ check_covariance(cov_x, "cov_x") @ w)
    if var <= 0:
        return 1e-12
    return float(np.sqrt(var / np.expm1(2 * cap)))




def gaussian_mixture_mutual_information(means, noise_sd, weights=None, grid_size=20001):
    """I(X; Yhat) in nats for Yhat = m(X) + noise_sd * xi, X discrete with P(m(X) = means[k]) =
    weights[k]: h(Yhat) - (1/2) log(2 pi e noise_sd^2), with the mixture entropy integrated
    numerically on a grid (trapezoid rule, +-10 sd beyond the extreme means)."""
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
    """Monte-Carlo I(X; Yhat) for Yhat = mu(X) + sigma * xi, xi ~ N(0, 1), with X uniform over
    records (or ``weights``) whose means are ``means``: I = h(Yhat) - h(sigma xi), where the
    mixture entropy h(Yhat) = -E log sum_i w_i N(Yhat; mu_i, sigma^2) is estimated from
    ``n_samples`` draws with the mixture density computed exactly. Returns the estimate (and its
    standard error if ``return_se``)."""
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
    """Exact (by quadrature) leakage of a regressor with Gaussian output noise,
    Yhat = mu(x) + sigma * xi, on a finite population (record i has mean prediction ``means[i]``,
    probability ``weights[i]``, secret and auxiliary knowledge as in
    :func:`discrete_output_leakage`). The output densities are mixtures of Gaussians, integrated
    on a grid of ``grid_size`` points over mean +- 9 sigma; I(X; Yhat) = h(Yhat) - h(sigma xi)
    (records with equal means are the same input as far as Yhat is concerned)."""
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
