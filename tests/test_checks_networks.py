"""The network chapters' claim checks, each tripped by a planted failure: a weakened attack that
no longer beats its no-model floor, an under-stated KL bound (and a biased I(X; Z) estimator),
an uncomposed epsilon, and a defence whose accuracy falls more than the attack."""

import math

import numpy as np
import pytest
import torch

from midlib.attacks import KnowledgeAlignment
from midlib.attacks.miface import MIFace
from midlib.checks import ClaimViolation
from midlib.checks import networks as claims
from midlib.defenses import kl_bound_nats, mutual_information_mc
from midlib.metrics import attack_accuracy
from midlib.nn import make_classifier, train_classifier

torch.set_num_threads(2)


@pytest.fixture(scope="module")
def faces():
    from midlib.experiments.faces import setup

    f = setup(n_components=50, eval_epochs=60, seed=0)
    model = make_classifier(f.shape, f.n_classes, hidden=(), frontend=f.pca, seed=0)
    train_classifier(model, f.X[f.train], f.y[f.train], epochs=100, lr=1e-2,
                     batch_size=int(f.train.sum()), seed=0)
    blind = attack_accuracy(f.evaluator, np.repeat(f.public_mean[None], f.n_classes, 0),
                            np.arange(f.n_classes))["top1"]
    return f, model, blind


def test_undefended_knowledge_alignment_beats_its_floor_and_a_weakened_one_does_not(faces):
    f, model, blind = faces
    victims, labels = f.X[f.train], f.y[f.train]

    def successes(attack):
        rec = attack.fit(model, f.X[f.public]).invert(model, victims)
        return round(attack_accuracy(f.evaluator, rec, labels)["top1"] * len(labels))

    strong = successes(KnowledgeAlignment(hidden=(256,), epochs=60, log_input=False, seed=0))
    claims.attack_beats_floor(strong, len(labels), blind, name="Knowledge Alignment")
    # planted: a decoder trained for one epoch barely leaves the average face
    weak = successes(KnowledgeAlignment(hidden=(256,), epochs=1, lr=1e-5, log_input=False, seed=0))
    with pytest.raises(ClaimViolation, match="no-model floor"):
        claims.attack_beats_floor(weak, len(labels), blind, name="weakened Knowledge Alignment")


def test_undefended_miface_beats_its_floor_and_a_weakened_one_does_not(faces):
    f, model, blind = faces
    targets = np.arange(f.n_classes)

    def successes(attack):
        rec = attack.invert(model, targets)
        return round(attack_accuracy(f.evaluator, rec, targets)["top1"] * len(targets))

    strong = successes(MIFace(steps=100, lr=0.05, init=f.public_mean))
    claims.attack_beats_floor(strong, len(targets), blind, name="MIFace")
    # planted: one tiny step from the average face is the no-model guess
    weak = successes(MIFace(steps=1, lr=1e-6, init=f.public_mean))
    with pytest.raises(ClaimViolation, match="no-model floor"):
        claims.attack_beats_floor(weak, len(targets), blind, name="weakened MIFace")


@pytest.fixture(scope="module")
def channel():
    ch = claims.gaussian_channel(k=2, a=0.8, s=0.6, n=1500, seed=0)
    est, se = mutual_information_mc(ch["head"], ch["X"], n_z=4, seed=0, max_records=None)
    return ch, est, se, kl_bound_nats(ch["head"], ch["X"])


def test_gaussian_channel_is_what_it_claims(channel):
    ch, est, se, kl = channel
    assert ch["mi"] == pytest.approx(0.5 * 2 * math.log(1 + 0.64 / 0.36))
    assert kl == pytest.approx(ch["kl"], abs=0.1)  # the sample's KL against the expectation
    out = claims.vib_bound_holds(est, se, kl, len(ch["X"]), exact=ch["mi"])
    assert out["log_n"] > kl  # the check has content


def test_an_understated_kl_bound_is_caught(channel):
    ch, est, se, kl = channel
    with pytest.raises(ClaimViolation, match="does not exceed the KL bound"):
        claims.vib_bound_holds(est, se, 0.5 * kl, len(ch["X"]))


def test_a_biased_estimator_and_a_contentless_check_are_caught(channel):
    ch, est, se, kl = channel
    with pytest.raises(ClaimViolation, match="matches the exact value"):
        claims.vib_bound_holds(est - 0.3, se, kl, len(ch["X"]), exact=ch["mi"])
    # a KL bound above log N: the Monte-Carlo estimate could never violate it
    with pytest.raises(ClaimViolation, match="has content"):
        claims.vib_bound_holds(4.0, 0.01, 30.0, 120)


def test_pinsker_is_vacuous_above_two_nats():
    adv = claims.pinsker_advantage([0.5, 2.0, 21.0])
    assert adv[0] < 1 and adv[1] == pytest.approx(1.0) and adv[2] > 1


def test_uncomposed_epsilon_is_caught():
    kw = dict(attack_low=0.1, prior_max=0.11, update_eps=0.4, update_delta=1e-5,
              train_eps=1.0, train_delta=1e-5)
    composed, _ = claims.update_epsilon("train", 0.4, 1e-5, 1.0, 1e-5)
    assert composed == pytest.approx(2.4)
    assert claims.dp_label_bound("train", **kw) == 1.0  # composed: e^2.4 * 0.11 > 1
    # held-out records: the update alone is enough
    assert claims.dp_label_bound("heldout", **kw) == pytest.approx(math.exp(0.4) * 0.11 + 1e-5)
    # planted: the update's epsilon used for records that were also trained on
    with pytest.raises(ClaimViolation, match="composition"):
        claims.dp_label_bound("train", epsilon_used=0.4, **kw)
    # and an attack above the bound
    with pytest.raises(ClaimViolation, match="beats"):
        claims.dp_label_bound("heldout", **dict(kw, attack_low=0.5))


def test_defence_works_only_if_the_attack_falls_more_than_accuracy():
    works = claims.defence_works([80, 81, 82], [79, 80, 80], [60, 62, 64], [30, 35, 33])
    assert works.direction == "above"
    # planted: accuracy falls by 20 points, the attack by 2
    assert claims.defence_works([80, 81, 82], [60, 61, 62], [60, 62, 64],
                                [58, 60, 62]).direction == "below"
    with pytest.raises(ValueError):
        claims.defence_works([80], [79, 78], [60], [50])
