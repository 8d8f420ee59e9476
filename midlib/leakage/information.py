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
    """Validate an array of probabilities that sums to 1 over some axes.

    Parameters
    ----------
    p : array-like
        The probabilities, at least one-dimensional.
    axes : int or tuple of int, default=-1
        The axes over which ``p`` must sum to 1 (the others are batch axes).
    name : str, default="p"
        The argument's name, used in the error messages.
    atol : float, default=1e-8
        Entries down to ``-atol`` count as rounding errors of 0 (and are clipped to 0).

    Returns
    -------
    ndarray
        ``p`` as a float array, with tiny negative entries clipped to 0.

    Raises
    ------
    ValueError
        For a scalar, NaN or infinite entries, negative entries or sums other than 1, with a
        message that says what is wrong.

    Examples
    --------
    >>> check_distribution([0.25, 0.75])
    array([0.25, 0.75])
    """
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
    """Compute ``p log p`` elementwise, with 0 log 0 = 0.

    Parameters
    ----------
    p : array-like
        Non-negative numbers.

    Returns
    -------
    ndarray or float
        ``p log p`` (natural logarithm), 0 where ``p`` is 0.

    Examples
    --------
    >>> xlogx(np.array([0.0, 1.0]))
    array([0., 0.])
    """
    return special.xlogy(p, p)


def log_base(base):
    """Return the divisor that turns nats into units of ``base``.

    Parameters
    ----------
    base : float or None
        The logarithm's base (2 for bits); None means nats.

    Returns
    -------
    float
        ``log(base)``, or 1 for nats.

    Raises
    ------
    ValueError
        If ``base`` is not positive or equals 1.

    Examples
    --------
    >>> log_base(None)
    1.0
    >>> round(float(log_base(2)), 4)
    0.6931
    """
    if base is None:
        return 1.0
    if base <= 0 or base == 1:
        raise ValueError(f"base must be positive and not 1, got {base}")
    return np.log(base)


def entropy(p, axis: int = -1, base: float | None = None) -> np.ndarray:
    """Shannon entropy of the distribution(s) ``p`` along ``axis``.

    ``H(p) = -sum p log p``, with 0 log 0 = 0. The one entropy of the package: the trees' exact
    ``I(X; Yhat)`` and the MID pruning use it too.

    Parameters
    ----------
    p : array-like
        Probabilities summing to 1 along ``axis``; the other axes are a batch.
    axis : int, default=-1
        The axis of the outcomes.
    base : float, default=None
        The logarithm's base (2 for bits); None means nats.

    Returns
    -------
    ndarray
        The entropies, of the shape of ``p`` without ``axis`` (a 0-d array for one distribution).

    Examples
    --------
    >>> float(entropy([0.5, 0.5], base=2))
    1.0
    >>> entropy([[0.5, 0.5], [0.25, 0.75]], base=2).round(3)
    array([1.   , 0.811])
    """
    p = check_distribution(p, axis)
    return -xlogx(p).sum(axis=axis) / log_base(base)


def binary_entropy(q, base: float | None = None) -> np.ndarray:
    """Binary entropy ``h(q) = -q log q - (1 - q) log(1 - q)``.

    Parameters
    ----------
    q : array-like
        Probabilities in [0, 1] (elementwise).
    base : float, default=None
        The logarithm's base (2 for bits); None means nats.

    Returns
    -------
    ndarray
        ``h(q)`` elementwise, of the shape of ``q``.

    Examples
    --------
    >>> float(binary_entropy(0.5, base=2))
    1.0
    >>> binary_entropy([0.5, 0.11], base=2).round(2)
    array([1. , 0.5])
    """
    q = np.asarray(q, dtype=float)
    if np.any((q < 0) | (q > 1)):
        raise ValueError("binary_entropy needs q in [0, 1]")
    return -(xlogx(q) + xlogx(1 - q)) / log_base(base)


def mutual_information(joint, base: float | None = None) -> np.ndarray:
    """Mutual information I(X; Y) of a joint table ``joint[..., x, y]``.

    ``I(X; Y) = sum p(x,y) log p(x,y) / (p(x) p(y))``, with the batch axes first. It is exactly 0
    for a product table, up to rounding.

    Parameters
    ----------
    joint : array-like of shape (..., n_x, n_y)
        Joint probabilities, summing to 1 over the last two axes.
    base : float, default=None
        The logarithm's base (2 for bits); None means nats.

    Returns
    -------
    ndarray
        I(X; Y) for each table of the batch (a 0-d array for one table).

    Examples
    --------
    >>> float(mutual_information([[0.5, 0.0], [0.0, 0.5]], base=2))
    1.0
    >>> float(mutual_information([[0.25, 0.25], [0.25, 0.25]]))
    0.0
    """
    p = check_distribution(joint, (-2, -1), "joint")
    px = p.sum(axis=-1, keepdims=True)
    py = p.sum(axis=-2, keepdims=True)
    pos = p > 0
    safe = lambda q: np.log(np.where(pos, q, 1.0))  # separate logs: px * py may underflow
    terms = np.where(pos, p * (safe(p) - safe(px) - safe(py)), 0.0)
    return np.maximum(terms.sum(axis=(-2, -1)), 0.0) / log_base(base)


def channel_mutual_information(p_x, channel, base: float | None = None) -> np.ndarray:
    """Mutual information I(X; Y) of an input distribution and a channel.

    Parameters
    ----------
    p_x : array-like of shape (..., n_x)
        The input distribution ``p_x[..., x] = P(X = x)``.
    channel : array-like of shape (..., n_x, n_y)
        The channel ``channel[..., x, y] = P(y | x)``, each row summing to 1.
    base : float, default=None
        The logarithm's base (2 for bits); None means nats.

    Returns
    -------
    ndarray
        I(X; Y) of the joint ``p_x[x] channel[x, y]``, for each element of the batch.

    Examples
    --------
    >>> float(channel_mutual_information([0.5, 0.5], np.eye(2), base=2))
    1.0
    >>> bsc = [[0.9, 0.1], [0.1, 0.9]]  # binary symmetric channel, capacity 1 - h(0.1) bits
    >>> round(float(channel_mutual_information([0.5, 0.5], bsc, base=2)), 4)
    0.531
    """
    p_x = check_distribution(p_x, -1, "p_x")
    channel = check_distribution(channel, -1, "channel")
    if channel.shape[-2] != p_x.shape[-1]:
        raise ValueError(f"channel has {channel.shape[-2]} input rows but p_x has {p_x.shape[-1]} entries")
    return mutual_information(p_x[..., :, None] * channel, base)


def conditional_mutual_information(joint, base: float | None = None) -> np.ndarray:
    """Conditional mutual information I(S; O | A) of a joint table ``joint[..., s, a, o]``.

    ``I(S; O | A) = sum_a p(a) I(S; O | A = a)
    = sum p(s,a,o) log p(s,a,o) p(a) / (p(s,a) p(a,o))``.

    Parameters
    ----------
    joint : array-like of shape (..., n_s, n_a, n_o)
        Joint probabilities, summing to 1 over the last three axes.
    base : float, default=None
        The logarithm's base (2 for bits); None means nats.

    Returns
    -------
    ndarray
        I(S; O | A) for each table of the batch (a 0-d array for one table).

    Examples
    --------
    >>> p = np.zeros((2, 2, 2))
    >>> p[0, :, 0] = p[1, :, 1] = 0.25  # O = S, A independent of both
    >>> round(float(conditional_mutual_information(p, base=2)), 6)
    1.0
    """
    p = check_distribution(joint, (-3, -2, -1), "joint")
    psa = p.sum(axis=-1, keepdims=True)
    pao = p.sum(axis=-3, keepdims=True)
    pa = p.sum(axis=(-3, -1), keepdims=True)
    pos = p > 0
    safe = lambda q: np.log(np.where(pos, q, 1.0))
    terms = np.where(pos, p * (safe(p) + safe(pa) - safe(psa) - safe(pao)), 0.0)
    return np.maximum(terms.sum(axis=(-3, -2, -1)), 0.0) / log_base(base)


def random_joint(shape, size: int, rng, concentration: float = 1.0) -> np.ndarray:
    """Draw random joint distributions of a given shape.

    Each table is Dirichlet(concentration) on the flattened table.

    Parameters
    ----------
    shape : tuple of int
        The shape of one table.
    size : int
        The number of tables.
    rng : None, int or numpy.random.Generator
        Seed or generator.
    concentration : float, default=1.0
        The Dirichlet parameter of every cell (1: uniform on the simplex).

    Returns
    -------
    ndarray of shape (size, ...)
        The tables, of shape ``(size,) + tuple(shape)``, each summing to 1.

    Examples
    --------
    >>> p = random_joint((2, 3), size=5, rng=0)
    >>> p.shape
    (5, 2, 3)
    >>> bool(np.allclose(p.sum(axis=(1, 2)), 1.0))
    True
    """
    rng = np.random.default_rng(rng)
    k = int(np.prod(shape))
    return rng.dirichlet(np.full(k, concentration), size=size).reshape((size, *shape))


def random_channel(n_in: int, n_out: int, size: int, rng, concentration: float = 1.0) -> np.ndarray:
    """Draw random channel matrices, each row Dirichlet(concentration).

    Parameters
    ----------
    n_in : int
        The number of inputs (rows).
    n_out : int
        The number of outputs (columns).
    size : int
        The number of channels.
    rng : None, int or numpy.random.Generator
        Seed or generator.
    concentration : float, default=1.0
        The Dirichlet parameter of every entry of a row.

    Returns
    -------
    ndarray of shape (size, n_in, n_out)
        The channels, each row summing to 1.

    Examples
    --------
    >>> c = random_channel(2, 3, size=4, rng=0)
    >>> c.shape
    (4, 2, 3)
    >>> bool(np.allclose(c.sum(axis=-1), 1.0))
    True
    """
    rng = np.random.default_rng(rng)
    return rng.dirichlet(np.full(n_out, concentration), size=(size, n_in))



def sample_codes(x, name):
    """Integer codes of a non-empty 1-D array of discrete samples (or of the rows of a 2-D one).

    Parameters
    ----------
    x : array-like of shape (n,) or (n, k)
        The samples; the rows of a 2-D array count as values.
    name : str
        The argument's name, used in the error message.

    Returns
    -------
    ndarray of shape (n,)
        Codes 0, 1, ... in the sorted order of the distinct values.

    Raises
    ------
    ValueError
        If ``x`` is empty or has more than two axes.

    Examples
    --------
    >>> sample_codes(np.array(["b", "a", "b"]), "x")
    array([1, 0, 1])
    """
    x = np.asarray(x)
    if x.ndim == 2:
        _, x = np.unique(x, axis=0, return_inverse=True)
    if x.ndim != 1 or len(x) == 0:
        raise ValueError(f"{name} must be a non-empty 1-D array of discrete values (or 2-D rows)")
    _, codes = np.unique(x, return_inverse=True)
    return codes.ravel()


def plugin_entropy(x, correction: str | None = "miller-madow") -> float:
    """Plug-in entropy of discrete samples, in nats.

    With ``correction="miller-madow"`` it adds (m - 1) / (2n), m the number of observed values,
    which removes the leading O(1/n) bias.

    Parameters
    ----------
    x : array-like of shape (n,) or (n, k)
        The samples (the rows of a 2-D array count as values).
    correction : {"miller-madow", None}, default="miller-madow"
        The bias correction, or None for the plain plug-in estimate.

    Returns
    -------
    float
        The estimated entropy in nats.

    Examples
    --------
    >>> x = [0, 1, 0, 1]
    >>> round(plugin_entropy(x, correction=None), 4)  # log 2
    0.6931
    >>> round(plugin_entropy(x), 4)  # + (2 - 1) / (2 * 4)
    0.8181
    """
    codes = sample_codes(x, "x")
    counts = np.bincount(codes)
    h = stats.entropy(counts)
    if correction == "miller-madow":
        h += (np.count_nonzero(counts) - 1) / (2 * len(codes))
    elif correction is not None:
        raise ValueError(f"correction must be 'miller-madow' or None, got {correction!r}")
    return float(h)


def plugin_mutual_information(x, y, correction: str | None = "miller-madow") -> float:
    """Plug-in I(X; Y) of paired discrete samples, in nats.

    The estimate is scikit-learn's ``mutual_info_score``. With ``correction="miller-madow"`` the
    entropies' bias corrections give I + ((m_x - 1) + (m_y - 1) - (m_xy - 1)) / (2n), m the
    observed support sizes, floored at 0 (for independent X, Y with full support this removes the
    plug-in bias (m_x - 1)(m_y - 1) / (2n)).

    Parameters
    ----------
    x : array-like of shape (n,) or (n, k)
        Samples of X (the rows of a 2-D array count as values).
    y : array-like of shape (n,) or (n, k)
        Samples of Y, paired with ``x``.
    correction : {"miller-madow", None}, default="miller-madow"
        The bias correction, or None for the plain plug-in estimate.

    Returns
    -------
    float
        The estimated mutual information in nats, >= 0.

    Examples
    --------
    >>> x = [0, 1, 0, 1]
    >>> round(plugin_mutual_information(x, x, correction=None), 4)  # log 2
    0.6931
    >>> round(plugin_mutual_information(x, x), 4)  # + (1 + 1 - 1) / 8
    0.8181
    """
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
    """k-NN estimate of I(X; Y) for a continuous scalar ``x``, in nats.

    The Kraskov-Stoegbauer-Grassberger estimator for a continuous ``y``, Ross's for a discrete
    one (scikit-learn's ``mutual_info_regression`` / ``mutual_info_classif``).

    Parameters
    ----------
    x : array-like of shape (n,)
        Samples of the continuous X.
    y : array-like of shape (n,)
        Samples of Y, paired with ``x``.
    discrete_y : bool, default=False
        Whether ``y`` is discrete (Ross's estimator) rather than continuous (KSG).
    n_neighbors : int, default=3
        The number of neighbours k.
    seed : int, default=0
        Seeds the small noise scikit-learn adds to break ties.

    Returns
    -------
    float
        The estimated mutual information in nats.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=200)
    >>> knn_mutual_information(x, x + rng.normal(size=200)) > 0.1
    True
    >>> round(knn_mutual_information(x, rng.normal(size=200)), 1)
    0.0
    """
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
    """Record probabilities: uniform when ``weights`` is None, else ``weights`` normalised.

    Parameters
    ----------
    n : int
        The number of records.
    weights : array-like of shape (n,) or None
        Non-negative weights with a positive sum, or None for uniform.

    Returns
    -------
    ndarray of shape (n,)
        Probabilities summing to 1.

    Raises
    ------
    ValueError
        For weights of the wrong shape, negative ones or a zero sum.

    Examples
    --------
    >>> population_weights(2, [1, 3])
    array([0.25, 0.75])
    >>> population_weights(4, None)
    array([0.25, 0.25, 0.25, 0.25])
    """
    if weights is None:
        return np.full(n, 1.0 / n)
    w = np.asarray(weights, dtype=float)
    if w.shape != (n,) or np.any(w < 0) or w.sum() <= 0:
        raise ValueError(f"weights must be {n} non-negative numbers with a positive sum")
    return w / w.sum()


def discrete_output_mi(probs, weights=None) -> float:
    """Exact I(X; Yhat) of a stochastic classifier on a finite population, in nats.

    The output on record i is drawn from ``probs[i]`` (e.g. ``predict_proba``) and X is uniform
    over the records (or distributed as ``weights``):
    ``I(X; Yhat) = H(sum_i w_i p_i) - sum_i w_i H(p_i)``. Records with identical inputs must be
    merged (or weighted) for X to be the record's features rather than its index.

    Parameters
    ----------
    probs : array-like of shape (n_records, n_outputs)
        Each record's output distribution.
    weights : array-like of shape (n_records,), default=None
        The records' probabilities (normalised); None means uniform.

    Returns
    -------
    float
        I(X; Yhat) in nats.

    Examples
    --------
    >>> round(discrete_output_mi([[1.0, 0.0], [0.0, 1.0]]), 4)  # log 2
    0.6931
    >>> discrete_output_mi([[0.5, 0.5], [0.5, 0.5]])
    0.0
    """
    p = check_distribution(probs, -1, "probs")
    if p.ndim != 2:
        raise ValueError("probs must have shape (n_records, n_outputs)")
    w = population_weights(len(p), weights)
    return float(max(stats.entropy(w @ p) - w @ stats.entropy(p, axis=1), 0.0))



def value_codes(x, n, name):
    """Integer codes of ``n`` discrete values and their number.

    Parameters
    ----------
    x : array-like of shape (n,) or (n, k), or None
        The values (the rows of a 2-D array count as values); None means one common value.
    n : int
        The number of records ``x`` must have.
    name : str
        The argument's name, used in the error message.

    Returns
    -------
    codes : ndarray of shape (n,)
        Codes 0, 1, ... in the sorted order of the distinct values.
    n_values : int
        The number of codes, ``codes.max() + 1``.

    Raises
    ------
    ValueError
        If ``x`` does not have ``n`` entries.

    Examples
    --------
    >>> value_codes(["a", "b", "a"], 3, "secret")
    (array([0, 1, 0]), 2)
    >>> value_codes(None, 2, "aux")
    (array([0, 0]), 1)
    """
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

    Parameters
    ----------
    joint : array-like of shape (..., n_s, n_obs)
        ``joint[..., s, o] = P(S = s, O = o)``; leading axes are a batch (flatten several observed
        variables into the last axis).

    Returns
    -------
    ndarray
        ``sum_o max_s p(s, o)`` per batch element.

    Examples
    --------
    >>> float(bayes_success([[0.4, 0.1], [0.1, 0.4]]))
    0.8
    """
    p = np.asarray(joint, dtype=float)
    if p.ndim < 2:
        raise ValueError("joint must have at least two axes (..., n_s, n_obs)")
    p = check_distribution(p, (-2, -1), "joint")  # a count table is refused, not read as odds
    return p.max(axis=-2).sum(axis=-1)


def bayes_advantage(joint) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Exact success, baseline and advantage of the Bayes-optimal adversary.

    For a joint ``p[..., s, a, o]`` of secret ``S``, auxiliary knowledge ``A`` and model output
    ``O``: success = sum_{a,o} max_s p(s, a, o); baseline = sum_a max_s p(s, a) (the best guess
    from ``A`` alone); advantage = success - baseline. A 2-D ``p[..., s, o]`` (no auxiliary
    knowledge beyond the prior) is accepted too when given as ``p[..., s, 1, o]``.

    Parameters
    ----------
    joint : array-like of shape (..., n_s, n_a, n_o)
        The joint probabilities; leading axes are a batch.

    Returns
    -------
    success : ndarray
        The Bayes adversary's success probability (it sees ``A`` and ``O``), per batch element.
    baseline : ndarray
        The success of the best guess from ``A`` alone.
    advantage : ndarray
        ``success - baseline``.

    Examples
    --------
    >>> p = np.array([[0.4, 0.1], [0.1, 0.4]])[:, None, :]  # p[s, 1, o]
    >>> [round(float(v), 3) for v in bayes_advantage(p)]
    [0.8, 0.5, 0.3]
    """
    p = np.asarray(joint, dtype=float)
    if p.ndim < 3:
        raise ValueError("joint must have shape (..., n_s, n_a, n_o); add a length-1 axis for A")
    p = check_distribution(p, (-3, -2, -1), "joint")
    success = p.max(axis=-3).sum(axis=(-2, -1))
    baseline = p.sum(axis=-1).max(axis=-2).sum(axis=-1)
    return success, baseline, success - baseline



def leakage_summary(p_sao, mi_x) -> dict:
    """Exact Bayes success, baseline, advantage and I(S; O | A) of ``p[s, a, o]``, with I(X; O).

    Parameters
    ----------
    p_sao : array-like of shape (n_s, n_a, n_o)
        The joint of secret, auxiliary knowledge and model output.
    mi_x : float
        I(X; O), computed by the caller, reported as it is.

    Returns
    -------
    dict
        ``success``, ``baseline``, ``advantage`` (see :func:`bayes_advantage`), ``cmi``
        (I(S; O | A) in nats) and ``mi_x``, all floats.

    Examples
    --------
    >>> p = np.array([[0.5, 0.0], [0.0, 0.5]])[:, None, :]
    >>> s = leakage_summary(p, mi_x=0.0)
    >>> s["success"], s["baseline"], round(s["cmi"], 4)
    (1.0, 0.5, 0.6931)
    """
    success, baseline, advantage = bayes_advantage(p_sao)
    return {"success": float(success), "baseline": float(baseline), "advantage": float(advantage),
            "cmi": float(conditional_mutual_information(p_sao)), "mi_x": float(mi_x)}


def discrete_output_leakage(probs, secret, aux=None, x=None, weights=None) -> dict:
    """Exact leakage of a stochastic classifier on a finite population.

    Record i (probability ``weights[i]``, default uniform) has secret ``secret[i]``, auxiliary
    knowledge ``aux[i]`` (default: none) and model input ``x[i]`` (default: each record its own
    input; give the encoded rows so that records with equal inputs are merged); the model outputs
    a label drawn from ``probs[i]``.

    Parameters
    ----------
    probs : array-like of shape (n_records, n_outputs)
        Each record's output distribution.
    secret : array-like of shape (n_records,) or (n_records, k)
        Each record's secret (rows of a 2-D array count as values).
    aux : array-like of shape (n_records,) or (n_records, k), default=None
        Each record's auxiliary knowledge; None means none.
    x : array-like of shape (n_records,) or (n_records, k), default=None
        Each record's model input; None means each record is its own input.
    weights : array-like of shape (n_records,), default=None
        The records' probabilities (normalised); None means uniform.

    Returns
    -------
    dict
        All exact, as floats: ``success`` (the Bayes adversary's, who sees aux and the output),
        ``baseline`` (aux only, no model), ``advantage`` (their difference), ``cmi``
        (I(S; Yhat | A), nats) and ``mi_x`` (I(X; Yhat), nats).

    Examples
    --------
    >>> probs = [[0.9, 0.1], [0.1, 0.9], [0.9, 0.1], [0.1, 0.9]]
    >>> out = discrete_output_leakage(probs, secret=[0, 1, 0, 1])
    >>> round(out["success"], 3), round(out["baseline"], 3), round(out["advantage"], 3)
    (0.9, 0.5, 0.4)
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
