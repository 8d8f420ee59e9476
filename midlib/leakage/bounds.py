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


def pinsker_bound(mi) -> np.ndarray:
    """Upper bound sqrt(I / 2) on the advantage of any adversary whose observation carries
    mutual information ``mi`` (nats) about the secret given its auxiliary knowledge."""
    mi = np.asarray(mi, dtype=float)
    if np.any(mi < -1e-12):
        raise ValueError("mutual information must be >= 0")
    return np.sqrt(np.maximum(mi, 0.0) / 2)


def fano_error_lower_bound(h_cond, n_values: int) -> np.ndarray:
    """Fano: any guess of S (``n_values`` values) from O errs with probability P_e satisfying
    h(P_e) + P_e log(n_values - 1) >= H(S | O) (nats). Returns the smallest such P_e (the
    function is increasing on [0, 1 - 1/n_values]; solved by bisection, vectorised)."""
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
    """1 - :func:`fano_error_lower_bound`: no adversary succeeds more often."""
    return 1 - fano_error_lower_bound(h_cond, n_values)


def dp_success_bound(distributional_success, epsilon: float, delta: float = 0.0) -> np.ndarray:
    """Training-set-game success of any adversary against an (epsilon, delta)-DP learner is at
    most min(1, e^epsilon * distributional success + delta)."""
    if not epsilon >= 0:
        raise ValueError(f"epsilon must be >= 0, got {epsilon}")
    if not 0 <= delta <= 1:
        raise ValueError(f"delta must lie in [0, 1], got {delta}")
    p = np.asarray(distributional_success, dtype=float)
    return np.minimum(1.0, np.exp(epsilon) * p + delta)
