"""The neural-network chapter's protocol (the paper's Fig. 2c): the AT&T faces split into private
people (the target's classes) and public people (the attacker's and the defender's auxiliary
data), a target with no defence, MID (VIB), DP-SGD, label smoothing (negative: NLS) or BiDO on
public eigenface features, and the MIFace and Knowledge Alignment attacks (each at its strongest:
MIFace over a grid of costs and step sizes, Knowledge Alignment averaging k queries of a
stochastic target) scored by a separate evaluation classifier."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from midlib.attacks.alignment import KnowledgeAlignment
from midlib.attacks.miface import miface_grid
from midlib.data.images import load_olivetti
from midlib.defenses.registry import network_defense
from midlib.defenses.vib import kl_bound_nats, label_mutual_information, mutual_information_mc
from midlib.metrics import score_reconstructions, train_evaluator
from midlib.nn import PCAFeatures, TrainResult, accuracy, fit_pca_features, make_classifier, train_classifier

__all__ = ["FacesSetup", "setup", "run"]


@dataclass
class FacesSetup:
    """The data and the fixed parts of the faces experiment.

    Parameters
    ----------
    X : ndarray of shape (400, 32, 32)
        The faces, average-pooled to 32x32, in [0, 1].
    y : ndarray of shape (400,)
        The person of each face.
    train, held, public : ndarray of shape (400,)
        Masks: the private people's first six photos (the target's training set), their other
        four (held out), and the public people's photos.
    pca : PCAFeatures
        The defender's fixed eigenface features, fitted on the public people only.
    evaluator : TrainResult
        The evaluation classifier, trained on every private photo.
    public_mean : ndarray of shape (32, 32)
        The average public face (the attacker's prior guess).
    n_classes : int
        The number of private people. (The property ``shape`` is ``X.shape[1:]``.)

    Examples
    --------
    >>> faces = setup(n_components=5, eval_epochs=1)
    >>> faces.shape, int(faces.train.sum()), int(faces.held.sum()), int(faces.public.sum())
    ((32, 32), 120, 80, 200)
    """

    X: np.ndarray
    y: np.ndarray
    train: np.ndarray
    held: np.ndarray
    public: np.ndarray
    pca: PCAFeatures
    evaluator: TrainResult
    public_mean: np.ndarray
    n_classes: int = 20

    @property
    def shape(self) -> tuple:
        """The image shape."""
        return self.X.shape[1:]


def setup(n_components: int = 50, eval_epochs: int = 80, seed: int = 0,
          n_private: int = 20) -> FacesSetup:
    """Load and split the faces, fit the public eigenfaces and train the evaluation classifier.

    Parameters
    ----------
    n_components : int, default=50
        Eigenfaces of the defender's feature extractor.
    eval_epochs : int, default=80
        Training epochs of the evaluation classifier.
    seed : int, default=0
        Seeds the evaluation classifier.
    n_private : int, default=20
        People 0..n_private-1 are private, the others public.

    Returns
    -------
    FacesSetup

    Examples
    --------
    >>> setup(n_components=5, eval_epochs=1).pca.out_features
    5
    """
    data = load_olivetti()
    X = F.avg_pool2d(torch.as_tensor(data.images)[:, None], 2)[:, 0].numpy()
    y = data.target
    slot = np.arange(len(y)) % 10          # which of the person's ten photos
    private = y < n_private
    train, held, public = private & (slot < 6), private & (slot >= 6), ~private
    pca = fit_pca_features(X[public], n_components)
    evaluator = train_evaluator(X[private], y[private], epochs=eval_epochs, seed=seed)
    return FacesSetup(X, y, train, held, public, pca, evaluator, X[public].mean(0), n_private)


def run(defense: str, strength: float, seed: int, *, faces: FacesSetup, epochs: int = 150,
        lr: float = 1e-2, dp_epochs: int = 100, dp_lr: float = 3e-2, dp_batch: int = 120,
        miface_steps: int = 200, miface_lrs=(0.01, 0.05, 0.2),
        miface_objectives=("logprob", "logit"), miface_draws: int = 8, ka_epochs: int = 100,
        ka_ks=(1, 4, 16, 64), mi_draws: int = 8, label_draws: int = 128,
        store: dict | None = None) -> list[dict]:
    """One point of Fig. 2c: train a defended target on the private faces and attack it.

    Parameters
    ----------
    defense : {"none", "MID", "DP", "NLS", "BiDO"}
        The defense (see :func:`midlib.defenses.network_defense`): none, a VIB head with
        ``beta = strength``, DP-SGD with ``epsilon = strength``, label smoothing with
        ``alpha = strength`` (negative: NLS) or BiDO-HSIC with ``lambda_x = strength``.
    strength : float
        The defense's knob; ignored for "none".
    seed : int
        Seeds the network, its training and the attacks.
    faces : FacesSetup
        From :func:`setup`.
    epochs, lr : int, float
        Full-batch training of every target but DP's.
    dp_epochs, dp_lr, dp_batch : int, float, int
        DP-SGD training.
    miface_steps : int
        Gradient steps of MIFace.
    miface_lrs, miface_objectives : tuple
        MIFace's grid of step sizes and costs; the best setting is reported
        (:func:`midlib.attacks.miface.miface_grid`).
    miface_draws : int
        Draws of a stochastic (MID) target averaged per MIFace step.
    ka_epochs : int
        Training epochs of Knowledge Alignment's decoder.
    ka_ks : tuple of int
        Queries averaged per prediction vector by the adaptive Knowledge Alignment attacker
        against a stochastic (MID) target; a deterministic target is attacked with one query.
    mi_draws, label_draws : int
        Monte-Carlo draws of the I(X; Z) and I(X; Yhat) estimates (MID only).
    store : dict, default=None
        If given, ``store["models"][key]`` and ``store["recons"][key]`` (key = (defense,
        strength, seed)) receive the trained model and the reconstructions of each person's
        first training photo (Knowledge Alignment, its strongest k) and of each person (MIFace).

    Returns
    -------
    list of dict
        One row per attacked split ("train", "held-out"): ``method``, ``param``, ``seed``,
        ``epsilon``, accuracies (%), the MID information terms, MIFace's best top-1/top-5
        accuracy (%), SSIM, KNN distance and setting, and Knowledge Alignment's top-1
        accuracy for each k (``ka_top1_k{k}``), the best over k (``ka_top1``, with its
        top-5, SSIM and KNN distance, and ``ka_k``), and the numbers of attacked records
        (``ka_n``, ``miface_n``).

    Examples
    --------
    >>> faces = setup(n_components=5, eval_epochs=1)
    >>> rows = run("MID", 0.01, 0, faces=faces, epochs=2, miface_steps=2, ka_epochs=1,
    ...            mi_draws=1, label_draws=2, ka_ks=(1, 2), miface_lrs=(0.05,))
    >>> [r["split"] for r in rows], sorted(k for k in rows[0] if k.startswith("ka_top1_k"))
    (['train', 'held-out'], ['ka_top1_k1', 'ka_top1_k2'])
    """
    f = faces
    d = network_defense(defense, None if defense == "none" else strength)
    stochastic = defense == "MID"
    X, y, train, held = f.X, f.y, f.train, f.held
    private = train | held
    model = make_classifier(f.shape, f.n_classes, hidden=(), frontend=f.pca, head=d.head, seed=seed)
    if defense == "DP":
        res = train_classifier(model, X[train], y[train], epochs=dp_epochs, lr=dp_lr,
                               batch_size=dp_batch, privacy=d.privacy, seed=seed)
    else:
        res = train_classifier(model, X[train], y[train], epochs=epochs, lr=lr,
                               batch_size=int(train.sum()), regularizer=d.regularizer,
                               criterion=d.criterion, seed=seed)
    row = dict(method=defense, param=strength, seed=seed, epsilon=res.epsilon,
               train_seconds=res.seconds,
               acc_train=100 * accuracy(model, X[train], y[train], seed=seed),
               acc_held=100 * accuracy(model, X[held], y[held], seed=seed))
    if stochastic:
        row["kl_bound"] = kl_bound_nats(model, X[train])
        row["i_xz"], row["i_xz_se"] = mutual_information_mc(model, X[train], n_z=mi_draws, seed=seed)
        row["i_xy"] = label_mutual_information(model, X[train], n_draws=label_draws, seed=seed)

    def scores(rec, labels):
        return score_reconstructions(rec, labels, evaluator=f.evaluator, private_images=X[private],
                                     private_labels=y[private])

    targets = np.arange(f.n_classes)
    mf = miface_grid(model, targets, lambda im, t: scores(im, t).top1.mean(),
                     objectives=miface_objectives, lrs=miface_lrs, steps=miface_steps,
                     init=f.public_mean, n_samples=miface_draws if stochastic else 1, seed=seed)
    sc = scores(mf["images"], targets)
    row.update(miface_top1=100 * sc.top1.mean(), miface_top5=100 * sc.top5.mean(),
               miface_ssim=sc.ssim.mean(), miface_knn=sc.knn_feature.mean(),
               miface_objective=mf["objective"], miface_lr=mf["lr"], miface_n=len(targets))
    first_photo = (np.arange(len(y)) % 10)[train] == 0
    by_k = {}
    for k in (ka_ks if stochastic else ka_ks[:1]):
        # a stochastic target's auxiliary images are queried 4 times in all (k = 1: 4 vectors)
        ka = KnowledgeAlignment(hidden=(256,), epochs=ka_epochs,
                                n_queries=max(1, 4 // int(k)) if stochastic else 1,
                                n_average=int(k), log_input=False, seed=seed).fit(model, X[f.public])
        by_k[int(k)] = {split: (rec := ka.invert(model, X[mask], seed=seed), scores(rec, y[mask]))
                        for split, mask in (("train", train), ("held-out", held))}
    rows = []
    for split, mask in (("train", train), ("held-out", held)):
        k_best = max(by_k, key=lambda k: by_k[k][split][1].top1.mean())
        rec, sc = by_k[k_best][split]
        rows.append(dict(row, split=split, ka_top1=100 * sc.top1.mean(), ka_k=k_best,
                         ka_top5=100 * sc.top5.mean(), ka_ssim=sc.ssim.mean(),
                         ka_knn=sc.knn_feature.mean(), ka_n=int(mask.sum()),
                         **{f"ka_top1_k{k}": 100 * v[split][1].top1.mean() for k, v in by_k.items()}))
        if split == "train" and store is not None:
            store.setdefault("recons", {})[(defense, strength, seed)] = dict(
                ka=rec[first_photo], miface=mf["images"])
    if store is not None:
        store.setdefault("models", {})[(defense, strength, seed)] = model
    return rows
