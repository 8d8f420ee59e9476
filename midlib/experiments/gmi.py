"""The GMI chapter's protocol: defended targets on the private MNIST digits, the evaluation
classifier, and the summary of one attack run (the attack itself is :mod:`midlib.attacks.gmi`)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from midlib.defenses.registry import network_defense
from midlib.nn import accuracy, make_classifier, train_classifier

__all__ = ["train_target", "train_evaluation_classifier", "attack_summary"]


def train_target(split: dict, defense: str = "none", strength: float | None = None, *,
                 epochs: int = 10, conv=(16, 32), hidden=(64,), vib_k: int = 32,
                 lr: float = 1e-3, batch_size: int = 64, dp_batch_size: int = 256,
                 dp_lr: float = 4e-3, seed: int = 0):
    """Train a target classifier on the private training digits of ``split``
    (:func:`midlib.data.mnist_split`) with no defence (``defense="none"``), MID (a VIB head,
    ``strength`` = beta) or DP-SGD (``strength`` = epsilon, delta 1e-5, clipping norm 1).

    Returns ``(model, info)``; ``info`` holds ``model_acc`` (accuracy on the held-out private
    digits, one draw of a VIB per prediction), ``train_acc``, ``epsilon`` (spent, DP only) and
    ``train_seconds``. The architecture is a small CNN (``conv`` channels, GroupNorm, then
    ``hidden`` units); DP-SGD runs with larger batches and learning rate (``dp_batch_size``,
    ``dp_lr``), as DP-SGD usually needs.
    """
    if defense != "none" and (strength is None or not strength > 0):
        raise ValueError(f"defense {defense!r} needs a positive strength (beta for MID, epsilon for DP)")
    d = network_defense(defense, strength, vib_k=vib_k)
    (x_tr, y_tr), (x_te, y_te) = split["train"], split["test"]
    n_classes = len(split["private_classes"])
    model = make_classifier(x_tr.shape[1:], n_classes, conv=conv, hidden=hidden, head=d.head,
                            seed=seed)
    dp = d.privacy
    res = train_classifier(model, x_tr, y_tr, epochs=epochs, lr=lr if dp is None else dp_lr,
                           batch_size=batch_size if dp is None else dp_batch_size,
                           regularizer=d.regularizer, privacy=dp, seed=seed)
    info = {"model_acc": accuracy(res.model, x_te, y_te, seed=seed),
            "train_acc": accuracy(res.model, x_tr, y_tr, seed=seed),
            "epsilon": res.epsilon if res.epsilon is not None else np.nan,
            "train_seconds": res.seconds}
    return res.model, info


def train_evaluation_classifier(split: dict, *, epochs: int = 10, conv=(32, 64), hidden=(128,),
                                seed: int = 0):
    """The evaluation classifier: a small CNN (wider than the targets)
    trained on *all ten* digits of ``split["all"]``, so that top-1 and top-5 are read among
    ten classes and a reconstruction that looks like a public digit counts as a failure.
    Returns ``(model, class_map)``: ``class_map`` maps the target's class indices to digits.
    """
    x, y = split["all"]
    model = make_classifier(x.shape[1:], 10, conv=conv, hidden=hidden, seed=seed)
    res = train_classifier(model, x, y, epochs=epochs, batch_size=64, seed=seed)
    class_map = {i: c for i, c in enumerate(split["private_classes"])}
    return res.model, class_map


def attack_summary(scores: pd.DataFrame) -> dict:
    """Attack top-1, top-5 (over all reconstructions) and mean KNN distance of a scored run."""
    return {"attack_top1": float(scores["top1"].mean()), "attack_top5": float(scores["top5"].mean()),
            "attack_top1_private": float(scores["top1_private"].mean()),
            "knn_dist": float(scores["knn_dist"].mean())}
