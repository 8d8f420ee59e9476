"""Entropy, mutual information and the bounds that tie them to an adversary's advantage.

All quantities are in **nats** (natural logarithms) unless ``base`` says otherwise.

- Exact, for discrete distributions: :func:`entropy`, :func:`mutual_information` (a joint table
  ``p[..., x, y]``), :func:`channel_mutual_information` (an input distribution and a channel
  matrix), :func:`conditional_mutual_information` (``p[..., s, a, o]``). Every function is
  vectorised over leading batch axes, so thousands of random channels are one call.
- Gaussian closed forms: :func:`gaussian_entropy`, :func:`gaussian_mutual_information`,
  :func:`linear_gaussian_mi` (``Yhat = w'X + sigma * xi``) and its inverse
  :func:`sigma_for_mi` (the noise that caps ``I(X; Yhat)`` at ``C`` for Gaussian ``X``, an upper
  bound for any ``X`` of the same covariance).
- Estimates from samples: :func:`plugin_entropy` and :func:`plugin_mutual_information` (with the
  Miller-Madow bias correction), :func:`knn_mutual_information` (scikit-learn's k-NN estimators).
- For a stochastic model on a data set (``X`` uniform over its records, or weighted):
  :func:`discrete_output_mi` (exact, from output probabilities) and
  :func:`gaussian_output_mi` (Monte Carlo, for Gaussian output noise).
- Exact leakage of a stochastic model on a finite population (X uniform over records, or
  weighted): :func:`discrete_output_leakage` and :func:`gaussian_output_leakage` give the Bayes
  adversary's success, its no-model baseline and advantage, I(S; Yhat | A) and I(X; Yhat).
- :class:`GaussianNoiseRegressor`: a linear regressor with Gaussian output noise chosen so that
  the Gaussian bound on I(X; Yhat) equals a cap C (a model whose leakage is capped by design).
- Bounds: :func:`pinsker_bound` (advantage <= sqrt(I / 2)), :func:`fano_error_lower_bound`,
  :func:`dp_success_bound` (training-set success <= e^eps * distributional success + delta).
"""

from __future__ import annotations

import numpy as np
from scipy import special, stats

__all__ = [
    "entropy", "binary_entropy", "mutual_information", "channel_mutual_information",
    "conditional_mutual_information", "random_joint", "random_channel",
    "gaussian_entropy", "gaussian_mutual_information", "linear_gaussian_mi", "sigma_for_mi",
    "plugin_entropy", "plugin_mutual_information", "knn_mutual_information",
    "discrete_output_mi", "gaussian_output_mi",
    "pinsker_bound", "fano_error_lower_bound", "fano_success_upper_bound", "dp_success_bound",
    "GaussianNoiseRegressor", "discrete_output_leakage", "gaussian_output_leakage",
]


# --------------------------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------------------------

def _distribution(p, axes=-1, name="p", atol=1e-8) -> np.ndarray:
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


def _xlogx(p):
    return special.xlogy(p, p)


def _log(base):
    if base is None:
        return 1.0
    if base <= 0 or base == 1:
        raise ValueError(f"base must be positive and not 1, got {base}")
    return np.log(base)


# --------------------------------------------------------------------------------------------
# Exact discrete quantities
# --------------------------------------------------------------------------------------------

def entropy(p, axis: int = -1, base: float | None = None) -> np.ndarray:
    """Shannon entropy of the distribution(s) ``p`` along ``axis`` (scipy.stats.entropy)."""
    p = _distribution(p, axis)
    return stats.entropy(p, axis=axis, base=base)


def binary_entropy(q, base: float | None = None) -> np.ndarray:
    """h(q) = -q log q - (1 - q) log(1 - q)."""
    q = np.asarray(q, dtype=float)
    if np.any((q < 0) | (q > 1)):
        raise ValueError("binary_entropy needs q in [0, 1]")
    return -(_xlogx(q) + _xlogx(1 - q)) / _log(base)


def mutual_information(joint, base: float | None = None) -> np.ndarray:
    """I(X; Y) of a joint table ``joint[..., x, y]`` (batch axes first):
    sum p(x,y) log p(x,y) / (p(x) p(y)). Exactly 0 for a product table, up to rounding."""
    p = _distribution(joint, (-2, -1), "joint")
    px = p.sum(axis=-1, keepdims=True)
    py = p.sum(axis=-2, keepdims=True)
    pos = p > 0
    safe = lambda q: np.log(np.where(pos, q, 1.0))  # separate logs: px * py may underflow
    terms = np.where(pos, p * (safe(p) - safe(px) - safe(py)), 0.0)
    return np.maximum(terms.sum(axis=(-2, -1)), 0.0) / _log(base)


def channel_mutual_information(p_x, channel, base: float | None = None) -> np.ndarray:
    """I(X; Y) for input distribution ``p_x[..., x]`` and channel ``channel[..., x, y] = P(y | x)``."""
    p_x = _distribution(p_x, -1, "p_x")
    channel = _distribution(channel, -1, "channel")
    if channel.shape[-2] != p_x.shape[-1]:
        raise ValueError(f"channel has {channel.shape[-2]} input rows but p_x has {p_x.shape[-1]} entries")
    return mutual_information(p_x[..., :, None] * channel, base)


def conditional_mutual_information(joint, base: float | None = None) -> np.ndarray:
    """I(S; O | A) of ``joint[..., s, a, o]``: sum_a p(a) I(S; O | A = a)
    = sum p(s,a,o) log p(s,a,o) p(a) / (p(s,a) p(a,o))."""
    p = _distribution(joint, (-3, -2, -1), "joint")
    psa = p.sum(axis=-1, keepdims=True)
    pao = p.sum(axis=-3, keepdims=True)
    pa = p.sum(axis=(-3, -1), keepdims=True)
    pos = p > 0
    safe = lambda q: np.log(np.where(pos, q, 1.0))
    terms = np.where(pos, p * (safe(p) + safe(pa) - safe(psa) - safe(pao)), 0.0)
    return np.maximum(terms.sum(axis=(-3, -2, -1)), 0.0) / _log(base)


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


# --------------------------------------------------------------------------------------------
# Gaussian closed forms
# --------------------------------------------------------------------------------------------

def _cov(cov, name="cov"):
    cov = np.atleast_2d(np.asarray(cov, dtype=float))
    if cov.shape[0] != cov.shape[1] or not np.allclose(cov, cov.T):
        raise ValueError(f"{name} must be a symmetric square matrix, got shape {cov.shape}")
    return cov


def gaussian_entropy(cov) -> float:
    """Differential entropy of N(mu, cov): (1/2) log det(2 pi e cov)."""
    cov = _cov(cov)
    sign, logdet = np.linalg.slogdet(2 * np.pi * np.e * cov)
    if sign <= 0:
        raise ValueError("cov must be positive definite")
    return 0.5 * logdet


def gaussian_mutual_information(cov, dim_x: int) -> float:
    """I(X; Y) of a jointly Gaussian (X, Y) with covariance ``cov`` of (X, Y), X the first
    ``dim_x`` coordinates: (1/2) log(det S_xx det S_yy / det S)."""
    cov = _cov(cov)
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
    cov_x = _cov(cov_x, "cov_x")
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
    var = float(w @ _cov(cov_x, "cov_x") @ w)
    if var <= 0:
        return 1e-12
    return float(np.sqrt(var / np.expm1(2 * cap)))


# --------------------------------------------------------------------------------------------
# Estimates from samples
# --------------------------------------------------------------------------------------------

def _labels(x, name):
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
    codes = _labels(x, "x")
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

    cx, cy = _labels(x, "x"), _labels(y, "y")
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


# --------------------------------------------------------------------------------------------
# I(X; Yhat) for a stochastic model on a data set
# --------------------------------------------------------------------------------------------

def _weights(n, weights):
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
    p = _distribution(probs, -1, "probs")
    if p.ndim != 2:
        raise ValueError("probs must have shape (n_records, n_outputs)")
    w = _weights(len(p), weights)
    return float(max(stats.entropy(w @ p) - w @ stats.entropy(p, axis=1), 0.0))


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
    w = _weights(len(mu), weights)
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


def _codes(x, n, name):
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


def _leakage_summary(p_sao, mi_x):
    from .game import bayes_advantage

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
    p = _distribution(probs, -1, "probs")
    if p.ndim != 2:
        raise ValueError("probs must have shape (n_records, n_outputs)")
    n = len(p)
    w = _weights(n, weights)
    s, ks = _codes(secret, n, "secret")
    a, ka = _codes(aux, n, "aux")
    joint = np.zeros((ks, ka, p.shape[1]))
    np.add.at(joint, (s, a), w[:, None] * p)
    xc, kx = _codes(x, n, "x") if x is not None else (np.arange(n), n)
    p_xo = np.zeros((kx, p.shape[1]))
    np.add.at(p_xo, xc, w[:, None] * p)
    return _leakage_summary(joint, mutual_information(p_xo))


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
    w = _weights(n, weights)
    s, ks = _codes(secret, n, "secret")
    a, ka = _codes(aux, n, "aux")
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
    return _leakage_summary(dens, max(h_out - h_noise, 0.0))


# --------------------------------------------------------------------------------------------
# Bounds
# --------------------------------------------------------------------------------------------

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


# --------------------------------------------------------------------------------------------
# A model whose leakage is capped by construction
# --------------------------------------------------------------------------------------------

class GaussianNoiseRegressor:
    """A linear regressor with Gaussian output noise: ``predict(X) = w'x + b + sigma * xi``.

    The base ``estimator`` (default: ordinary least squares) is fitted, then ``sigma`` is set
    so that (1/2) log(1 + w' Sigma w / sigma^2) = ``mi_cap`` (nats), Sigma the covariance of the
    training features: for any input distribution with that covariance, I(X; Yhat) <= mi_cap.
    Alternatively give ``sigma`` directly. Same interface as
    ``midlib.defenses.mid_linear.MIDLinearRegression``: ``coef_``, ``intercept_``,
    ``noise_scale_``, ``predict_mean``, ``predict`` (fresh noise per call),
    ``information_bound(X=None)``.
    """

    def __init__(self, mi_cap: float | None = None, sigma: float | None = None, estimator=None,
                 random_state=None):
        self.mi_cap = mi_cap
        self.sigma = sigma
        self.estimator = estimator
        self.random_state = random_state

    def fit(self, X, y):
        from sklearn.base import clone
        from sklearn.linear_model import LinearRegression

        if (self.mi_cap is None) == (self.sigma is None):
            raise ValueError("give exactly one of mi_cap (nats) and sigma")
        if self.mi_cap is not None and not self.mi_cap > 0:
            raise ValueError(f"mi_cap must be positive, got {self.mi_cap}")
        if self.sigma is not None and not self.sigma > 0:
            raise ValueError(f"sigma must be positive, got {self.sigma}")
        X = np.asarray(X, dtype=float)
        y = np.asarray(y, dtype=float)
        if X.ndim != 2 or y.shape != (X.shape[0],):
            raise ValueError(f"X must be (n, d) and y (n,), got {X.shape} and {y.shape}")
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
        self.rng_ = np.random.default_rng(self.random_state)
        return self

    def predict_mean(self, X):
        return np.asarray(X, dtype=float) @ self.coef_ + self.intercept_

    def predict(self, X):
        mean = self.predict_mean(X)
        return mean + self.noise_scale_ * self.rng_.standard_normal(mean.shape)

    def information_bound(self, X=None) -> float:
        """(1/2) log(1 + w' Sigma w / sigma^2), Sigma the training features' covariance or that
        of ``X``."""
        cov = self.feature_covariance_ if X is None else np.atleast_2d(
            np.cov(np.asarray(X, dtype=float), rowvar=False, bias=True))
        return float(linear_gaussian_mi(self.coef_, cov, self.noise_scale_))
