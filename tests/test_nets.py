"""Small classifiers and their training loop (plain and MID)."""

import numpy as np
import pytest
import torch

from torch import nn

from midlib.defenses import VIBRegularizer, vib_head

from midlib.data import make_identity_faces
from midlib.defenses.vib import VIBHead, kl_bound_nats
from midlib.nn import accuracy, make_classifier, predict_proba, train_classifier

torch.set_num_threads(2)


@pytest.fixture(scope="module")
def faces():
    d = make_identity_faces(n_identities=5, per_identity=12, size=8, noise=0.05, random_state=0)
    return d.images, d.target


@pytest.mark.parametrize("shape,kw", [((8, 8), {}), ((1, 8, 8), {"conv": (4,)}),
                                      ((8, 8), {"conv": (4, 8)}), ((64,), {"head": vib_head(5)})])
def test_shapes(shape, kw):
    model = make_classifier(shape, 5, hidden=(16,), seed=0, **kw)
    out = model(torch.rand(3, *shape))
    assert out.shape == (3, 5)
    assert isinstance(model.head, VIBHead) == ("head" in kw)
    assert not any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in model.modules())
    from opacus.validators import ModuleValidator
    assert ModuleValidator.validate(model, strict=False) == []


def test_vib_replaces_last_layer():
    model = make_classifier((8, 8), 5, hidden=(16,), head=vib_head(7), seed=0)
    assert isinstance(model.head, VIBHead) and model.head.k == 7 and model.head.in_features == 16


def test_seeded_init_is_deterministic():
    a = make_classifier((8, 8), 5, seed=3)
    b = make_classifier((8, 8), 5, seed=3)
    c = make_classifier((8, 8), 5, seed=4)
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))
    assert not all(torch.equal(p, q) for p, q in zip(a.parameters(), c.parameters()))


def test_plain_training_learns_and_is_reproducible(faces):
    X, y = faces
    res = [train_classifier(make_classifier((8, 8), 5, hidden=(32,), seed=0), X, y,
                            epochs=60, lr=1e-2, batch_size=30, seed=1) for _ in range(2)]
    assert accuracy(res[0].model, X, y) >= 0.95
    assert res[0].epsilon is None and res[0].delta is None
    assert list(res[0].history.columns[:4]) == ["epoch", "loss", "ce", "kl"]
    assert len(res[0].history) == 60
    assert res[0].history.loss.iloc[-1] < res[0].history.loss.iloc[0]
    pd_equal = res[0].history.loss.to_numpy() == pytest.approx(res[1].history.loss.to_numpy())
    assert pd_equal


def test_vib_training_beta_controls_kl(faces):
    X, y = faces
    kls, accs = [], []
    for beta in (0.0, 0.1):
        m = make_classifier((8, 8), 5, hidden=(32,), head=vib_head(8), seed=0)
        r = train_classifier(m, X, y, epochs=80, lr=1e-2, batch_size=60, regularizer=VIBRegularizer(beta), seed=0)
        kls.append(kl_bound_nats(m, X))
        accs.append(accuracy(m, X, y, n_samples=8, seed=0))
        assert r.history.kl.notna().all()
    assert kls[1] < kls[0] / 2, f"beta should shrink the KL bound: {kls}"
    assert min(accs) >= 0.8


def test_predict_proba(faces):
    X, y = faces
    m = make_classifier((8, 8), 5, hidden=(8,), head=vib_head(3), seed=0)
    p = predict_proba(m, X, n_samples=4, seed=0)
    assert p.shape == (len(X), 5)
    np.testing.assert_allclose(p.sum(1), 1.0, atol=1e-5)
    np.testing.assert_array_equal(p, predict_proba(m, X, n_samples=4, seed=0))


def test_bad_input(faces):
    X, y = faces
    m = make_classifier((8, 8), 5, seed=0)
    with pytest.raises(ValueError, match="VIBHead"):
        train_classifier(m, X, y, epochs=1, regularizer=VIBRegularizer(0.1))
    with pytest.raises(ValueError, match="NaN"):
        train_classifier(m, np.full_like(X, np.nan), y, epochs=1)
    with pytest.raises(ValueError, match="labels"):
        train_classifier(m, X, y + 5, epochs=1)
    with pytest.raises(ValueError, match="y must have shape"):
        train_classifier(m, X, y[:-1], epochs=1)
    with pytest.raises(ValueError, match="epochs"):
        train_classifier(m, X, y, epochs=0)
    with pytest.raises(ValueError, match="beta"):
        VIBRegularizer(-1)
    with pytest.raises(TypeError, match="make_private"):
        train_classifier(m, X, y, epochs=1, privacy={"epsilon": 1})
    with pytest.raises(ValueError, match="shape"):
        m(torch.rand(2, 9, 9))
    with pytest.raises(ValueError, match="n_classes"):
        make_classifier((8, 8), 1)
    with pytest.raises(ValueError, match="input_shape"):
        make_classifier((0, 8), 3)
    with pytest.raises(ValueError, match="conv"):
        make_classifier((64,), 3, conv=(4,))
