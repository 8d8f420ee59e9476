"""DP-SGD through Opacus: configuration, accounting, compatibility."""

import math

import pytest
import torch

from midlib.defenses import VIBRegularizer, vib_head
from torch import nn

from midlib.data import make_identity_faces
from midlib.defenses.dp_sgd import DPConfig, make_private, noise_multiplier_for, rdp_epsilon
from midlib.nn import accuracy, make_classifier, train_classifier

torch.set_num_threads(2)


@pytest.fixture(scope="module")
def faces():
    d = make_identity_faces(n_identities=4, per_identity=25, size=8, noise=0.05, random_state=0)
    return d.images, d.target


def test_config_validation():
    assert DPConfig(epsilon=2.0).delta == 1e-5
    DPConfig(noise_multiplier=1.0)
    for bad in [dict(), dict(epsilon=1.0, noise_multiplier=1.0), dict(epsilon=0.0),
                dict(epsilon=-1.0), dict(epsilon=math.inf), dict(noise_multiplier=0.0),
                dict(epsilon=1.0, delta=0.0), dict(epsilon=1.0, delta=1.0),
                dict(epsilon=1.0, max_grad_norm=0.0)]:
        with pytest.raises(ValueError):
            DPConfig(**bad)


def test_target_epsilon_matches_the_accountant(faces):
    X, y = faces
    dp = DPConfig(epsilon=4.0, delta=1e-4)
    r = train_classifier(make_classifier((8, 8), 4, hidden=(16,), seed=0), X, y, epochs=5,
                         lr=1e-2, batch_size=50, privacy=dp, seed=0)
    assert r.delta == 1e-4 and r.sample_rate == pytest.approx(0.5)
    # the epsilon Opacus reports is the RDP accountant's epsilon of the steps taken ...
    assert r.epsilon == pytest.approx(rdp_epsilon(r.noise_multiplier, r.sample_rate, r.steps,
                                                  dp.delta), rel=1e-9)
    # ... and reaches the target (binary-search tolerance 0.01) without exceeding it
    assert r.steps == 10
    assert 4.0 - 0.05 <= r.epsilon <= 4.0 + 1e-9
    # the noise multiplier is Opacus's own search
    from opacus.accountants.utils import get_noise_multiplier
    assert r.noise_multiplier == pytest.approx(get_noise_multiplier(
        target_epsilon=4.0, target_delta=1e-4, sample_rate=0.5, epochs=5, accountant="rdp"))


def test_fixed_noise_multiplier_and_more_noise_less_epsilon(faces):
    X, y = faces
    eps = []
    for sigma in (0.8, 2.0):
        r = train_classifier(make_classifier((8, 8), 4, hidden=(16,), seed=0), X, y, epochs=3,
                             lr=1e-2, batch_size=50, privacy=DPConfig(noise_multiplier=sigma), seed=0)
        assert r.noise_multiplier == sigma
        eps.append(r.epsilon)
    assert eps[1] < eps[0]
    assert noise_multiplier_for(1.0, 1e-5, 0.5, 3) > noise_multiplier_for(8.0, 1e-5, 0.5, 3)


def test_dp_model_learns_and_is_a_plain_module(faces):
    X, y = faces
    m = make_classifier((8, 8), 4, hidden=(16,), seed=0)
    r = train_classifier(m, X, y, epochs=30, lr=2e-2, batch_size=50,
                         privacy=DPConfig(epsilon=50.0), seed=0)
    assert r.model is m
    assert accuracy(m, X, y) >= 0.7
    assert not any(hasattr(p, "grad_sample") and p.grad_sample is not None for p in m.parameters())
    # the returned model is plain: gradients with respect to the input work (attacks need this)
    x = torch.rand(1, 8, 8, requires_grad=True)
    m(x)[0, 0].backward()
    assert x.grad is not None


def test_vib_model_trains_under_dp(faces):
    X, y = faces
    m = make_classifier((8, 8), 4, hidden=(16,), head=vib_head(4), seed=0)
    r = train_classifier(m, X, y, epochs=2, batch_size=50, regularizer=VIBRegularizer(0.01),
                         privacy=DPConfig(noise_multiplier=1.0), seed=0)
    assert r.history.kl.notna().all() and r.epsilon > 0


def test_batchnorm_is_rejected(faces):
    X, y = faces
    model = nn.Sequential(nn.Flatten(), nn.Linear(64, 8), nn.BatchNorm1d(8), nn.Linear(8, 4))
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    loader = torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(torch.as_tensor(X), torch.as_tensor(y)), batch_size=10)
    with pytest.raises(ValueError, match="GroupNorm"):
        make_private(model, opt, loader, DPConfig(epsilon=1.0), epochs=1)
    with pytest.raises(TypeError):
        make_private(model, opt, loader, {"epsilon": 1.0}, epochs=1)


def test_rdp_epsilon_validation():
    assert rdp_epsilon(1.0, 0.1, 100, 1e-5) > rdp_epsilon(1.0, 0.1, 10, 1e-5)
    with pytest.raises(ValueError):
        rdp_epsilon(1.0, 0.0, 10, 1e-5)
    with pytest.raises(ValueError):
        rdp_epsilon(1.0, 0.1, 0, 1e-5)
