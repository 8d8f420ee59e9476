"""Claim checks of the network chapters (``notebooks/mid_nn.ipynb``, the paper's Fig. 2c, and
``notebooks/update_leaks.ipynb``, its Fig. 2d).

Each check raises :class:`midlib.checks.ClaimViolation` when its claim is false on the numbers
given, and each is tripped by a planted error in ``tests/test_checks_networks.py``: a weakened
attack that no longer beats its no-model floor, an under-stated KL bound, an uncomposed epsilon.

- :func:`attack_beats_floor`: a positive control; an undefended attack must clearly beat what
  an adversary without the model gets, or the experiment cannot tell a defence from a broken
  attack.
- :func:`gaussian_channel`, :func:`vib_bound_holds`: the VIB bound ``I(X; Z) <= E KL`` checked
  where ``I(X; Z)`` is known exactly (a Gaussian channel ``Z = aX + s xi``) and the Monte-Carlo
  estimator is not capped below the bound (``log N`` above the KL).
- :func:`pinsker_advantage`: what a KL bound guarantees about an attacker's advantage, and where
  it guarantees nothing.
- :func:`defence_works`: a defence works at a point only if the attack falls by more than the
  test accuracy does.
- :func:`update_epsilon`, :func:`dp_label_bound`: the Update-Leaks DP bound with the epsilon
  that covers what the attacker sees (the update alone for held-out records; training and update
  composed for training records).
"""

from __future__ import annotations

import math

import numpy as np
import torch

from midlib.checks.base import Comparison, check, compare
from midlib.defenses.vib import STD_SHIFT, VIBHead
from midlib.stats import wilson_interval

__all__ = ["attack_beats_floor", "gaussian_channel", "vib_bound_holds", "pinsker_advantage",
           "mean_interval", "defence_works", "update_epsilon", "dp_label_bound"]


def attack_beats_floor(successes: int, n: int, floor: float, margin: float = 0.05,
                       name: str = "the attack", confidence: float = 0.95) -> tuple:
    """Check that an attack's success rate clearly beats its no-model floor.

    The claim: the lower end of the Wilson interval of ``successes / n`` exceeds
    ``floor + margin``.

    Parameters
    ----------
    successes : int
        Successful reconstructions (pooled over seeds).
    n : int
        Attempts, > 0.
    floor : float
        The success rate of an adversary without the model (e.g. the evaluator's verdict on
        the average public face), in [0, 1].
    margin : float, default=0.05
        How far above the floor the interval must start.
    name : str, default="the attack"
        For the message.
    confidence : float, default=0.95
        The interval's level.

    Returns
    -------
    rate, low, high : float
        The success rate and its interval.

    Raises
    ------
    ClaimViolation
        If the interval reaches down to ``floor + margin``.

    Examples
    --------
    >>> [round(v, 3) for v in attack_beats_floor(60, 120, floor=0.05)]
    [0.5, 0.412, 0.588]
    >>> attack_beats_floor(8, 120, floor=0.05)
    Traceback (most recent call last):
    ...
    midlib.checks.base.ClaimViolation: claim violated: the attack beats its no-model floor 0.050 by more than 0.050
    success 8/120 = 0.067, 95% interval (0.034, 0.126)
    """
    if n <= 0:
        raise ValueError(f"n must be positive, got {n}")
    low, high = wilson_interval(int(successes), int(n), confidence)
    rate = successes / n
    check(low > floor + margin,
          f"{name} beats its no-model floor {floor:.3f} by more than {margin:.3f}",
          f"success {int(successes)}/{int(n)} = {rate:.3f}, {100 * confidence:.0f}% interval "
          f"({low:.3f}, {high:.3f})")
    return rate, low, high


def gaussian_channel(k: int = 2, a: float = 0.8, s: float = 0.6, n: int = 2000,
                     seed: int = 0) -> dict:
    """A VIB encoder with known ``I(X; Z)``: ``Z = aX + s xi`` with ``X, xi ~ N(0, I_k)``.

    The head's encoder is set so that ``mu = a h`` and ``std = s`` for every input ``h``;
    ``n`` inputs are drawn from ``N(0, I_k)``. Then, exactly,
    ``I(X; Z) = (k / 2) log(1 + a^2 / s^2)`` and
    ``E KL(q(z|X) || N(0, I)) = (k / 2)(a^2 + s^2 - 1 - log s^2)``, equal when
    ``a^2 + s^2 = 1``.

    Parameters
    ----------
    k : int, default=2
        Dimension of ``X`` and ``Z``.
    a : float, default=0.8
        The gain.
    s : float, default=0.6
        The noise's standard deviation, > 0.
    n : int, default=2000
        Records drawn (the estimator needs ``log n`` well above ``I(X; Z)``).
    seed : int, default=0
        Seeds the records.

    Returns
    -------
    dict
        ``head`` (a :class:`midlib.defenses.VIBHead`), ``X`` (its ``(n, k)`` inputs),
        ``mi`` (the exact ``I(X; Z)``) and ``kl`` (the exact expected KL), in nats.

    Examples
    --------
    >>> ch = gaussian_channel()
    >>> round(ch["mi"], 4), round(ch["kl"], 4)
    (1.0217, 1.0217)
    """
    if not s > 0:
        raise ValueError(f"s must be > 0, got {s}")
    head = VIBHead(k, 2, k=k)
    with torch.no_grad():
        head.encoder.weight.zero_()
        head.encoder.bias.zero_()
        head.encoder.weight[:k, :k] = a * torch.eye(k)
        head.encoder.bias[k:] = STD_SHIFT + math.log(math.expm1(s))  # softplus(raw - 5) = s
    X = torch.randn(n, k, generator=torch.Generator().manual_seed(seed))
    mi = 0.5 * k * math.log1p(a * a / (s * s))
    kl = 0.5 * k * (a * a + s * s - 1 - math.log(s * s))
    return dict(head=head, X=X, mi=mi, kl=kl)


def vib_bound_holds(i_xz: float, se: float, kl_bound: float, n_records: int,
                    exact: float | None = None, tol: float = 0.05) -> dict:
    """Check the VIB bound ``I(X; Z) <= E KL`` on an estimate that can exceed the bound.

    Claims: the Monte-Carlo estimate is at most the KL bound plus three standard errors; the
    check has content (``log n_records`` exceeds the bound, so that the estimator, which never
    exceeds ``log N``, could violate it); and, when ``exact`` is known, the estimate is within
    ``tol`` plus three standard errors of it.

    Parameters
    ----------
    i_xz : float
        The estimate of ``I(X; Z)`` (nats), e.g. from :func:`midlib.defenses.mutual_information_mc`.
    se : float
        Its standard error.
    kl_bound : float
        The stated bound (nats).
    n_records : int
        The N of the estimate (it lies in ``[0, log N]``).
    exact : float, default=None
        The exact ``I(X; Z)`` where known.
    tol : float, default=0.05
        The allowed bias of the estimate against ``exact`` (nats).

    Returns
    -------
    dict
        ``slack`` (bound minus estimate) and ``log_n``.

    Raises
    ------
    ClaimViolation
        If a claim fails.

    Examples
    --------
    >>> vib_bound_holds(0.69, 0.01, 0.75, 2000, exact=0.693)["slack"]
    0.06
    >>> vib_bound_holds(0.69, 0.01, 0.35, 2000)
    Traceback (most recent call last):
    ...
    midlib.checks.base.ClaimViolation: claim violated: the Monte-Carlo I(X; Z) does not exceed the KL bound
    I(X;Z) = 0.6900 +- 0.0100, bound 0.3500
    """
    log_n = math.log(n_records)
    check(kl_bound < log_n, "the check has content: log N exceeds the KL bound",
          f"log N = {log_n:.3f}, bound {kl_bound:.3f}")
    check(i_xz <= kl_bound + 3 * se, "the Monte-Carlo I(X; Z) does not exceed the KL bound",
          f"I(X;Z) = {i_xz:.4f} +- {se:.4f}, bound {kl_bound:.4f}")
    if exact is not None:
        check(abs(i_xz - exact) <= tol + 3 * se, "the Monte-Carlo I(X; Z) matches the exact value",
              f"estimate {i_xz:.4f} +- {se:.4f}, exact {exact:.4f}")
    return dict(slack=round(kl_bound - i_xz, 10), log_n=log_n)


def pinsker_advantage(kl) -> np.ndarray:
    """``sqrt(KL / 2)``: Pinsker's cap on an attacker's advantage from a bound of KL nats.

    It guarantees nothing where it is 1 or more (an advantage never exceeds 1).

    Parameters
    ----------
    kl : float or array-like
        KL bounds (nats), >= 0.

    Returns
    -------
    ndarray
        ``sqrt(kl / 2)``, uncapped, so that a caller can tell where it is vacuous.

    Examples
    --------
    >>> pinsker_advantage([0.02, 2.0, 30.0]).round(3)
    array([0.1  , 1.   , 3.873])
    """
    kl = np.asarray(kl, dtype=float)
    if (kl < 0).any():
        raise ValueError("KL bounds must be >= 0")
    return np.sqrt(kl / 2)


def mean_interval(values, confidence: float = 0.95) -> tuple:
    """Mean and Student-t interval over seeds (a point interval for a single value).

    Parameters
    ----------
    values : array-like
        One value per seed.
    confidence : float, default=0.95
        The interval's level.

    Returns
    -------
    mean, low, high : float

    Examples
    --------
    >>> [round(v, 3) for v in mean_interval([1.0, 2.0, 3.0])]
    [2.0, -0.484, 4.484]
    >>> mean_interval([5.0])
    (5.0, 5.0, 5.0)
    """
    from scipy.stats import t

    v = np.asarray(values, dtype=float)
    if v.size == 0 or not np.isfinite(v).all():
        raise ValueError("need at least one finite value")
    m = float(v.mean())
    if v.size == 1:
        return m, m, m
    h = float(t.ppf(0.5 + confidence / 2, v.size - 1) * v.std(ddof=1) / math.sqrt(v.size))
    return m, m - h, m + h


def defence_works(acc_none, acc_def, attack_none, attack_def) -> Comparison:
    """Whether a defence works at a point: does the attack fall by more than test accuracy?

    Per seed (paired with the undefended model of the same seed), the attack's drop minus the
    accuracy's drop; the defence works where its interval over seeds lies above 0
    (``direction == "above"``), fails where it lies below, and is undecided otherwise.

    Parameters
    ----------
    acc_none, acc_def : array-like of shape (n_seeds,)
        Test accuracy of the undefended and the defended model, seed by seed (same units as
        the attack).
    attack_none, attack_def : array-like of shape (n_seeds,)
        The attack's success against them.

    Returns
    -------
    Comparison
        Of the mean net drop (attack drop minus accuracy drop) against 0; its ``words`` say
        "above", "below" or "not significantly different from".

    Examples
    --------
    >>> defence_works([80, 82], [78, 80], [60, 64], [30, 36]).direction
    'above'
    >>> defence_works([80, 82], [60, 62], [60, 64], [58, 62]).direction
    'below'
    """
    a = [np.asarray(v, dtype=float) for v in (acc_none, acc_def, attack_none, attack_def)]
    if len({x.shape for x in a}) != 1 or a[0].ndim != 1:
        raise ValueError("give one value per seed for each of the four arguments")
    net = (a[2] - a[3]) - (a[0] - a[1])
    m, lo, hi = mean_interval(net)
    return compare(m, (lo, hi), 0.0, (0.0, 0.0))


def update_epsilon(split: str, update_epsilon: float, update_delta: float,
                   train_epsilon: float | None = None, train_delta: float | None = None) -> tuple:
    """The (epsilon, delta) for replacing the update record, over everything the attacker sees.

    A held-out update record touches the model only through the update: the update's
    replacement epsilon. A training record was also in the training set, so the original model
    depends on it too; basic composition adds the training's cost, whose add/remove
    ``(epsilon, delta)`` becomes ``(2 epsilon, (1 + e^epsilon) delta)`` for replacement (group
    privacy over two records).

    Parameters
    ----------
    split : {"train", "heldout"}
        Where the update record comes from.
    update_epsilon, update_delta : float
        The update's replacement epsilon and its delta.
    train_epsilon, train_delta : float, default=None
        The training's add/remove epsilon and delta (required for ``"train"``; None or NaN
        means the training was not private, and the epsilon is infinite).

    Returns
    -------
    epsilon, delta : float

    Examples
    --------
    >>> update_epsilon("heldout", 0.5, 1e-5)
    (0.5, 1e-05)
    >>> [round(v, 5) for v in update_epsilon("train", 0.5, 1e-5, 1.0, 1e-5)]
    [2.5, 5e-05]
    """
    if split == "heldout":
        return float(update_epsilon), float(update_delta)
    if split != "train":
        raise ValueError(f"split must be 'train' or 'heldout', got {split!r}")
    if train_epsilon is None or not np.isfinite(train_epsilon):
        return math.inf, float(update_delta)
    return (2 * float(train_epsilon) + float(update_epsilon),
            (1 + math.exp(train_epsilon)) * float(train_delta) + float(update_delta))


def dp_label_bound(split: str, attack_low: float, prior_max: float, update_eps: float,
                   update_delta: float, train_eps: float | None = None,
                   train_delta: float | None = None, epsilon_used: float | None = None) -> float:
    """Check the Update-Leaks DP bound ``e^epsilon max_c pi_c + delta`` on one attacked split.

    Claims: the epsilon the chapter uses (``epsilon_used``, default: the composed one) is at
    least the one that covers what the attacker sees (:func:`update_epsilon`); and the lower
    confidence limit of the attack's accuracy does not exceed the bound.

    Parameters
    ----------
    split : {"train", "heldout"}
        Where the update records come from.
    attack_low : float
        A lower confidence limit of the attack's accuracy.
    prior_max : float
        The largest label frequency of the attacked records.
    update_eps, update_delta : float
        The update's replacement epsilon and delta.
    train_eps, train_delta : float, default=None
        The training's add/remove epsilon and delta.
    epsilon_used : float, default=None
        The epsilon the text uses for this split (None: the composed one).

    Returns
    -------
    float
        The bound, capped at 1.

    Raises
    ------
    ClaimViolation
        If the epsilon used is smaller than the composed one, or the attack beats the bound.

    Examples
    --------
    >>> round(dp_label_bound("heldout", 0.12, 0.11, 0.4, 1e-5), 3)
    0.164
    >>> dp_label_bound("train", 0.12, 0.11, 0.4, 1e-5, 1.0, 1e-5, epsilon_used=0.4)
    Traceback (most recent call last):
    ...
    midlib.checks.base.ClaimViolation: claim violated: the epsilon covers training and update (basic composition)
    split train: epsilon used 0.4000, composed 2.4000
    """
    eps, delta = update_epsilon(split, update_eps, update_delta, train_eps, train_delta)
    used = eps if epsilon_used is None else float(epsilon_used)
    check(used >= eps - 1e-12, "the epsilon covers training and update (basic composition)",
          f"split {split}: epsilon used {used:.4f}, composed {eps:.4f}")
    bound = 1.0 if not math.isfinite(used) else min(1.0, math.exp(used) * prior_max + delta)
    check(attack_low <= bound, "no label inference beats e^epsilon max_c pi_c + delta",
          f"split {split}: attack lower limit {attack_low:.4f} > bound {bound:.4f} "
          f"(epsilon {used:.4f})")
    return bound
