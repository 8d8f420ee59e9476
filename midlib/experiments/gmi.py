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
    """Train a target classifier on the private training digits of ``split``.

    The defence is none (``defense="none"``), MID (a VIB head, ``strength`` = beta) or DP-SGD
    (``strength`` = epsilon, delta 1e-5, clipping norm 1). The architecture is a small CNN
    (``conv`` channels, GroupNorm, then ``hidden`` units); DP-SGD runs with larger batches and
    learning rate (``dp_batch_size``, ``dp_lr``), as DP-SGD usually needs.

    Parameters
    ----------
    split : dict
        The GMI split of :func:`midlib.data.mnist_split`: its ``train`` and ``test``
        ``(images, labels)`` pairs of private digits and its ``private_classes``.
    defense : {"none", "MID", "DP"}, default="none"
        The defence.
    strength : float, default=None
        beta (MID) or epsilon (DP); positive, and required unless ``defense`` is "none".
    epochs : int, default=10
        Training epochs.
    conv : tuple of int, default=(16, 32)
        Channels of the convolution blocks.
    hidden : tuple of int, default=(64,)
        Hidden widths after the convolutions.
    vib_k : int, default=32
        MID's bottleneck dimension.
    lr : float, default=1e-3
        Adam's learning rate without DP.
    batch_size : int, default=64
        Batch size without DP.
    dp_batch_size : int, default=256
        Expected batch size under DP-SGD.
    dp_lr : float, default=4e-3
        Adam's learning rate under DP-SGD.
    seed : int, default=0
        Seeds the initialisation, the training and the accuracy's draws.

    Returns
    -------
    model : Classifier
        The trained target.
    info : dict
        ``model_acc`` (accuracy on the held-out private digits, one draw of a VIB per
        prediction), ``train_acc``, ``epsilon`` (spent, DP only; NaN otherwise) and
        ``train_seconds``.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> x, y = rng.random((12, 8, 8)).astype(np.float32), np.arange(12) % 2
    >>> split = {"train": (x, y), "test": (x[:4], y[:4]), "all": (x, np.arange(12) % 3),
    ...          "private_classes": [0, 1]}
    >>> model, info = train_target(split, epochs=1, conv=(2,), hidden=(4,))
    >>> model.n_classes, sorted(info)
    (2, ['epsilon', 'model_acc', 'train_acc', 'train_seconds'])
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
    """The evaluation classifier: a small CNN (wider than the targets) on all ten digits.

    It is trained on *all ten* digits of ``split["all"]``, so that top-1 and top-5 are read
    among ten classes and a reconstruction that looks like a public digit counts as a failure.

    Parameters
    ----------
    split : dict
        The GMI split of :func:`midlib.data.mnist_split`: its ``all`` ``(images, labels)``
        pair (labels: the digits) and its ``private_classes``.
    epochs : int, default=10
        Training epochs.
    conv : tuple of int, default=(32, 64)
        Channels of the convolution blocks.
    hidden : tuple of int, default=(128,)
        Hidden widths after the convolutions.
    seed : int, default=0
        Seeds the initialisation and the training.

    Returns
    -------
    model : Classifier
        The trained evaluation classifier (ten classes).
    class_map : dict of int to int
        Maps the target's class indices to digits.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> x, y = rng.random((12, 8, 8)).astype(np.float32), np.arange(12) % 2
    >>> split = {"train": (x, y), "test": (x[:4], y[:4]), "all": (x, np.arange(12) % 3),
    ...          "private_classes": [0, 1]}
    >>> model, class_map = train_evaluation_classifier(split, epochs=1, conv=(2,), hidden=(4,))
    >>> model.n_classes, class_map
    (10, {0: 0, 1: 1})
    """
    x, y = split["all"]
    model = make_classifier(x.shape[1:], 10, conv=conv, hidden=hidden, seed=seed)
    res = train_classifier(model, x, y, epochs=epochs, batch_size=64, seed=seed)
    class_map = {i: c for i, c in enumerate(split["private_classes"])}
    return res.model, class_map


def attack_summary(scores: pd.DataFrame) -> dict:
    """Attack top-1, top-5 (over all reconstructions) and mean KNN distance of a scored run.

    Parameters
    ----------
    scores : pandas.DataFrame
        One row per reconstruction with the columns ``top1``, ``top5``, ``top1_private`` and
        ``knn_dist`` (as :func:`midlib.attacks.evaluate_reconstructions` returns them).

    Returns
    -------
    dict of str to float
        ``attack_top1``, ``attack_top5``, ``attack_top1_private`` (the means of the hits) and
        ``knn_dist`` (the mean KNN distance).

    Examples
    --------
    >>> import pandas as pd
    >>> scores = pd.DataFrame({"top1": [1.0, 0.0], "top5": [1.0, 1.0],
    ...                        "top1_private": [1.0, 1.0], "knn_dist": [2.0, 4.0]})
    >>> attack_summary(scores)
    {'attack_top1': 0.5, 'attack_top5': 1.0, 'attack_top1_private': 1.0, 'knn_dist': 3.0}
    """
    return {"attack_top1": float(scores["top1"].mean()), "attack_top5": float(scores["top5"].mean()),
            "attack_top1_private": float(scores["top1_private"].mean()),
            "knn_dist": float(scores["knn_dist"].mean())}
