"""MIFace recovers a planted identity from a trained classifier."""

import numpy as np
import pytest
import torch

from midlib.attacks.miface import MIFace, total_variation
from midlib.data import identity_templates, make_identity_faces
from midlib.nn import make_classifier, train_classifier

torch.set_num_threads(2)
N_ID, SIZE, SEED = 5, 12, 7


@pytest.fixture(scope="module")
def target():
    d = make_identity_faces(n_identities=N_ID, per_identity=20, size=SIZE, noise=0.1, random_state=SEED)
    model = make_classifier((SIZE, SIZE), N_ID, hidden=(32,), seed=0)
    train_classifier(model, d.images, d.target, epochs=60, lr=1e-2, batch_size=100, seed=0)
    return model, d


def nearest_template(recon, templates):
    """Index of the template most correlated with each reconstruction (centred images)."""
    r = recon.reshape(len(recon), -1)
    t = templates.reshape(len(templates), -1)
    r = r - r.mean(1, keepdims=True)
    t = t - t.mean(0, keepdims=True)  # remove the shared face oval
    corr = (r @ t.T) / (np.linalg.norm(r, axis=1)[:, None] * np.linalg.norm(t, axis=1)[None])
    return corr.argmax(1)


def test_miface_recovers_planted_identities(target):
    model, d = target
    templates = identity_templates(N_ID, SIZE, random_state=SEED)
    attack = MIFace(steps=200, lr=0.05, tv_weight=0.002, init=d.images.mean(0))
    recon = attack.invert(model, np.arange(N_ID))
    assert recon.shape == (N_ID, SIZE, SIZE)
    assert recon.min() >= 0 and recon.max() <= 1
    hits = nearest_template(recon - d.images.mean(0), templates) == np.arange(N_ID)
    assert hits.mean() >= 0.8, f"MIFace found {hits.sum()} of {N_ID} planted identities"
    # and the model is confident on its reconstructions
    with torch.no_grad():
        p = torch.softmax(model(torch.as_tensor(recon)), 1).numpy()
    assert (p.argmax(1) == np.arange(N_ID)).all()


def test_prob_objective_and_determinism(target):
    model, _ = target
    a = MIFace(steps=30, objective="prob", lr=0.5).invert(model, [0, 1])
    b = MIFace(steps=30, objective="prob", lr=0.5).invert(model, [0, 1])
    np.testing.assert_array_equal(a, b)
    assert all(p.requires_grad for p in model.parameters())


def test_total_variation():
    x = torch.zeros(2, 4, 4)
    x[1, :, 2:] = 1.0
    assert total_variation(x).tolist() == [0.0, 4.0]


def test_bad_input(target):
    model, _ = target
    with pytest.raises(ValueError, match="lr"):
        MIFace(lr=0).invert(model, [0])
    with pytest.raises(ValueError, match="objective"):
        MIFace(objective="x").invert(model, [0])
    with pytest.raises(ValueError, match="target labels"):
        MIFace(steps=2).invert(model, [N_ID])
    with pytest.raises(ValueError, match="init"):
        MIFace(steps=2, init=np.zeros((3, 3))).invert(model, [0])
    with pytest.raises(ValueError, match="empty"):
        MIFace(steps=2).invert(model, [])


def test_public_feature_frontend():
    """A fixed PCA extractor fitted on public images: no trainable parameters, gradients reach
    the pixels (MIFace works through it), DP-SGD trains the head and reports its epsilon."""
    from midlib.defenses.dp_sgd import DPConfig
    from midlib.nn import PCAFeatures, fit_pca_features

    d = make_identity_faces(n_identities=12, per_identity=10, size=SIZE, noise=0.1, random_state=SEED)
    private = d.target < N_ID
    pca = fit_pca_features(d.images[~private], 15)
    assert isinstance(pca, PCAFeatures) and pca.out_features == 15
    assert not list(pca.parameters())                       # buffers only: nothing is trained
    f = pca(torch.as_tensor(d.images[~private])).numpy()
    np.testing.assert_allclose(f.mean(0), 0, atol=1e-4)     # centred and whitened on the fit data
    np.testing.assert_allclose(f.std(0, ddof=1), 1, rtol=1e-3)
    back = pca.inverse(torch.as_tensor(f[:2]))
    assert back.shape == (2, SIZE, SIZE)
    model = make_classifier((SIZE, SIZE), N_ID, hidden=(), frontend=pca, seed=0)
    X, y = d.images[private], d.target[private]
    train_classifier(model, X, y, epochs=60, lr=1e-2, batch_size=50, seed=0)
    recon = MIFace(steps=100, lr=0.05, init=d.images[~private].mean(0)).invert(model, np.arange(N_ID))
    with torch.no_grad():
        p = torch.softmax(model(torch.as_tensor(recon)), 1).numpy()
    assert (p.argmax(1) == np.arange(N_ID)).all()
    dp_model = make_classifier((SIZE, SIZE), N_ID, hidden=(), frontend=pca, seed=0)
    res = train_classifier(dp_model, X, y, epochs=5, lr=1e-2, batch_size=25, seed=0,
                           privacy=DPConfig(epsilon=8.0))
    assert 0 < res.epsilon <= 8.0 + 1e-6
    torch.testing.assert_close(dp_model.body[0].components, pca.components)  # untouched


def test_public_feature_frontend_bad_input():
    from midlib.nn import fit_pca_features

    imgs = np.random.default_rng(0).random((10, 4, 4))
    with pytest.raises(ValueError, match="n_components"):
        fit_pca_features(imgs, 10)
    pca = fit_pca_features(imgs, 3)
    with pytest.raises(ValueError, match="conv"):
        make_classifier((4, 4), 3, frontend=pca, conv=(4,))
    trainable = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(16, 3))
    with pytest.raises(ValueError, match="out_features"):
        make_classifier((4, 4), 3, frontend=trainable)
    trainable.out_features = 3
    with pytest.raises(ValueError, match="fixed"):
        make_classifier((4, 4), 3, frontend=trainable)


def test_logit_objective_and_grid(target):
    """The logit-maximisation cost is -z_t; the grid returns its best setting's reconstructions."""
    from midlib.attacks.miface import miface_grid

    model, d = target
    x = torch.rand(2, SIZE, SIZE)
    t = torch.tensor([0, 3])
    with torch.no_grad():
        expected = -model(x).gather(1, t[:, None])[:, 0]
    torch.testing.assert_close(MIFace(objective="logit").costs(model, x, t), expected)
    templates = identity_templates(N_ID, SIZE, random_state=SEED)

    def score(images, labels):  # share of reconstructions nearest their own template
        with np.errstate(invalid="ignore"):  # a flat reconstruction has no correlation
            return float((nearest_template(images, templates) == np.asarray(labels)).mean())

    out = miface_grid(model, np.arange(N_ID), score, lrs=(0.02, 0.1), steps=60)
    assert len(out["grid"]) == 4 and out["success"] == max(s for _, _, s in out["grid"])
    assert out["success"] == score(out["images"], np.arange(N_ID))
    with pytest.raises(ValueError):
        miface_grid(model, [0], score, lrs=())
    with pytest.raises(ValueError, match="objective"):
        MIFace(objective="hinge").invert(model, [0])
