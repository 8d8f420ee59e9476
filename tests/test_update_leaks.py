"""Update-Leaks (Salem et al. 2020): label inference from a one-record model update."""

import math

import numpy as np
import pytest
import torch

from midlib.defenses import VIBRegularizer, find_vib, vib_head
from midlib.data import digits_split
from midlib.experiments.update_leaks import run as run_update_leaks

from midlib.attacks.update_leaks import (
    UpdateConfig, UpdateLeaksAttack, label_inference_bound, posterior_change,
    simulate_updates, update_model,
)
from midlib.defenses.dp_sgd import DPConfig, noise_multiplier_for, rdp_epsilon
from midlib.nn import make_classifier, train_classifier

torch.set_num_threads(2)


def blobs(n, seed, d=6, k=3):
    """Three well separated Gaussian classes in d dimensions (a planted problem)."""
    rng = np.random.default_rng(seed)
    centres = np.random.default_rng(123).normal(0, 1.0, size=(k, d))
    y = rng.integers(0, k, size=n)
    X = (centres[y] + 0.3 * rng.normal(size=(n, d))).astype(np.float32)
    return X, y


@pytest.fixture(scope="module")
def planted():
    """Target and shadow models trained the same way on disjoint synthetic data, a probe set."""
    (xt, yt), (xs, ys), (xp, _) = blobs(120, 1), blobs(120, 2), blobs(20, 3)
    target = train_classifier(make_classifier((6,), 3, hidden=(16,), seed=0), xt, yt,
                              epochs=20, seed=0).model
    shadow = train_classifier(make_classifier((6,), 3, hidden=(16,), seed=1), xs, ys,
                              epochs=20, seed=1).model
    return dict(target=target, shadow=shadow, xt=xt, yt=yt, xs=xs, ys=ys, probe=xp)


def test_update_copies_and_changes(planted):
    model = planted["target"]
    before = [p.detach().clone() for p in model.parameters()]
    new = update_model(model, planted["xt"][:1], planted["yt"][:1], UpdateConfig(steps=3, lr=0.1))
    assert all(torch.equal(a, p) for a, p in zip(before, model.parameters())), "original changed"
    assert any(not torch.equal(a, p) for a, p in zip(before, new.parameters())), "copy unchanged"


def test_update_is_deterministic_with_seed(planted):
    m, x, y = planted["target"], planted["xt"][:1], planted["yt"][:1]
    cfg = UpdateConfig(steps=2, dp=DPConfig(epsilon=2.0))
    a, b = update_model(m, x, y, cfg, seed=5), update_model(m, x, y, cfg, seed=5)
    c = update_model(m, x, y, cfg, seed=6)
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))
    assert any(not torch.equal(p, q) for p, q in zip(a.parameters(), c.parameters()))


def test_update_raises_the_update_label(planted):
    """One SGD update on (x, y) raises the probability of y on the probe set on average."""
    m, probe = planted["target"], planted["probe"]
    for label in range(3):
        new = update_model(m, planted["xt"][:1], np.array([label]), UpdateConfig(steps=5, lr=0.2))
        delta = posterior_change(m, new, probe).reshape(len(probe), 3).mean(0)
        assert delta.argmax() == label


def test_attack_recovers_planted_labels(planted):
    cfg = UpdateConfig(steps=5, lr=0.1)
    f_sh, l_sh = simulate_updates(planted["shadow"], planted["xs"], planted["ys"],
                                  planted["probe"], cfg, 90, seed=0)
    f_t, l_t = simulate_updates(planted["target"], planted["xt"], planted["yt"],
                                planted["probe"], cfg, 60, seed=1)
    acc = UpdateLeaksAttack().fit(f_sh, l_sh).score(f_t, l_t)
    assert acc > 0.8, f"attack accuracy {acc:.2f} should be far above chance 1/3"


def test_dp_update_bounds_the_attack(planted):
    """An update that is (eps, delta)-DP for replacing the update record allows label
    inference with probability at most e^eps max_c pi_c + delta."""
    cfg = UpdateConfig(steps=5, lr=0.1, dp=DPConfig(noise_multiplier=60.0, delta=1e-3))
    eps = cfg.replacement_epsilon()
    assert eps < 0.5
    f_sh, l_sh = simulate_updates(planted["shadow"], planted["xs"], planted["ys"],
                                  planted["probe"], cfg, 90, seed=0)
    f_t, l_t = simulate_updates(planted["target"], planted["xt"], planted["yt"],
                                planted["probe"], cfg, 90, seed=1)
    acc = UpdateLeaksAttack().fit(f_sh, l_sh).score(f_t, l_t)
    prior = np.bincount(planted["yt"]).max() / len(planted["yt"])
    bound = label_inference_bound(eps, 1e-3, np.bincount(planted["yt"]) / len(planted["yt"]))
    assert bound == pytest.approx(math.exp(eps) * prior + 1e-3)
    slack = 3 * math.sqrt(0.25 / 90)
    assert acc <= bound + slack, f"DP update: attack {acc:.2f} above bound {bound:.2f} + {slack:.2f}"


def test_dp_epsilon_matches_opacus_accountant():
    cfg = UpdateConfig(steps=4, dp=DPConfig(epsilon=1.5, delta=1e-5))
    sigma = cfg.noise_multiplier()
    assert sigma == pytest.approx(noise_multiplier_for(1.5, 1e-5, 1.0, 4))
    assert cfg.epsilon() == pytest.approx(rdp_epsilon(sigma, 1.0, 4, 1e-5))
    assert cfg.epsilon() <= 1.5 + 1e-6 and cfg.epsilon() > 1.4
    assert UpdateConfig().epsilon() is None and UpdateConfig().replacement_epsilon() is None
    assert cfg.replacement_epsilon() == pytest.approx(rdp_epsilon(sigma / 2, 1.0, 4, 1e-5))
    assert cfg.replacement_epsilon() > cfg.epsilon()
    with pytest.raises(ValueError, match="probability vector"):
        label_inference_bound(1.0, 1e-5, [0.5, 0.6])


def test_vib_model_can_be_updated():
    X, y = blobs(60, 0)
    model = make_classifier((6,), 3, hidden=(8,), head=vib_head(4), seed=0)
    model = train_classifier(model, X, y, epochs=2, regularizer=VIBRegularizer(0.01), seed=0).model
    new = update_model(model, X[:1], y[:1], UpdateConfig(steps=2, beta=0.01))
    assert find_vib(new) is not None and new(torch.as_tensor(X[:2])).shape == (2, 3)


def test_bad_input():
    with pytest.raises(ValueError, match="steps"):
        UpdateConfig(steps=0)
    with pytest.raises(ValueError, match="lr"):
        UpdateConfig(lr=-1.0)
    with pytest.raises(ValueError, match="beta"):
        UpdateConfig(beta=-0.1)
    with pytest.raises(TypeError, match="DPConfig"):
        UpdateConfig(dp={"epsilon": 1.0})
    plain = make_classifier((6,), 3, hidden=(8,), seed=0)
    X, y = blobs(5, 0)
    with pytest.raises(ValueError, match="VIBHead"):
        update_model(plain, X[:1], y[:1], UpdateConfig(beta=0.1))
    with pytest.raises(ValueError, match="labels"):
        update_model(plain, X[:1], np.array([7]), UpdateConfig())
    with pytest.raises(ValueError, match="NaN"):
        update_model(plain, np.full((1, 6), np.nan), y[:1], UpdateConfig())
    attack = UpdateLeaksAttack()
    with pytest.raises(RuntimeError, match="not fitted"):
        attack.predict(np.zeros((2, 4)))
    with pytest.raises(ValueError, match="single label"):
        attack.fit(np.random.default_rng(0).normal(size=(4, 3)), np.zeros(4))
    attack.fit(np.random.default_rng(0).normal(size=(6, 3)), np.array([0, 1] * 3))
    with pytest.raises(ValueError, match="columns"):
        attack.predict(np.zeros((2, 4)))
    with pytest.raises(ValueError, match="NaN"):
        attack.predict(np.full((2, 3), np.nan))
    with pytest.raises(ValueError, match="n_updates"):
        simulate_updates(plain, X, y, X, UpdateConfig(), 0)
    with pytest.raises(ValueError, match="defense"):
        run_update_leaks("laplace", 1.0, split={})
    with pytest.raises(ValueError, match="positive strength"):
        run_update_leaks("MID", None, split={})


def test_digits_split_is_disjoint():
    s = digits_split(n_target=300, n_shadow=300, n_probe=50, random_state=0)
    assert s["target"][0].shape == (300, 64) and s["probe"].shape == (50, 64)
    rows = np.vstack([s["target"][0], s["shadow"][0], s["probe"], s["heldout"][0]])
    assert len(rows) == 1797 and 0 <= rows.min() and rows.max() <= 1
    with pytest.raises(ValueError, match="held-out"):
        digits_split(n_target=900, n_shadow=900, n_probe=10)


def test_run_update_leaks_end_to_end():
    s = digits_split(n_target=200, n_shadow=200, n_probe=20, random_state=0)
    rows = run_update_leaks("none", None, 0, split=s, epochs=10, n_shadow_updates=60,
                            n_target_updates=30)
    assert [r["split"] for r in rows] == ["train", "heldout"]
    assert all(r["attack_acc"] > 0.5 for r in rows), rows  # chance is about 0.1
    assert 0.5 < rows[0]["model_acc"] <= 1


def test_batched_updates_match_single_updates(planted):
    """The vectorised updates take the same steps as update_model (deterministic case)."""
    from midlib.attacks.update_leaks import batched_posteriors, batched_updates

    m, X, y = planted["target"], planted["xt"][:4], planted["yt"][:4]
    cfg = UpdateConfig(steps=3, lr=0.1)
    params = batched_updates(m, X, y, cfg)
    for i in range(4):
        single = dict(update_model(m, X[i:i + 1], y[i:i + 1], cfg).named_parameters())
        for k, v in params.items():
            torch.testing.assert_close(v[i], single[k].detach(), rtol=1e-5, atol=1e-6)
    post = batched_posteriors(m, params, planted["probe"])
    assert post.shape == (4, len(planted["probe"]), 3)
    torch.testing.assert_close(post.sum(-1), torch.ones(4, len(planted["probe"])))


def test_adaptive_attacker_averages_queries_against_mid():
    """simulate_updates with several n_average values: a one-element sequence equals a plain
    call, averaging shrinks the noise MID adds to the posterior change, and a deterministic
    model's features do not depend on k."""
    (xt, yt), (xp, _) = blobs(80, 1), blobs(10, 3)
    net = make_classifier((6,), 3, hidden=(16,), head=vib_head(4), seed=0)
    train_classifier(net, xt, yt, epochs=5, regularizer=VIBRegularizer(0.01), seed=0)
    with torch.no_grad():
        find_vib(net).encoder.bias[4:] = 6.0  # noisy outputs
    cfg = UpdateConfig(steps=2, beta=0.01)
    by_k, lab = simulate_updates(net, xt, yt, xp, cfg, 20, seed=3, n_average=(1, 32))
    one, lab1 = simulate_updates(net, xt, yt, xp, cfg, 20, seed=3)
    np.testing.assert_allclose(simulate_updates(net, xt, yt, xp, cfg, 20, seed=3,
                                                n_average=(1,))[0][1], one)
    np.testing.assert_array_equal(lab, lab1)
    assert by_k[32].var(0).mean() < by_k[1].var(0).mean() / 4
    plain = make_classifier((6,), 3, hidden=(16,), seed=0)
    det, _ = simulate_updates(plain, xt, yt, xp, UpdateConfig(steps=2), 10, seed=3, n_average=(1, 4))
    np.testing.assert_allclose(det[1], det[4], rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="n_average"):
        simulate_updates(net, xt, yt, xp, cfg, 5, n_average=(0,))


def test_run_update_leaks_mid_reports_each_k():
    s = digits_split(n_target=200, n_shadow=200, n_probe=20, random_state=0)
    rows = run_update_leaks("MID", 0.01, 0, split=s, epochs=3, n_shadow_updates=40,
                            n_target_updates=20, query_ks=(1, 4))
    r = rows[0]
    assert r["attack_acc"] == max(r["attack_acc_k1"], r["attack_acc_k4"])
    assert r["attack_k"] in (1, 4) and r["n_attacked"] == 20
    assert np.isnan(r["train_delta"]) and np.isnan(r["update_delta"])
