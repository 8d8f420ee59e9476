"""Entropy and mutual information of discrete distributions: exact, from samples, and of a
stochastic model's output on a finite population.

All quantities are in **nats** unless ``base`` says otherwise. Every exact function is vectorised
over leading batch axes, so thousands of random channels are one call.
"""

from __future__ import annotations

import numpy as np
from scipy import special, stats

__all__ = ["check_distribution", "xlogx", "log_base", "entropy", "binary_entropy",
           "mutual_information", "channel_mutual_information", "conditional_mutual_information",
           "random_joint", "random_channel", "sample_codes", "plugin_entropy",
           "plugin_mutual_information", "knn_mutual_information", "population_weights",
           "discrete_output_mi", "value_codes", "bayes_success", "bayes_advantage",
           "leakage_summary", "discrete_output_leakage"]


def check_distribution(p, axes=-1, name="p", atol=1e-8) -> np.ndarray:
    """``p`` as a float array of probabilities summing to 1 over ``axes``, or a clear error."""
    p = np.asarray(p, dtype=float)
    if p.ndim == 0:
        raise ValueError(f"{name} must be an array of probabilities, got a scalar")
    if not np.all(np.isfinite(p)):
        raise ValueError(f"{name} has NaN or infinite entries")
    if np.any(p < -atol):
        raise ValueError(f"{name} has negative entries (min {p.min():.3g}); probabilities are >= 0")
    total = p.sum(axis=axes)
    if not np.allclose(total, 1.0, atol=1e-6):
        raise ValueError(f"{name} must sum to 1 over axes {axes}; sums range over "
                         f"[{np.min(total):.6g}, {np.max(total):.6g}] (normalise it first)")
    return np.clip(p, 0.0, None)


def xlogx(p):
    """``p log p`` elementwise, with 0 log 0 = 0."""
    return special.xlogy(p, p)


def log_base(base):
    """The divisor that turns nats into units of ``base`` (1 for nats)."""
    if base is None:
        return 1.0
    if base <= 0 or base == 1:
        raise ValueError(f"base must be positive and not 1, got {base}")
    return np.log(base)


def entropy(p, axis: int = -1, base: float | None = None) -> np.ndarray:
    """Shannon entropy ``-sum p log p`` of the distribution(s) ``p`` along ``axis`` (0 log 0 = 0).

    The one entropy of the package: the trees' exact ``I(X; Yhat)`` and the MID pruning use it too.
    """
    p = check_distribution(p, axis)
    return -xlogx(p).sum(axis=axis) / log_base(base)


def binary_entropy(q, base: float | None = None) -> np.ndarray:
    """h(q) = -q log q - (1 - q) log(1 - q)."""
    q = np.asarray(q, dtype=float)
    if np.any((q < 0) | (q > 1)):
        raise ValueError("binary_entropy needs q in [0, 1]")
    return -(xlogx(q) + xlogx(1 - q)) / log_base(base)


def mutual_information(joint, base: float | None = None) -> np.ndarray:
    """I(X; Y) of a joint table ``joint[..., x, y]`` (batch axes first):
    sum p(x,y) log p(x,y) / (p(x) p(y)). Exactly 0 for a product table, up to rounding."""
    p = check_distribution(joint, (-2, -1), "joint")
    px = p.sum(axis=-1, keepdims=True)
    py = p.sum(axis=-2, keepdims=True)
    pos = p > 0
    safe = lambda q: np.log(np.where(pos, q, 1.0))  # separate logs: px * py may underflow
    terms = np.where(pos, p * (safe(p) - safe(px) - safe(py)), 0.0)
    return np.maximum(terms.sum(axis=(-2, -1)), 0.0) / log_base(base)


def channel_mutual_information(p_x, channel, base: float | None = None) -> np.ndarray:
    """I(X; Y) for input distribution ``p_x[..., x]`` and channel ``channel[..., x, y] = P(y | x)``."""
    p_x = check_distribution(p_x, -1, "p_x")
    channel = check_distribution(channel, -1, "channel")
    if channel.shape[-2] != p_x.shape[-1]:
        raise ValueError(f"channel has {channel.shape[-2]} input rows but p_x has {p_x.shape[-1]} entries")
    return mutual_information(p_x[..., :, None] * channel, base)


def conditional_mutual_information(joint, base: float | None = None) -> np.ndarray:
    """I(S; O | A) of ``joint[..., s, a, o]``: sum_a p(a) I(S; O | A = a)
    = sum p(s,a,o) log p(s,a,o) p(a) / (p(s,a) p(a,o))."""
    p = check_distribution(joint, (-3, -2, -1), "joint")
    psa = p.sum(axis=-1, keepdims=True)
    pao = p.sum(axis=-3, keepdims=True)
    pa = p.sum(axis=(-3, -1), keepdims=True)
    pos = p > 0
    safe = lambda q: np.log(np.where(pos, q, 1.0))
    terms = np.where(pos, p * (safe(p) + safe(pa) - safe(psa) - safe(pao)), 0.0)
    return np.maximum(terms.sum(axis=(-3, -2, -1)), 0.0) / log_base(base)


def random_joint(shape, size: int, rng, concentration: float = 1.0) -> np.ndarray:
    """``size`` random joint distributions of the given shape (Dirichlet(concentration) on the
    flattened table), of shape ``(size, *shape)``."""
    rng = np.random.default_rng(rng)
    k = int(np.prod(shape))
    return rng.dirichlet(np.full(k, concentration), size=size).reshape((size, *shape))


def random_channel(n_in: int, n_out: int, size: int, rng, concentration: float = 1.0) -> np.ndarray:
    """``size`` random channel matrices (n_in, n_out), each row Dirichlet(concentration)."""
    rng = np.random.default_rng(rng)
    return rng.dirichlet(np.full(n_out, concentration), size=(size, n_in))



def sample_codes(x, name):
    """Integer codes of a non-empty 1-D array of discrete samples (or of the rows of a 2-D one)."""
    x = np.asarray(x)
    if x.ndim == 2:
        _, x = np.unique(x, axis=0, return_inverse=True)
    if x.ndim != 1 or len(x) == 0:
        raise ValueError(f"{name} must be a non-empty 1-D array of discrete values (or 2-D rows)")
    _, codes = np.unique(x, return_inverse=True)
    return codes.ravel()


def plugin_entropy(x, correction: str | None = "miller-madow") -> float:
    """Plug-in entropy of discrete samples; ``correction="miller-madow"`` adds (m - 1) / (2n),
    m the number of observed values, which removes the leading O(1/n) bias."""
    codes = sample_codes(x, "x")
    counts = np.bincount(codes)
    h = stats.entropy(counts)
    if correction == "miller-madow":
        h += (np.count_nonzero(counts) - 1) / (2 * len(codes))
    elif correction is not None:
        raise ValueError(f"correction must be 'miller-madow' or None, got {correction!r}")
    return float(h)


def plugin_mutual_information(x, y, correction: str | None = "miller-madow") -> float:
    """Plug-in I(X; Y) of paired discrete samples (scikit-learn's ``mutual_info_score``); with
    ``correction="miller-madow"`` the entropies' bias corrections give
    I + ((m_x - 1) + (m_y - 1) - (m_xy - 1)) / (2n), m the observed support sizes, floored at 0
    (for independent X, Y with full support this removes the plug-in bias (m_x-1)(m_y-1)/(2n))."""
    from sklearn.metrics import mutual_info_score

    cx, cy = sample_codes(x, "x"), sample_codes(y, "y")
    if len(cx) != len(cy):
        raise ValueError(f"x and y must have the same length, got {len(cx)} and {len(cy)}")
    mi = mutual_info_score(cx, cy)
    if correction == "miller-madow":
        n = len(cx)
        mx, my = len(np.unique(cx)), len(np.unique(cy))
        mxy = len(np.unique(cx * (cy.max() + 1) + cy))
        mi += ((mx - 1) + (my - 1) - (mxy - 1)) / (2 * n)
    elif correction is not None:
        raise ValueError(f"correction must be 'miller-madow' or None, got {correction!r}")
    return float(max(mi, 0.0))


def knn_mutual_information(x, y, *, discrete_y: bool = False, n_neighbors: int = 3,
                           seed: int = 0) -> float:
    """k-NN (Kraskov-Stoegbauer-Grassberger / Ross) estimate of I(X; Y) for a continuous scalar
    ``x`` and a continuous or discrete ``y`` (scikit-learn's ``mutual_info_regression`` /
    ``mutual_info_classif``)."""
    from sklearn.feature_selection import mutual_info_classif, mutual_info_regression

    x = np.asarray(x, dtype=float).reshape(-1, 1)
    y = np.asarray(y).ravel()
    if len(x) != len(y):
        raise ValueError(f"x and y must have the same length, got {len(x)} and {len(y)}")
    if discrete_y:
        return float(mutual_info_classif(x, y, discrete_features=False, n_neighbors=n_neighbors,
                                         random_state=seed)[0])
    return float(mutual_info_regression(x, y.astype(float), discrete_features=False,
                                        n_neighbors=n_neighbors, random_state=seed)[0])




def population_weights(n, weights):
    """Record probabilities: uniform when ``weights`` is None, else ``weights`` normalised."""
    if weights is None:
        return np.full(n, 1.0 / n)
    w = np.asarray(weights, dtype=float)
    if w.shape != (n,) or np.any(w < 0) or w.sum() <= 0:
        raise ValueError(f"weights must be {n} non-negative numbers with a positive sum")
    return w / w.sum()


def discrete_output_mi(probs, weights=None) -> float:
    """Exact I(X; Yhat) of a stochastic classifier whose output on record i is drawn from
    ``probs[i]`` (e.g. ``predict_proba``), X uniform over the records (or ``weights``):
    H(sum_i w_i p_i) - sum_i w_i H(p_i). Records with identical inputs must be merged (or
    weighted) for X to be the record's features rather than its index."""
    p = check_distribution(probs, -1, "probs")
    if p.ndim != 2:
        raise ValueError("probs must have shape (n_records, n_outputs)")
    w = population_weights(len(p), weights)
    return float(max(stats.entropy(w @ p) - w @ stats.entropy(p, axis=1), 0.0))



def value_codes(x, n, name):
    """Integer codes of ``n`` discrete values (rows of a 2-D array count as values) and their number."""
    if x is None:
        return np.zeros(n, dtype=int), 1
    x = np.asarray(x)
    if x.shape[0] != n:
        raise ValueError(f"{name} must have one entry per record ({n}), got {x.shape[0]}")
    if x.ndim == 2:
        _, c = np.unique(x, axis=0, return_inverse=True)
    else:
        _, c = np.unique(x, return_inverse=True)
    c = c.ravel()
    return c, int(c.max()) + 1


def bayes_success(joint) -> np.ndarray:
    """Success probability of the Bayes-optimal guess of a secret ``S`` from an observation ``O``.

    ``joint[..., s, o] = P(S = s, O = o)`` (leading axes are a batch; flatten several observed
    variables into the last axis). Returns ``sum_o max_s p(s, o)`` per batch element.
    """
    p = np.asarray(joint, dtype=float)
    if p.ndim < 2:
        raise ValueError("joint must have at least two axes (..., n_s, n_obs)")
    if np.any(p < -1e-12):
        raise ValueError("joint has negative entries")
    return p.max(axis=-2).sum(axis=-1)


def bayes_advantage(joint) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Exact (success, baseline, advantage) of the Bayes-optimal adversary for a joint
    ``p[..., s, a, o]`` of secret ``S``, auxiliary knowledge ``A`` and model output ``O``.

    success = sum_{a,o} max_s p(s, a, o); baseline = sum_a max_s p(s, a) (the best guess from
    ``A`` alone); advantage = success - baseline. A 2-D ``p[..., s, o]`` (no auxiliary
    knowledge beyond the prior) is accepted too when given as ``p[..., s, 1, o]``.
    """
    p = np.asarray(joint, dtype=float)
    if p.ndim < 3:
        raise ValueError("joint must have shape (..., n_s, n_a, n_o); add a length-1 axis for A")
    success = p.max(axis=-3).sum(axis=(-2, -1))
    baseline = p.sum(axis=-1).max(axis=-2).sum(axis=-1)
    return success, baseline, success - baseline



def leakage_summary(p_sao, mi_x) -> dict:
    """Exact Bayes success, baseline, advantage and I(S; O | A) of ``p[s, a, o]``, with I(X; O)."""
    success, baseline, advantage = bayes_advantage(p_sao)
    return {"success": float(success), "baseline": float(baseline), "advantage": float(advantage),
            "cmi": float(conditional_mutual_information(p_sao)), "mi_x": float(mi_x)}


def discrete_output_leakage(probs, secret, aux=None, x=None, weights=None) -> dict:
    """Exact leakage of a stochastic classifier on a finite population.

    Record i (probability ``weights[i]``, default uniform) has secret ``secret[i]``, auxiliary
    knowledge ``aux[i]`` (default: none) and model input ``x[i]`` (default: each record its own
    input; give the encoded rows so that records with equal inputs are merged); the model
    outputs a label drawn from ``probs[i]``. Returns the Bayes adversary's ``success`` (it sees
    aux and the output), the no-model ``baseline`` (aux only), ``advantage``,
    ``cmi`` = I(S; Yhat | A) and ``mi_x`` = I(X; Yhat), all exact.
    """
    p = check_distribution(probs, -1, "probs")
    if p.ndim != 2:
        raise ValueError("probs must have shape (n_records, n_outputs)")
    n = len(p)
    w = population_weights(n, weights)
    s, ks = value_codes(secret, n, "secret")
    a, ka = value_codes(aux, n, "aux")
    joint = np.zeros((ks, ka, p.shape[1]))
    np.add.at(joint, (s, a), w[:, None] * p)
    xc, kx = value_codes(x, n, "x") if x is not None else (np.arange(n), n)
    p_xo = np.zeros((kx, p.shape[1]))
    np.add.at(p_xo, xc, w[:, None] * p)
    return leakage_summary(joint, mutual_information(p_xo))
