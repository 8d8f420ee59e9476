"""The GMI chapter's checks: the positive control of the attack, and when a defence works.

A table of defences against an attack means nothing if the attack does not work on the
undefended model: a failed attack "protects" every model. :func:`attack_inverts_undefended`
fails the build unless the (adaptive) attack reconstructs the undefended target's private
digits, well above what the GAN's prior reaches alone. :func:`defence_verdicts` decides, with
seed-paired intervals, at which settings a defence lowers the attack's success by more than it
lowers the model's accuracy.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from midlib.checks.base import check

__all__ = ["attack_inverts_undefended", "defence_verdicts", "VERDICT_WORDS"]

#: The words the chapter prints for each verdict of :func:`defence_verdicts`.
VERDICT_WORDS = {"works": "works", "fails": "does not work",
                 "undecided": "is not distinguishable from no effect"}


def attack_inverts_undefended(top1_private: float, top1_ten: float, floor_ten: float, *,
                              min_private: float = 0.8, min_ten: float = 0.6,
                              min_gain: float = 0.4) -> dict:
    """The positive control: the attack inverts the undefended target.

    Raises unless the undefended target's reconstructions are read as the intended digit
    among the private digits at least ``min_private`` of the time (GMI's protocol), among all
    ten digits at least ``min_ten`` of the time, and at least ``min_gain`` above the
    prior-only floor (the same search without the identity loss) among ten.

    Parameters
    ----------
    top1_private : float
        Attack top-1 among the private digits (mean over seeds).
    top1_ten : float
        Attack top-1 among all ten digits (mean over seeds).
    floor_ten : float
        The prior-only search's top-1 among ten.
    min_private : float, default=0.8
        The least top-1 among the private digits.
    min_ten : float, default=0.6
        The least top-1 among ten.
    min_gain : float, default=0.4
        The least margin of ``top1_ten`` over ``floor_ten``.

    Returns
    -------
    dict
        The inputs and thresholds, for the page.

    Raises
    ------
    ClaimViolation
        If the attack does not invert the undefended target.

    Examples
    --------
    >>> attack_inverts_undefended(0.95, 0.9, 0.02)["top1_ten"]
    0.9
    >>> attack_inverts_undefended(0.5, 0.1, 0.02)
    Traceback (most recent call last):
    ...
    midlib.checks.base.ClaimViolation: claim violated: the attack inverts the undefended target ...
    """
    values = {"top1_private": float(top1_private), "top1_ten": float(top1_ten),
              "floor_ten": float(floor_ten)}
    if not all(np.isfinite(v) and 0 <= v <= 1 for v in values.values()):
        raise ValueError(f"the attack accuracies must lie in [0, 1], got {values}")
    ok = (top1_private >= min_private and top1_ten >= min_ten
          and top1_ten - floor_ten >= min_gain)
    check(ok, f"the attack inverts the undefended target (top-1 among the private digits >= "
              f"{min_private}, among ten >= {min_ten} and >= the prior-only floor + {min_gain})",
          f"top-1 private {top1_private:.3f}, among ten {top1_ten:.3f}, floor {floor_ten:.3f}")
    return {**values, "min_private": min_private, "min_ten": min_ten, "min_gain": min_gain}


def defence_verdicts(results: pd.DataFrame, *, attack: str = "attack_top1",
                     utility: str = "model_acc", confidence: float = 0.95) -> pd.DataFrame:
    """At each defended setting: does the attack fall by more than the accuracy does?

    For each seed, the *net effect* of a setting is (attack without defence - attack with
    it) - (accuracy without defence - accuracy with it), paired with the undefended target of
    the same seed; its mean over seeds gets a t interval. The setting ``"works"`` when the
    interval lies above 0, ``"fails"`` when it lies below 0 (it costs more accuracy than
    attack success), ``"undecided"`` otherwise (and with a single seed).

    Parameters
    ----------
    results : pandas.DataFrame
        One row per setting and seed with columns ``method``, ``param``, ``seed``,
        ``attack`` and ``utility``; the undefended rows have ``method == "none"``.
    attack : str, default="attack_top1"
        The column of attack success.
    utility : str, default="model_acc"
        The column of test accuracy.
    confidence : float, default=0.95
        Of the t interval.

    Returns
    -------
    pandas.DataFrame
        One row per defended setting: ``method``, ``param``, ``acc_drop`` and ``attack_drop``
        (means over seeds), ``net`` (their difference, attack minus accuracy), ``net_lo``,
        ``net_hi``, ``verdict`` and ``words`` (:data:`VERDICT_WORDS`).

    Raises
    ------
    ValueError
        If a column is missing, or a seed has no undefended row.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"method": ["none"] * 3 + ["X"] * 3, "param": [None] * 3 + [1.0] * 3,
    ...                    "seed": [0, 1, 2] * 2, "model_acc": [0.99, 0.98, 0.99, 0.97, 0.97, 0.98],
    ...                    "attack_top1": [0.9, 0.95, 0.9, 0.3, 0.35, 0.4]})
    >>> defence_verdicts(df)[["method", "verdict"]].values.tolist()
    [['X', 'works']]
    """
    need = {"method", "param", "seed", attack, utility}
    if need - set(results.columns):
        raise ValueError(f"results lack the columns {sorted(need - set(results.columns))}")
    base = results[results["method"] == "none"].set_index("seed")
    rows = []
    for (method, param), g in results[results["method"] != "none"].groupby(
            ["method", "param"], sort=False):
        missing = sorted(set(g["seed"]) - set(base.index))
        if missing:
            raise ValueError(f"seeds {missing} have no undefended row to pair with")
        b = base.loc[g["seed"]]
        acc_drop = b[utility].to_numpy(float) - g[utility].to_numpy(float)
        att_drop = b[attack].to_numpy(float) - g[attack].to_numpy(float)
        net = att_drop - acc_drop
        mean = float(net.mean())
        if len(net) > 1 and net.std(ddof=1) > 0:
            half = float(stats.t.ppf(0.5 + confidence / 2, len(net) - 1)
                         * net.std(ddof=1) / np.sqrt(len(net)))
        else:
            half = 0.0 if len(net) > 1 else np.inf
        lo, hi = mean - half, mean + half
        verdict = "works" if lo > 0 else "fails" if hi < 0 else "undecided"
        rows.append({"method": method, "param": param, "acc_drop": float(acc_drop.mean()),
                     "attack_drop": float(att_drop.mean()), "net": mean, "net_lo": lo,
                     "net_hi": hi, "verdict": verdict, "words": VERDICT_WORDS[verdict]})
    return pd.DataFrame(rows)
