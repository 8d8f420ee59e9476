"""Knowledge Alignment recovers planted identities from prediction vectors."""

import numpy as np
import pytest
import torch

from midlib.attacks.alignment import KnowledgeAlignment, truncate_top
from midlib.data import identity_templates, make_identity_faces
from midlib.nn import fit_pca_features, make_classifier, train_classifier

torch.set_num_threads(2)
N_ID, SIZE, SEED = 6, 12, 11


def test_truncate_top():
    p = np.array([[0.1, 0.5, 0.4], [0.7, 0.2, 0.1]])
    np.testing.assert_allclose(truncate_top(p, 1), [[0, 0.5, 0], [0.7, 0, 0]])
    np.testing.assert_allclose(truncate_top(p, None), p)
    with pytest.raises(ValueError):
        truncate_top(p, 0)


def test_alignment_recovers_planted_identities():
    d = make_identity_faces(n_identities=N_ID, per_identity=20, size=SIZE, noise=0.1, random_state=SEED)
    private = np.arange(len(d.target)) % 20 < 12     # the target's training records
    model = make_classifier((SIZE, SIZE), N_ID, hidden=(32,), seed=0)
    train_classifier(model, d.images[private], d.target[private], epochs=60, lr=1e-2,
                     batch_size=100, seed=0)
    # the adversary's auxiliary data: other images of the same population (disjoint records)
    attack = KnowledgeAlignment(hidden=(64,), epochs=150, seed=0).fit(model, d.images[~private])
    assert attack.loss_history_[-1] < attack.loss_history_[0]
    recon = attack.invert(model, d.images[private])
    assert recon.shape == (private.sum(), SIZE, SIZE)
    templates = identity_templates(N_ID, SIZE, random_state=SEED)
    dist = ((recon[:, None] - templates[None]) ** 2).reshape(len(recon), N_ID, -1).mean(-1)
    hits = dist.argmin(1) == d.target[private]
    assert hits.mean() >= 0.9, f"only {hits.mean():.2f} of the reconstructions match"
    # a decoder fed uninformative (uniform) vectors cannot tell identities apart
    flat = attack.invert_vectors(np.full((N_ID, N_ID), 1 / N_ID))
    assert np.allclose(flat, flat[0], atol=1e-6)


def test_bad_input():
    ka = KnowledgeAlignment(epochs=1)
    with pytest.raises(ValueError, match="fit"):
        ka.invert_vectors(np.ones((1, 3)) / 3)
    model = make_classifier((4, 4), 3, hidden=(4,), seed=0)
    ka.fit(model, np.random.default_rng(0).random((5, 4, 4)))
    with pytest.raises(ValueError, match="shape"):
        ka.invert_vectors(np.ones((1, 4)) / 4)
    with pytest.raises(ValueError, match="NaN"):
        ka.fit(model, np.full((5, 4, 4), np.nan))
    with pytest.raises(ValueError, match="positive"):
        KnowledgeAlignment(epochs=0).fit(model, np.zeros((5, 4, 4)))


def test_alignment_across_identities_with_public_features():
    """The realistic setting: the decoder is trained on *other* identities (public data) and
    still reconstructs the private ones from the target's prediction vectors."""
    n_private, n_all = 6, 30
    d = make_identity_faces(n_identities=n_all, per_identity=10, size=SIZE, noise=0.1, random_state=SEED)
    private = d.target < n_private
    pca = fit_pca_features(d.images[~private], 20)          # public features
    model = make_classifier((SIZE, SIZE), n_private, hidden=(), frontend=pca, seed=0)
    train_classifier(model, d.images[private], d.target[private], epochs=100, lr=1e-2,
                     batch_size=100, seed=0)
    attack = KnowledgeAlignment(hidden=(64,), epochs=150, log_input=False, seed=0)
    attack.fit(model, d.images[~private])                  # no private identity in the aux data
    recon = attack.invert(model, d.images[private])
    templates = identity_templates(n_all, SIZE, random_state=SEED)[:n_private]
    dist = ((recon[:, None] - templates[None]) ** 2).reshape(len(recon), n_private, -1).mean(-1)
    hits = (dist.argmin(1) == d.target[private]).mean()
    assert hits >= 0.6, f"only {hits:.2f} of the private identities recovered (chance 1/6)"


def test_adaptive_attacker_averages_queries():
    """n_average = k makes each vector the mean of k draws of a stochastic (VIB) target: its
    spread around the mean prediction shrinks about k-fold in variance; a deterministic target
    gives the same vector for every k."""
    from midlib.defenses import vib_head

    x = np.random.default_rng(0).random((30, 4, 4))
    vib = make_classifier((4, 4), 3, hidden=(8,), head=vib_head(4), seed=0)
    with torch.no_grad():
        vib.head.encoder.bias[4:] = 6.0  # std = softplus(1), visibly noisy
    spread = {}
    for k in (1, 16):
        draws = np.stack([KnowledgeAlignment(n_average=k).query(vib, x, seed=s) for s in range(20)])
        spread[k] = draws.var(0).mean()
    assert spread[16] < spread[1] / 5
    plain = make_classifier((4, 4), 3, hidden=(8,), seed=0)
    np.testing.assert_allclose(KnowledgeAlignment(n_average=8).query(plain, x),
                               KnowledgeAlignment().query(plain, x), rtol=1e-5, atol=1e-7)
    with pytest.raises(ValueError, match="n_average"):
        KnowledgeAlignment(n_average=0).query(plain, x)
