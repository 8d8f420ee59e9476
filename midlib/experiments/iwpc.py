"""The linear-regression chapter's protocol (the paper's Fig. 2a): split the IWPC patients, fit a
defended least-squares model on the scaled dose, and attack the genotypes, black-box and
white-box, in both games, with Fredrikson et al.'s MAP attack (marginal prior) and with a Bayes
MAP attack whose prior is ``p(genotype | demographics)`` learnt on the auxiliary records; each
attack is scored against the no-model baselines at knowledge prior, aux and aux+label.

The adversary's auxiliary records are patients of the population that are neither trained on
nor attacked: half of the held-out patients (``aux_share``), the other half being the targets
of the distributional game. Every adversary (the priors, the imputation of the genotype from
the demographics, the MAP attack's residual scale) is fitted on them, so no baseline gains from
having seen its own targets.

:func:`matched_utility` then compares two defences at equal footing: every point of one curve
against the other curve interpolated at the same held-out error on the same split.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from midlib.attacks.baselines import AuxiliaryAdversary
from midlib.attacks.map import FredriksonMAP
from midlib.defenses.registry import create_defense
from midlib.game import PriorAdversary

__all__ = ["run", "ATTACKS", "matched_utility"]

#: The attacks of the chapter: the paper's MAP attack (marginal prior) and the Bayes MAP attack
#: (per-record prior p(x_s | x_ns) from a classifier fitted on the auxiliary records).
ATTACKS = ("MAP", "Bayes-MAP")

_GAMES = (("training-set", 0), ("distributional", 1))
_NO_MODEL: dict = {}   # (id(task), seed, test_size) -> (task, fitted no-model adversaries, hits)


def _hide(task, frame, with_label: bool):
    hidden = frame.copy()
    hidden[task.sensitive] = None
    if not with_label:
        hidden[task.target] = None
    return hidden


def _no_model(t, seed, test_size, aux, members, nonmembers):
    """The no-model adversaries of a split (fitted on the auxiliary records) and their hits;
    cached, since they do not depend on the model."""
    key = (id(t), seed, test_size, len(aux))
    if key in _NO_MODEL and _NO_MODEL[key][0] is t:
        return _NO_MODEL[key][1]
    advs = {"prior": PriorAdversary().fit(t, aux),
            "aux": AuxiliaryAdversary("aux").fit(t, aux),
            "aux+label": AuxiliaryAdversary("aux+label").fit(t, aux)}
    hits = {}
    for game, frame in zip(("training-set", "distributional"), (members, nonmembers)):
        truth = frame[t.sensitive].to_numpy(dtype=object)
        for name, adv in advs.items():
            guess = np.asarray(adv.guess(None, _hide(t, frame, name == "aux+label")), dtype=object)
            hits[game, name] = guess == truth
    if len(_NO_MODEL) > 256:
        _NO_MODEL.clear()
    _NO_MODEL[key] = (t, (advs, hits))
    return advs, hits


def run(defense: str, strength, seed: int, *, task, targets: dict | None = None,
        test_size: float = 0.3, aux_share: float = 0.5, accesses=("black-box", "white-box"),
        attacks=("MAP",), **params) -> list[dict]:
    """One point of Fig. 2a.

    Parameters
    ----------
    defense : {"none", "MID", "DP", "noise-cap"}
        A linear defense of :func:`midlib.defenses.create_defense`.
    strength : float or None
        lambda (MID), epsilon (DP), the cap (noise-cap), None (none).
    seed : int
        Seeds the split and the model's noise.
    task : TabularTask
        The IWPC task the model is trained on (the target is the dose scaled to [0, 1]).
    targets : dict, default=None
        name -> task with another sensitive attribute on the same records (e.g. VKORC1 and
        CYP2C9); default ``{"target": task}``.
    test_size : float, default=0.3
        Share of held-out patients.
    aux_share : float, default=0.5
        Share of the held-out patients given to the adversary as auxiliary records (never
        attacked); the rest are the distributional game's targets.
    accesses : sequence of str, default=("black-box", "white-box")
        The attack's access levels.
    attacks : sequence of {"MAP", "Bayes-MAP"}, default=("MAP",)
        ``"MAP"``: Fredrikson et al.'s attack with the marginal prior; ``"Bayes-MAP"``: the
        same likelihood with the per-record prior ``p(x_s | x_ns)`` of an
        :class:`~midlib.attacks.AuxiliaryAdversary` at knowledge ``"aux"`` fitted on the
        auxiliary records.
    **params
        Passed to the model (e.g. ``noise_floor`` or ``ridge="zhang"`` for the functional
        mechanism).

    Returns
    -------
    list of dict
        One row per (target, access, attack, game): ``method``, ``strength``, held-out ``mse``
        and training ``mse_train`` of the released (sampled) predictions, ``mse_constant``
        (held-out error of predicting the training mean, the constant predictor), ``alpha``,
        ``sigma`` and ``V`` (MID's shrinkage, output noise and the variance of the
        least-squares fit; NaN for other defences), ``ridge`` (the functional mechanism's
        ``ridge_``; NaN for other defences), ``target``,
        ``access``, ``attack``, ``game``, ``n``, ``success``; the no-model baselines' successes
        on the same targets ``prior``, ``aux``, ``aux_label``, and ``best_no_model`` (their
        maximum: every one needs at most the attack's knowledge, aux+label); ``baseline``
        (= ``prior``) and ``advantage`` (success - prior), ``advantage_best``
        (success - best_no_model).

    Raises
    ------
    ValueError
        For an unknown attack.

    Examples
    --------
    >>> from midlib.data import make_pharmacogenetic
    >>> rows = run("none", None, 0, task=make_pharmacogenetic(200),
    ...            accesses=("white-box",))
    >>> [(row["access"], row["game"]) for row in rows]
    [('white-box', 'training-set'), ('white-box', 'distributional')]
    >>> rows[1]["best_no_model"] >= rows[1]["prior"]
    True
    """
    bad = [a for a in attacks if a not in ATTACKS]
    if bad:
        raise ValueError(f"unknown attacks {bad}; choose from {ATTACKS}")
    targets = targets or {"target": task}
    if not 0 < aux_share < 1:
        raise ValueError(f"aux_share must lie strictly between 0 and 1, got {aux_share}")
    members, held_out = task.split(test_size, seed)
    aux_mask = np.random.default_rng([seed, 1]).permutation(len(held_out)) < aux_share * len(held_out)
    aux, nonmembers = held_out[aux_mask], held_out[~aux_mask]
    Xtr, ytr = task.encode(members), task.y(members, scaled=True)
    Xte, yte = task.encode(nonmembers), task.y(nonmembers, scaled=True)
    model = create_defense("linear", defense, strength, random_state=seed, **params).fit(Xtr, ytr)
    row = {"method": defense, "strength": strength,
           "mse": float(np.mean((model.predict(Xte) - yte) ** 2)),
           "mse_train": float(np.mean((model.predict(Xtr) - ytr) ** 2)),
           "mse_constant": float(np.mean((yte - ytr.mean()) ** 2)),
           "alpha": float(getattr(model, "alpha_", np.nan)),
           "V": float(getattr(model, "signal_variance_ols_", np.nan)),
           "sigma": float(getattr(model, "noise_scale_", np.nan)) if defense == "MID" else np.nan,
           "ridge": float(getattr(model, "ridge_", np.nan))}
    out = []
    for target, t in targets.items():
        advs, hits = _no_model(t, seed, test_size, aux, members, nonmembers)
        aux_prior = advs["aux"]
        for access in accesses:
            for attack in attacks:
                prior = None if attack == "MAP" else (lambda f, a=aux_prior: a.scores(None, f))
                adv = FredriksonMAP(access, prior=prior).fit(t, aux)
                for game, frame in zip(("training-set", "distributional"), (members, nonmembers)):
                    truth = frame[t.sensitive].to_numpy(dtype=object)
                    guess = np.asarray(adv.guess(model, _hide(t, frame, True)), dtype=object)
                    success = float(np.mean(guess == truth))
                    base = {k: float(hits[game, k].mean()) for k in ("prior", "aux", "aux+label")}
                    best = max(base.values())
                    out.append({**row, "target": target, "access": access, "attack": attack,
                                "game": game, "n": len(frame), "success": success,
                                "prior": base["prior"], "aux": base["aux"],
                                "aux_label": base["aux+label"], "best_no_model": best,
                                "baseline": base["prior"], "advantage": success - base["prior"],
                                "advantage_best": success - best})
    return out


def matched_utility(points: pd.DataFrame, curve: pd.DataFrame, *, utility: str = "mse",
                    attack: str = "success", by=("seed",), ceiling: str | None = "mse_constant",
                    setting: str = "strength") -> pd.DataFrame:
    """Compare every point of one defence with another defence's curve at the same utility.

    For each row of ``points`` (one setting of defence A on one split), the attack success of
    defence B is interpolated linearly along B's curve on the same split (``by``), sorted by
    utility, at A's utility. The rule treats both defences alike whatever the density of their
    grids: no best-of-grid selection. Points outside B's range of utility on that split, or at
    or above the ``ceiling`` (the error of the constant predictor, where a model is no model),
    are dropped.

    Parameters
    ----------
    points : pandas.DataFrame
        Defence A: columns ``by``, ``setting``, ``utility``, ``attack``.
    curve : pandas.DataFrame
        Defence B: the same columns.
    utility : str, default="mse"
        The utility column (lower is better).
    attack : str, default="success"
        The attack column.
    by : sequence of str, default=("seed",)
        The columns that identify a split.
    ceiling : str or None, default="mse_constant"
        A column of ``points`` holding the constant predictor's error; points with utility at
        or above it, and B's curve beyond it, are excluded. None keeps every point.
    setting : str, default="strength"
        The column naming A's setting.

    Returns
    -------
    pandas.DataFrame
        One row per kept point: ``by``, ``setting``, ``utility``, ``ceiling``, ``attack`` (A's), ``matched``
        (B's interpolated attack) and ``difference`` (A minus B).

    Examples
    --------
    >>> b = pd.DataFrame({"seed": 0, "strength": [1, 2], "mse": [0.1, 0.3],
    ...                   "success": [0.6, 0.4], "mse_constant": 0.5})
    >>> a = pd.DataFrame({"seed": [0], "strength": [9], "mse": [0.2], "success": [0.55],
    ...                   "mse_constant": [0.5]})
    >>> matched_utility(a, b)[["matched", "difference"]].round(3).values.tolist()
    [[0.5, 0.05]]
    """
    by = list(by)
    rows = []
    for key, grp in points.groupby(by):
        key = key if isinstance(key, tuple) else (key,)
        sel = np.ones(len(curve), dtype=bool)
        for col, val in zip(by, key):
            sel &= (curve[col] == val).to_numpy()
        c = curve[sel]
        if ceiling is not None:
            c = c[c[utility] < grp[ceiling].iloc[0]]
        if len(c) < 2:
            continue
        c = c.sort_values(utility)
        xs, ys = c[utility].to_numpy(float), c[attack].to_numpy(float)
        for _, r in grp.iterrows():
            u = float(r[utility])
            if ceiling is not None and u >= float(r[ceiling]):
                continue
            if not xs[0] <= u <= xs[-1]:
                continue
            m = float(np.interp(u, xs, ys))
            rows.append({**dict(zip(by, key)), setting: r[setting], utility: u,
                         **({ceiling: float(r[ceiling])} if ceiling is not None else {}),
                         attack: float(r[attack]), "matched": m, "difference": float(r[attack]) - m})
    cols = by + [setting, utility] + ([ceiling] if ceiling is not None else [])
    return pd.DataFrame(rows, columns=cols + [attack, "matched", "difference"])
