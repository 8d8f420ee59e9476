"""The Update-Leaks chapter's protocol: defended target and shadow networks on scikit-learn's
digits, shadow updates to fit the attack, and the attack on the target's updates of training and
held-out records."""

from __future__ import annotations

import time

import numpy as np

from midlib.attacks.update_leaks import UpdateConfig, UpdateLeaksAttack, simulate_updates
from midlib.defenses.registry import network_defense
from midlib.nn import accuracy, make_classifier, train_classifier

__all__ = ["DEFENSES", "run"]


#: The defenses of the chapter: the network registry's, plus DP-SGD for training only.
DEFENSES = ("none", "MID", "DP", "DP-train")


def run(defense: str = "none", strength: float | None = None, seed: int = 0, *, split: dict,
        epochs: int = 30, hidden=(64,), vib_k: int = 32, update_steps: int = 5,
        update_lr: float = 0.05, n_shadow_updates: int = 400,
        n_target_updates: int = 200, query_ks=(1, 16)) -> list[dict]:
    """One point of the Update-Leaks experiment.

    Train a target and a shadow model the same way (``defense`` "none"; "MID" with
    ``strength`` = beta; "DP" with ``strength`` = epsilon, used for training and for every
    update; "DP-train": DP-SGD training only, plain updates), fit the attack on shadow updates
    (from the shadow's training records and from held-out records, half each), and attack
    updates of the target with its training records (``split="train"``) and with held-out
    records (``split="heldout"``).

    Parameters
    ----------
    defense : {"none", "MID", "DP", "DP-train"}, default="none"
        The defense (see :data:`DEFENSES`).
    strength : float, default=None
        beta (MID) or epsilon (DP, DP-train); positive, and required unless ``defense`` is
        "none".
    seed : int, default=0
        Seeds the target (``seed``), the shadow (``seed + 1000``), the updates and the attack.
    split : dict
        The data, as :func:`midlib.data.digits_split` returns them: ``target`` and ``shadow``
        ``(X, y)`` training sets, the ``probe`` records and the ``heldout`` ``(X, y)`` records
        (the first half: the adversary's fresh update records; the second half: the target's
        fresh update records and the test set of model accuracy).
    epochs : int, default=30
        Training epochs of the target and the shadow.
    hidden : tuple of int, default=(64,)
        Hidden widths of the networks.
    vib_k : int, default=32
        MID's bottleneck dimension.
    update_steps : int, default=5
        SGD steps of an update (see :class:`midlib.attacks.update_leaks.UpdateConfig`).
    update_lr : float, default=0.05
        The learning rate of an update.
    n_shadow_updates : int, default=400
        Shadow updates the attack is fitted on.
    n_target_updates : int, default=200
        Target updates attacked per split.
    query_ks : tuple of int, default=(1, 16)
        Against MID (a stochastic model) the adaptive attacker averages ``k`` queries per
        version and probe, for each ``k`` here, fitting one attack per ``k`` on the shadow
        updates; other defenses are queried once.

    Returns
    -------
    list of dict
        One row per split (``train``, ``heldout``): ``model_acc`` (target accuracy on the
        held-out records), ``attack_acc`` (the best over ``k``, with ``attack_k``; and
        ``attack_acc_k{k}`` for each ``k``), ``n_attacked``, ``train_epsilon`` and
        ``train_delta`` (NaN without DP training), ``update_epsilon`` (add/remove),
        ``replacement_epsilon`` and ``update_delta`` of one update (NaN without a DP update),
        ``prior_max`` (the largest label frequency among the attacked update records: the best
        guess without the model) and ``seconds``. The rows name the defense ``method`` and its
        strength ``param``.

    Raises
    ------
    ValueError
        For an unknown defense, or a defense without a positive strength.

    Examples
    --------
    A real run trains two networks and simulates hundreds of updates; the arguments are
    checked first:

    >>> from midlib.data import digits_split
    >>> run("MID", None, split=digits_split())
    Traceback (most recent call last):
    ...
    ValueError: defense 'MID' needs a positive strength (beta for MID, epsilon for DP)
    """
    if defense not in DEFENSES:
        raise ValueError(f"defense must be one of {DEFENSES}, got {defense!r}")
    if defense != "none" and (strength is None or not strength > 0):
        raise ValueError(f"defense {defense!r} needs a positive strength (beta for MID, epsilon for DP)")
    start = time.perf_counter()
    method, param = defense, strength
    d = network_defense("DP" if defense == "DP-train" else defense, strength, vib_k=vib_k)
    beta = d.strength if defense == "MID" else 0.0
    dp = d.privacy
    config = UpdateConfig(steps=update_steps, lr=update_lr, beta=beta,
                          dp=dp if method == "DP" else None)
    (xt, yt), (xs, ys), probe = split["target"], split["shadow"], split["probe"]
    xh, yh = split["heldout"]
    half = len(yh) // 2  # the adversary's fresh records / the target's fresh records and test set
    models = {}
    train_eps = np.nan
    for name, (x, y), s in (("target", (xt, yt), seed), ("shadow", (xs, ys), seed + 1000)):
        net = make_classifier(x.shape[1:], 10, hidden=hidden, head=d.head, seed=s)
        res = train_classifier(net, x, y, epochs=epochs, regularizer=d.regularizer, privacy=dp, seed=s,
                               batch_size=64 if dp is None else 128,
                               lr=1e-3 if dp is None else 4e-3)
        models[name] = res.model
        if name == "target" and res.epsilon is not None:
            train_eps = res.epsilon
    ks = tuple(int(k) for k in query_ks) if defense == "MID" else (1,)
    n_sh = n_shadow_updates // 2
    f1, l1 = simulate_updates(models["shadow"], xs, ys, probe, config, n_sh, seed=seed + 1,
                              desc="shadow updates", n_average=ks)
    f2, l2 = simulate_updates(models["shadow"], xh[:half], yh[:half], probe, config,
                              n_shadow_updates - n_sh, seed=seed + 2, desc="shadow updates",
                              n_average=ks)
    attacks = {k: UpdateLeaksAttack(random_state=seed).fit(np.vstack([f1[k], f2[k]]),
                                                           np.concatenate([l1, l2])) for k in ks}
    model_acc = accuracy(models["target"], xh[half:], yh[half:], seed=seed)
    update_eps, replace_eps = config.epsilon(), config.replacement_epsilon()
    rows = []
    for split_name, (x, y), s in (("train", (xt, yt), seed + 3),
                                  ("heldout", (xh[half:], yh[half:]), seed + 4)):
        f, lab = simulate_updates(models["target"], x, y, probe, config, n_target_updates,
                                  seed=s, desc="target updates", n_average=ks)
        by_k = {k: attacks[k].score(f[k], lab) for k in ks}
        best = max(by_k, key=by_k.get)
        rows.append({"method": method, "param": np.nan if param is None else float(param),
                     "split": split_name, "model_acc": model_acc,
                     "attack_acc": by_k[best], "attack_k": best, "n_attacked": len(lab),
                     **{f"attack_acc_k{k}": v for k, v in by_k.items()},
                     "train_epsilon": train_eps,
                     "train_delta": dp.delta if np.isfinite(train_eps) else np.nan,
                     "update_epsilon": np.nan if update_eps is None else update_eps,
                     "replacement_epsilon": np.nan if replace_eps is None else replace_eps,
                     "update_delta": dp.delta if update_eps is not None else np.nan,
                     "prior_max": float(np.bincount(y, minlength=10).max() / len(y))})
    for r in rows:
        r["seconds"] = time.perf_counter() - start
    return rows
