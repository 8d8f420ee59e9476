"""The linear-regression chapter's protocol (the paper's Fig. 2a): split the IWPC patients, fit a
defended least-squares model on the scaled dose, and attack the genotypes with Fredrikson et
al.'s MAP attack, black-box and white-box, in both games."""

from __future__ import annotations

import numpy as np

from midlib.attacks.map import FredriksonMAP
from midlib.defenses.registry import create_defense
from midlib.game import play

__all__ = ["run"]


def run(defense: str, strength, seed: int, *, task, targets: dict | None = None,
        test_size: float = 0.3, accesses=("black-box", "white-box"), **params) -> list[dict]:
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
    accesses : sequence of str, default=("black-box", "white-box")
        The attack's access levels.
    **params
        Passed to the model (e.g. ``noise_floor`` or ``ridge`` for the functional mechanism).

    Returns
    -------
    list of dict
        One row per (target, access, game): ``method``, ``strength``, held-out ``mse`` and
        training ``mse_train`` of the released (sampled) predictions, ``target``, ``access``,
        ``game``, ``success``, ``baseline``, ``advantage``.

    Examples
    --------
    >>> from midlib.data import make_pharmacogenetic
    >>> rows = run("none", None, 0, task=make_pharmacogenetic(200),
    ...            accesses=("white-box",))
    >>> [(row["access"], row["game"]) for row in rows]
    [('white-box', 'training-set'), ('white-box', 'distributional')]
    """
    targets = targets or {"target": task}
    members, nonmembers = task.split(test_size, seed)
    Xtr, ytr = task.encode(members), task.y(members, scaled=True)
    Xte, yte = task.encode(nonmembers), task.y(nonmembers, scaled=True)
    model = create_defense("linear", defense, strength, random_state=seed, **params).fit(Xtr, ytr)
    row = {"method": defense, "strength": strength,
           "mse": float(np.mean((model.predict(Xte) - yte) ** 2)),
           "mse_train": float(np.mean((model.predict(Xtr) - ytr) ** 2))}
    out = []
    for target, t in targets.items():
        for access in accesses:
            res = play(t, model, FredriksonMAP(access), members=members, nonmembers=nonmembers)
            for r in res.to_dict("records"):
                out.append({**row, "target": target, "access": access, "game": r["game"],
                            "success": r["success"], "baseline": r["baseline"],
                            "advantage": r["advantage"]})
    return out
