"""The decision-tree chapter's protocol (the paper's Fig. 2b): one tree on a seeded split, both
of Fredrikson et al.'s attacks, both games."""

from __future__ import annotations

import pandas as pd
from sklearn.metrics import f1_score

from midlib.attacks.map import ClassifierMAP
from midlib.attacks.trees import WhiteBoxTreeAttack
from midlib.defenses.registry import create_defense
from midlib.defenses.tree_base import TREE_LEAF, tree_information, tree_of
from midlib.game import play
from midlib.stats import summarize

__all__ = ["make_tree", "run", "matched_points"]


def make_tree(defense: str, strength, task, seed: int, base: dict | None = None,
              dp_depth: int = 4):
    """An unfitted tree of the Fig. 2b comparison, from the defense registry.

    Parameters
    ----------
    defense : {"none", "MID", "DP", "priority"}
        The defense.
    strength : float, str or None
        lambda (MID), epsilon (DP), "top"/"bottom" (priority), None (none).
    task : TabularTask
        The task (priority trees read the sensitive column's position from it).
    seed : int
        The tree's ``random_state``.
    base : dict, default=None
        Growing parameters shared by the scikit-learn, MID and priority trees
        (e.g. ``min_samples_leaf``); the DP tree is a complete tree of depth ``dp_depth``.
    dp_depth : int, default=4
        Depth of the DP tree.

    Returns
    -------
    estimator
        An unfitted tree classifier.

    Examples
    --------
    >>> from midlib.data import make_survey
    >>> make_tree("MID", 0.1, make_survey(50), seed=0).lam
    0.1
    """
    base = dict(base or {})
    if defense == "DP":
        return create_defense("tree", "DP", strength, random_state=seed, max_depth=dp_depth)
    if defense == "priority":
        cols = task.sensitive_columns()
        if len(cols) != 1:
            raise ValueError("priority trees need a binary sensitive attribute (one encoded column)")
        return create_defense("tree", "priority", strength, random_state=seed,
                              sensitive_column=cols[0], **base)
    return create_defense("tree", defense, strength, random_state=seed, **base)


def run(defense: str, strength, seed: int, *, task, test_size: float = 0.3,
        base: dict | None = None, dp_depth: int = 4, attacks: dict | None = None) -> pd.DataFrame:
    """Train one tree on a seeded split and play both games with both Fredrikson attacks.

    Parameters
    ----------
    defense, strength : str, object
        As in :func:`make_tree`.
    seed : int
        Seeds the split and the tree.
    task : TabularTask
        A classification task with a discrete sensitive attribute.
    test_size : float, default=0.3
        Share of held-out records.
    base, dp_depth : dict, int
        As in :func:`make_tree`.
    attacks : dict, default=None
        name -> adversary factory; default the white-box tree attack and the black-box MAP.

    Returns
    -------
    pandas.DataFrame
        One row per (attack, game) with the model's weighted F1 on the same records
        (``model_f1``: training records for the training-set game, held-out ones for the
        distributional game; the released, possibly sampled, predictions), the attack's ``f1``,
        ``precision``, ``recall``, ``success`` (accuracy), ``baseline`` and ``advantage``, the
        exact ``info`` I(X; Yhat) of the tree, and its number of leaves. The defense is in the
        ``method`` column and its strength in ``param``.

    Examples
    --------
    >>> from midlib.data import make_survey
    >>> out = run("none", None, 0, task=make_survey(100))
    >>> out[["attack", "game", "method"]]
          attack            game method
    0  white-box    training-set   none
    1  white-box  distributional   none
    2  black-box    training-set   none
    3  black-box  distributional   none
    """
    attacks = attacks or {"white-box": WhiteBoxTreeAttack, "black-box": ClassifierMAP}
    train, test = task.split(test_size, seed)
    model = make_tree(defense, strength, task, seed, base, dp_depth)
    model.fit(task.encode(train), task.y(train))
    f1 = {game: f1_score(task.y(frame), model.predict(task.encode(frame)), average="weighted",
                         zero_division=0)
          for game, frame in (("training-set", train), ("distributional", test))}
    info = tree_information(model)
    leaves = int((tree_of(model).children_left == TREE_LEAF).sum())
    rows = []
    for name, make in attacks.items():
        out = play(task, model, make(), members=train, nonmembers=test)
        out["attack"] = name
        rows.append(out)
    out = pd.concat(rows, ignore_index=True)
    out["model_f1"] = out["game"].map(f1)
    out["split"] = out["game"].map({"training-set": "training", "distributional": "held-out"})
    out = out.assign(dataset=task.name, method=defense, param=str(strength), seed=seed, info=info,
                     n_leaves=leaves)
    return out.drop(columns=["adversary"])


def matched_points(results: pd.DataFrame, level: float, attack: str = "white-box",
                   select_split: str = "training") -> pd.DataFrame:
    """Each method's setting at matched utility, the root tree excluded, with 95 % intervals.

    Among the settings of a method whose mean held-out model F1 is at least ``level`` and that
    are not the root tree (more than one leaf on every seed), the one with the lowest mean attack
    F1 on ``select_split`` is chosen; its attack F1 is then reported on both splits.

    Parameters
    ----------
    results : pandas.DataFrame
        Rows of :func:`run` for one dataset (columns ``method``, ``param``, ``seed``, ``attack``,
        ``split``, ``f1``, ``model_f1``, ``n_leaves``).
    level : float
        The matched held-out model F1.
    attack : str, default="white-box"
        The attack whose F1 is compared.
    select_split : {"training", "held-out"}, default="training"
        The split on which the setting is chosen.

    Returns
    -------
    pandas.DataFrame
        One row per (method, split): ``param``, ``utility`` (mean held-out model F1 of the
        setting), ``n_leaves`` (its fewest leaves over seeds), ``seeds``, ``f1``, ``f1_lo``,
        ``f1_hi``. A method with no eligible setting is absent.

    Examples
    --------
    >>> from midlib.data import make_survey
    >>> task = make_survey(150, random_state=0)
    >>> res = pd.concat([run(m, p, s, task=task) for m, p in [("none", None), ("MID", 0.0)]
    ...                  for s in range(3)])
    >>> list(matched_points(res, level=0.0)["method"].unique())
    ['MID', 'none']
    """
    d = results[results.attack == attack].assign(param=lambda x: x["param"].astype(str))
    held = d[d.split == "held-out"].groupby(["method", "param"])
    pts = pd.DataFrame({"utility": held["model_f1"].mean(), "n_leaves": held["n_leaves"].min(),
                        "attack_f1": d[d.split == select_split].groupby(["method", "param"])["f1"].mean()})
    pts = pts[(pts.utility >= level) & (pts.n_leaves > 1)].reset_index()
    if pts.empty:
        return pd.DataFrame(columns=["method", "split", "param", "utility", "n_leaves", "seeds",
                                     "f1", "f1_lo", "f1_hi"])
    chosen = pts.loc[pts.groupby("method")["attack_f1"].idxmin()]
    rows = d.drop(columns="n_leaves").merge(chosen[["method", "param", "utility", "n_leaves"]],
                                           on=["method", "param"])
    out = summarize(rows, by=["method", "split", "param", "utility", "n_leaves"], metrics=["f1"])
    return out[["method", "split", "param", "utility", "n_leaves", "seeds", "f1", "f1_lo",
                "f1_hi"]].sort_values(["method", "split"]).reset_index(drop=True)
