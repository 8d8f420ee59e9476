"""The VIB head (MID for neural networks): shapes, the KL term, the loss and the I(X; Z) bound."""

import math

import numpy as np
import pytest
import torch

import torch.nn.functional as F
from torch.distributions import Normal, kl_divergence

from midlib.defenses import VIBRegularizer, vib_head
from midlib.defenses.vib import (STD_SHIFT, VIBHead, find_vib, gaussian_kl, kl_bound_nats,
                                 mutual_information_mc, posterior)
from midlib.nn import make_classifier

torch.set_num_threads(2)


def test_shapes_and_no_state_between_calls():
    torch.manual_seed(0)
    head = VIBHead(10, 3, k=4)
    h = torch.randn(7, 10)
    before = dict(vars(head))
    logits = head(h)
    assert logits.shape == (7, 3)
    assert dict(vars(head)).keys() == before.keys(), "forward must not keep per-call state"
    mu, std = head.encode(h)
    assert mu.shape == std.shape == (7, 4)
    raw = head.encoder(h)
    assert torch.allclose(mu, raw[:, :4])
    assert torch.allclose(std, F.softplus(raw[:, 4:] - STD_SHIFT))
    assert (std > 0).all()
    logits, kl = head.forward_with_kl(h)
    assert logits.shape == (7, 3) and kl.shape == (7,)


def test_sampling_in_eval_mode_too():
    torch.manual_seed(0)
    head = VIBHead(5, 2, k=3).eval()
    with torch.no_grad():
        head.encoder.bias[3:] = 10.0  # large std so that draws differ visibly
        h = torch.randn(4, 5)
        a, b = head(h), head(h)
    assert not torch.allclose(a, b), "the VIB predictor must stay stochastic at inference"


def test_kl_against_closed_form_of_torch_distributions():
    torch.manual_seed(1)
    mu, std = torch.randn(6, 5), torch.rand(6, 5) + 0.1
    ours = gaussian_kl(mu, std)
    ref = kl_divergence(Normal(mu, std), Normal(torch.zeros(5), torch.ones(5))).sum(1)
    assert torch.allclose(ours, ref, atol=1e-5)
    # and against the hand formula for one record
    m, s = mu[0].double(), std[0].double()
    hand = 0.5 * float((m ** 2 + s ** 2 - 1 - 2 * torch.log(s)).sum())
    assert math.isclose(float(ours[0]), hand, rel_tol=1e-5)
    assert float(gaussian_kl(torch.zeros(1, 3), torch.ones(1, 3))) == pytest.approx(0.0, abs=1e-7)


def test_head_kl_is_closed_form():
    torch.manual_seed(2)
    head = VIBHead(8, 4, k=6)
    h = torch.randn(9, 8)
    _, kl = head.forward_with_kl(h)
    assert torch.allclose(kl, gaussian_kl(*head.encode(h)))


def test_regularizer_returns_logits_and_mean_kl():
    torch.manual_seed(3)
    model = make_classifier((8,), 4, hidden=(5,), head=vib_head(6), seed=0)
    x = torch.randn(9, 8)
    reg = VIBRegularizer(0.5)
    torch.manual_seed(7)
    logits, kl = reg(model, x)
    torch.manual_seed(7)
    assert torch.allclose(logits, model(x)), "the same draw as the model's own forward"
    mu, std = model.head.encode(model.features(x))
    assert torch.allclose(kl, gaussian_kl(mu, std).mean()) and reg.weight == 0.5
    (F.cross_entropy(logits, torch.zeros(9, dtype=torch.long)) + reg.weight * kl).backward()
    assert model.head.encoder.weight.grad is not None
    with pytest.raises(ValueError, match="beta"):
        VIBRegularizer(-1.0)
    with pytest.raises(ValueError, match="VIBHead"):
        reg.check(make_classifier((8,), 4, hidden=(5,)))


def test_kl_bound_nats_on_a_model():
    torch.manual_seed(4)
    model = make_classifier((6,), 3, hidden=(8,), head=vib_head(4), seed=0)
    X = torch.randn(20, 6)
    mu, std = posterior(model, X)
    assert kl_bound_nats(model, X) == pytest.approx(float(gaussian_kl(mu, std).mean()), rel=1e-5)
    with pytest.raises(ValueError, match="VIBHead"):
        kl_bound_nats(make_classifier((6,), 3, hidden=(8,)), X)


def test_mi_estimate_limits_and_bound():
    # identical posteriors: I(X; Z) = 0
    head = VIBHead(3, 2, k=2)
    with torch.no_grad():
        head.encoder.weight.zero_()
        head.encoder.bias.zero_()
        head.encoder.bias[2:] = 5.0 + math.log(math.e - 1)  # softplus(...) = 1
    est, se = mutual_information_mc(head, torch.randn(30, 3), n_z=8)
    assert abs(est) < 1e-9
    # well separated posteriors: I(X; Z) = log N
    head2 = VIBHead(3, 2, k=2)
    with torch.no_grad():
        head2.encoder.weight.zero_()
        head2.encoder.weight[:2, :] = torch.eye(3)[:2] * 100  # mu = 100 * x[:2]
        head2.encoder.bias.zero_()
    X = torch.randn(25, 3)
    est2, _ = mutual_information_mc(head2, X, n_z=4)
    assert est2 == pytest.approx(math.log(25), abs=1e-3)
    # the KL bound holds for a trained-looking random head with moderate std
    torch.manual_seed(5)
    head3 = VIBHead(4, 2, k=3)
    with torch.no_grad():
        head3.encoder.bias[3:] = 5.5
    X3 = torch.randn(60, 4)
    est3, se3 = mutual_information_mc(head3, X3, n_z=32)
    assert 0 <= est3 <= math.log(60) + 1e-9
    assert est3 <= kl_bound_nats(head3, X3) + 3 * se3


def test_bad_input():
    with pytest.raises(ValueError, match="k must be"):
        VIBHead(4, 2, k=0)
    head = VIBHead(4, 2, k=2)
    with pytest.raises(ValueError, match="shape"):
        head(torch.randn(3, 5))
    with pytest.raises(ValueError, match="NaN"):
        kl_bound_nats(head, np.full((3, 4), np.nan))
    with pytest.raises(ValueError, match="n_z"):
        mutual_information_mc(head, torch.randn(3, 4), n_z=0)
    assert find_vib(head) is head


def test_label_mutual_information():
    from midlib.defenses.vib import label_mutual_information
    torch.manual_seed(0)
    model = make_classifier((4,), 3, hidden=(8,), head=vib_head(2), seed=0)
    X = torch.randn(50, 4)
    i_y = label_mutual_information(model, X, n_draws=64)
    assert 0 <= i_y <= math.log(3) + 1e-9
    # a head whose z ignores x: Yhat independent of X
    with torch.no_grad():
        model.head.encoder.weight.zero_()
    assert label_mutual_information(model, X, n_draws=64) < 0.05


def test_formulation_is_pinned_to_the_official_code():
    """The official MID formulation, as one test: std = softplus(raw - 5) (about 0.0067 at
    raw = 0), z sampled in eval mode, KL = 0.5 sum(mu^2 + std^2 - 1 - log std^2), and the training
    loss = CE + beta * mean KL, with the betas of the official code and of the book."""
    from midlib.defenses import network_defense
    from midlib.nn import train_classifier

    assert STD_SHIFT == 5.0
    head = VIBHead(3, 2, k=2)
    with torch.no_grad():
        head.encoder.weight.zero_()
        head.encoder.bias.zero_()
    mu, std = head.encode(torch.zeros(1, 3))
    assert torch.allclose(std, torch.full((1, 2), math.log1p(math.exp(-5.0))))
    assert float(std.detach()[0, 0]) == pytest.approx(0.0067, abs=1e-4)
    # the KL term, by hand
    m, s = torch.tensor([[0.3, -1.0]]), torch.tensor([[0.5, 2.0]])
    hand = 0.5 * sum(mi ** 2 + si ** 2 - 1 - math.log(si ** 2)
                     for mi, si in zip([0.3, -1.0], [0.5, 2.0]))
    assert float(gaussian_kl(m, s)) == pytest.approx(hand, rel=1e-6)
    # sampling at inference, through the whole model in eval mode
    model = make_classifier((4,), 3, hidden=(), head=vib_head(2), seed=0).eval()
    with torch.no_grad():
        model.head.encoder.bias[2:] = 8.0
        x = torch.randn(5, 4)
        assert not torch.allclose(model(x), model(x))
    # loss = CE + beta * KL, for the official betas (0.003 CelebA, 0.01 CIFAR-10) and 0.02
    X, y = np.random.default_rng(0).normal(size=(12, 4)), np.arange(12) % 3
    for beta in (0.003, 0.01, 0.02):
        d = network_defense("MID", beta)
        net = make_classifier((4,), 3, hidden=(), head=d.head, seed=0)
        hist = train_classifier(net, X, y, epochs=1, batch_size=12, regularizer=d.regularizer,
                                seed=0).history
        assert float(hist.loss[0]) == pytest.approx(float(hist.ce[0] + beta * hist.kl[0]), rel=1e-5)
        assert float(hist.kl[0]) > 0
