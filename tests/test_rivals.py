"""The networks' rival defences: label smoothing (positive and negative, NLS) and BiDO-HSIC, and
the training loop's hooks they use (a criterion with a schedule, a regularizer that sees labels)."""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from midlib.data import make_identity_faces
from midlib.defenses import (BiDOHead, BiDORegularizer, LabelSmoothingLoss, bido_head,
                             gaussian_gram, hsic, network_defense, smoothed_cross_entropy)
from midlib.nn import accuracy, make_classifier, train_classifier

torch.set_num_threads(2)


@pytest.fixture(scope="module")
def faces():
    d = make_identity_faces(n_identities=5, per_identity=12, size=8, noise=0.05, random_state=0)
    return d.images, d.target


# --- label smoothing -------------------------------------------------------------------------

def test_smoothed_ce_is_ce_against_smoothed_targets():
    torch.manual_seed(0)
    logits, y = torch.randn(6, 4), torch.tensor([0, 1, 2, 3, 0, 1])
    for alpha in (-0.05, 0.0, 0.1):
        target = (1 - alpha) * F.one_hot(y, 4).float() + alpha / 4
        hand = -(target * F.log_softmax(logits, 1)).sum(1).mean()
        assert torch.isclose(smoothed_cross_entropy(logits, y, alpha), hand, atol=1e-6)
    # positive smoothing agrees with torch's own
    assert torch.isclose(smoothed_cross_entropy(logits, y, 0.1),
                         F.cross_entropy(logits, y, label_smoothing=0.1), atol=1e-6)


def test_negative_smoothing_rewards_spread_logits():
    """With alpha < 0 the loss keeps falling as non-target logits are pushed down (unbounded)."""
    y = torch.tensor([0])
    losses = [float(smoothed_cross_entropy(torch.tensor([[0.0, -g, -g]]), y, -0.05))
              for g in (1.0, 10.0, 100.0)]
    assert losses[0] > losses[1] > losses[2] and losses[2] < 0


def test_nls_schedule_warms_up_then_ramps():
    loss = LabelSmoothingLoss(-0.05, warmup=0.5, ramp=0.25)
    factors = [loss.factor(e, 100) for e in range(100)]
    assert all(f == 0.0 for f in factors[:50])
    assert all(b <= a for a, b in zip(factors[50:], factors[51:]))  # non-increasing ramp
    assert factors[74] == pytest.approx(-0.05) and factors[-1] == -0.05
    assert LabelSmoothingLoss(0.05).factor(0, 100) == 0.05  # positive: from the start


@pytest.mark.parametrize("bad", [1.0, -1.0, float("nan"), "0.1", True])
def test_label_smoothing_rejects_bad_alpha(bad):
    with pytest.raises(ValueError):
        LabelSmoothingLoss(bad)


def test_training_calls_the_schedule_each_epoch(faces):
    X, y = faces
    calls = []

    class Spy(LabelSmoothingLoss):
        def start_epoch(self, epoch, epochs):
            calls.append((epoch, epochs))
            super().start_epoch(epoch, epochs)

    crit = Spy(-0.05)
    res = train_classifier(make_classifier(X.shape[1:], 5, hidden=(16,), seed=0), X, y,
                           epochs=4, criterion=crit, seed=0)
    assert calls == [(e, 4) for e in range(4)] and crit.current == -0.05
    assert len(res.history) == 4


def test_nls_trains_and_spreads_logits(faces):
    X, y = faces
    out = {}
    for alpha in (0.0, -0.05):
        d = network_defense("NLS", alpha)
        net = make_classifier(X.shape[1:], 5, hidden=(16,), seed=0)
        train_classifier(net, X, y, epochs=60, lr=1e-2, criterion=d.criterion, seed=0)
        with torch.no_grad():
            logits = net(torch.as_tensor(X, dtype=torch.float32))
        out[alpha] = (accuracy(net, X, y), float(logits.std()))
    assert out[-0.05][0] >= 0.9 and out[0.0][0] >= 0.9
    assert out[-0.05][1] > out[0.0][1], "negative smoothing spreads the logits"


# --- BiDO -----------------------------------------------------------------------------------

def test_hsic_matches_the_trace_formula_and_is_zero_for_independence():
    torch.manual_seed(0)
    x, z = torch.randn(9, 3), torch.randn(9, 2)
    K, L = gaussian_gram(x, 1.0), gaussian_gram(z, 1.0)
    H = torch.eye(9) - torch.ones(9, 9) / 9
    assert torch.isclose(hsic(K, L), torch.trace(K @ H @ L @ H) / 64, atol=1e-6)
    assert float(hsic(K, torch.ones(9, 9))) == pytest.approx(0.0, abs=1e-7)
    # on 200 records, a function of x depends on x far more than independent noise does
    x, z = torch.randn(200, 3), torch.randn(200, 3)
    Kx = gaussian_gram(x)
    dep, ind = hsic(Kx, gaussian_gram(torch.tanh(x))), hsic(Kx, gaussian_gram(z))
    assert dep > 10 * ind > 0
    with pytest.raises(ValueError):
        hsic(K, torch.ones(8, 8))


def test_bido_regularizer_term_is_hx_minus_ratio_hy(faces):
    X, y = faces
    torch.manual_seed(0)
    net = make_classifier(X.shape[1:], 5, hidden=(), head=bido_head(12), seed=0)
    reg = BiDORegularizer(0.3, ratio=4.0)
    xb, yb = torch.as_tensor(X[:20], dtype=torch.float32), torch.as_tensor(y[:20])
    logits, hx, hy = reg.terms(net, xb, yb)
    _, term = reg(net, xb, yb)
    assert torch.isclose(term, hx - 4.0 * hy) and reg.weight == 0.3 and reg.uses_labels
    z = F.relu(net.head.layers[0](net.features(xb)))
    ky = F.one_hot(yb, 5).float()
    assert torch.isclose(hx, hsic(gaussian_gram(xb), gaussian_gram(z)))
    assert torch.isclose(hy, hsic(gaussian_gram(z), ky @ ky.T))
    assert torch.allclose(logits, net(xb))


def test_bido_moves_both_dependences_the_right_way(faces):
    """Descending the penalty lowers HSIC(X, Z); descending the reward raises HSIC(Z, Y); and
    the defence trains end to end with a finite term."""
    X, y = faces
    xb, yb = torch.as_tensor(X, dtype=torch.float32), torch.as_tensor(y)
    reg = BiDORegularizer()
    for which, sign in ((1, 1.0), (2, -1.0)):
        net = make_classifier(X.shape[1:], 5, hidden=(), head=bido_head(12), seed=0)
        opt = torch.optim.Adam(net.parameters(), lr=1e-2)
        start = float(reg.terms(net, xb, yb)[which])
        for _ in range(30):
            opt.zero_grad()
            (sign * reg.terms(net, xb, yb)[which]).backward()
            opt.step()
        end = float(reg.terms(net, xb, yb)[which])
        assert (end < start) if sign > 0 else (end > start), (which, start, end)
    d = network_defense("BiDO", 0.1, bido_hidden=(12,))
    net = make_classifier(X.shape[1:], 5, hidden=(), head=d.head, seed=0)
    res = train_classifier(net, X, y, epochs=40, lr=1e-2, batch_size=len(y),
                           regularizer=d.regularizer, seed=0)
    assert np.isfinite(res.history.kl).all() and accuracy(net, X, y) >= 0.8


def test_bido_needs_its_head():
    with pytest.raises(ValueError, match="BiDOHead"):
        train_classifier(make_classifier((4,), 2, hidden=(3,), seed=0), np.zeros((4, 4)),
                         [0, 1, 0, 1], epochs=1, regularizer=BiDORegularizer())
    with pytest.raises(ValueError):
        BiDORegularizer(-1.0)
    with pytest.raises(ValueError):
        BiDOHead(4, 2, hidden=())


def test_registry_names_and_old_api():
    assert network_defense("NLS", -0.05).criterion.alpha == -0.05
    d = network_defense("BiDO", 0.05)
    assert d.regularizer.weight == 0.05 and d.regularizer.ratio == 10.0
    assert isinstance(d.head(6, 3), BiDOHead)
    assert network_defense("none").criterion is None
    assert network_defense("MID", 0.01).regularizer.beta == 0.01
    assert math.isclose(network_defense("DP", 2.0).privacy.epsilon, 2.0)
    with pytest.raises(ValueError, match="needs a strength"):
        network_defense("NLS")
    with pytest.raises(ValueError):
        network_defense("NLS", 1.5)
