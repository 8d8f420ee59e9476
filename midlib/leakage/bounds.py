"""Exact Bayes values of the MAP attack and the bounds that tie information to an adversary's success.

- :func:`map_bayes_accuracy`: the Bayes-optimal success of a Gaussian-likelihood MAP attack;
- :func:`pinsker_bound` (advantage <= sqrt(I / 2)), :func:`fano_error_lower_bound`,
  :func:`fano_success_upper_bound`;
- :func:`dp_success_bound` (training-set success <= e^eps * distributional success + delta).
"""

from __future__ import annotations

import numpy as np
from midlib.leakage.information import binary_entropy

__all__ = ["map_bayes_accuracy", "pinsker_bound",
           "fano_error_lower_bound", "fano_success_upper_bound", "dp_success_bound"]


def map_bayes_accuracy(offsets, prior, noise_sd: float, grid_size: int = 200001) -> float:
    """Bayes-optimal success of a Gaussian-likelihood MAP attack, computed on a grid.

    The adversary guesses ``argmax_v prior[v] N(y; m + offsets[v], noise_sd^2)`` when ``y`` really
    is ``m + offsets[v] + N(0, noise_sd^2)`` with ``v ~ prior`` (``m`` known to the adversary); its
    success is ``integral max_v prior[v] phi((t - offsets[v]) / noise_sd) / noise_sd dt``.

    Parameters
    ----------
    offsets : array-like of shape (k,)
        The offset of each value ``v`` of the secret.
    prior : array-like of shape (k,) or (r, k)
        The prior of the secret, or one prior per row (one row per stratum).
    noise_sd : float
        The noise's standard deviation, > 0.
    grid_size : int, default=200001
        The number of grid points.

    Returns
    -------
    float or ndarray of shape (r,)
        The success probability; one per row for a 2-D ``prior`` (average them with the rows'
        probabilities as weights for the overall success).

    Examples
    --------
    >>> round(map_bayes_accuracy([0.0, 2.0], [0.5, 0.5], noise_sd=1.0), 4)  # Phi(1)
    0.8413
    >>> map_bayes_accuracy([0.0, 2.0], [[0.5, 0.5], [0.9, 0.1]], noise_sd=1.0).round(4)
    array([0.8413, 0.9299])
    """
    offsets = np.asarray(offsets, dtype=float)
    if noise_sd <= 0:
        raise ValueError("noise_sd must be > 0")
    priors = np.atleast_2d(np.asarray(prior, dtype=float))
    t = np.linspace(offsets.min() - 12 * noise_sd, offsets.max() + 12 * noise_sd, grid_size)
    dens = np.exp(-0.5 * ((t[None, :] - offsets[:, None]) / noise_sd) ** 2) / (noise_sd * np.sqrt(2 * np.pi))
    out = [float(np.trapezoid((p[:, None] * dens).max(axis=0), t)) for p in priors]
    return out[0] if len(out) == 1 else np.asarray(out)


def pinsker_bound(mi) -> np.ndarray:
    """Pinsker's upper bound sqrt(I / 2) on an adversary's advantage.

    It bounds the advantage of any adversary whose observation carries mutual information ``mi``
    (nats) about the secret given its auxiliary knowledge.

    Parameters
    ----------
    mi : float or array-like
        The mutual information in nats, >= 0.

    Returns
    -------
    ndarray
        ``sqrt(mi / 2)``, of the shape of ``mi``.

    Examples
    --------
    >>> float(pinsker_bound(0.02))
    0.1
    >>> pinsker_bound([0.0, 0.5])
    array([0. , 0.5])
    """
    mi = np.asarray(mi, dtype=float)
    if np.any(mi < -1e-12):
        raise ValueError("mutual information must be >= 0")
    return np.sqrt(np.maximum(mi, 0.0) / 2)


def fano_error_lower_bound(h_cond, n_values: int) -> np.ndarray:
    """Fano's lower bound on the error probability of any guess of S from O.

    Any guess of S (``n_values`` values) from O errs with probability P_e satisfying
    h(P_e) + P_e log(n_values - 1) >= H(S | O) (nats). This function returns the smallest such
    P_e (the left-hand side is increasing on [0, 1 - 1/n_values]; solved by bisection,
    vectorised).

    Parameters
    ----------
    h_cond : float or array-like
        The conditional entropy H(S | O) in nats, in [0, log n_values].
    n_values : int
        The number of values of S, >= 2.

    Returns
    -------
    ndarray
        The smallest error probability compatible with Fano's inequality, of the shape of
        ``h_cond``.

    Examples
    --------
    >>> round(float(fano_error_lower_bound(np.log(2), 2)), 4)  # a binary secret with H(S | O) = log 2
    0.5
    >>> fano_error_lower_bound([0.1, 0.5], 2).round(4)
    array([0.0205, 0.1997])
    """
    h = np.asarray(h_cond, dtype=float)
    if n_values < 2:
        raise ValueError("n_values must be >= 2")
    if np.any(h < -1e-12) or np.any(h > np.log(n_values) + 1e-9):
        raise ValueError(f"H(S | O) must lie in [0, log {n_values}]")
    f = lambda q: binary_entropy(q) + q * np.log(n_values - 1)
    lo = np.zeros_like(h)
    hi = np.full_like(h, 1 - 1 / n_values)
    for _ in range(60):
        mid = (lo + hi) / 2
        below = f(mid) < h
        lo = np.where(below, mid, lo)
        hi = np.where(below, hi, mid)
    return hi


def fano_success_upper_bound(h_cond, n_values: int) -> np.ndarray:
    """Fano's upper bound on the success of any guess of S from O.

    It is 1 - :func:`fano_error_lower_bound`: no adversary succeeds more often.

    Parameters
    ----------
    h_cond : float or array-like
        The conditional entropy H(S | O) in nats, in [0, log n_values].
    n_values : int
        The number of values of S, >= 2.

    Returns
    -------
    ndarray
        The largest success probability compatible with Fano's inequality, of the shape of
        ``h_cond``.

    Examples
    --------
    >>> fano_success_upper_bound([0.1, 0.5], 2).round(4)
    array([0.9795, 0.8003])
    """
    return 1 - fano_error_lower_bound(h_cond, n_values)


def dp_success_bound(distributional_success, epsilon: float, delta: float = 0.0) -> np.ndarray:
    """Upper bound on the training-set-game success against an (epsilon, delta)-DP learner.

    Any adversary's success in the training-set game is at most
    ``min(1, e^epsilon * distributional success + delta)``.

    Parameters
    ----------
    distributional_success : float or array-like
        The adversary's success in the distributional game.
    epsilon : float
        The learner's epsilon, >= 0.
    delta : float, default=0.0
        The learner's delta, in [0, 1].

    Returns
    -------
    ndarray
        The bound, of the shape of ``distributional_success``.

    Examples
    --------
    >>> float(dp_success_bound(0.4, np.log(2)))
    0.8
    >>> dp_success_bound([0.2, 0.6], epsilon=1.0).round(4)
    array([0.5437, 1.    ])
    """
    if not epsilon >= 0:
        raise ValueError(f"epsilon must be >= 0, got {epsilon}")
    if not 0 <= delta <= 1:
        raise ValueError(f"delta must lie in [0, 1], got {delta}")
    p = np.asarray(distributional_success, dtype=float)
    return np.minimum(1.0, np.exp(epsilon) * p + delta)
