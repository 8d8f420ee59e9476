"""The model-inversion (MI) game, its adversaries, and the advantage with confidence intervals.

The game (catalogue entry 1 of the design). A challenger draws a training set ``S`` and trains
``f = A(S)``; it draws a target record ``(x, y)`` with ``x = (x_s, x_ns)`` and ``x_s`` a discrete
sensitive attribute, either fresh from the data distribution (the *distributional* game) or
uniformly from ``S`` (the *training-set* game). The adversary receives auxiliary knowledge and
access to ``f`` and outputs a guess of ``x_s``. Its *advantage* is its success probability minus
the success of the best adversary with the same knowledge and no access to ``f``.

Knowledge levels (:attr:`Adversary.knowledge`):

``"prior"``      the marginal prior of ``x_s`` only;
``"aux"``        plus the target's non-sensitive attributes ``x_ns``;
``"aux+label"``  plus the target's true label ``y``.

Access levels (:attr:`Adversary.access`): ``"none"`` (no-model baselines: they receive
``None`` instead of the model), ``"prediction"`` (only the model's output on the true
target record, handed over by the challenger), ``"prediction+white-box"`` (that output and the model
itself), ``"black-box"`` (queries on inputs of its choice), ``"white-box"`` (the model itself).

Empirically, :func:`play` scores a fitted model against an adversary on training records
(*members*) and held-out records (*non-members*, standing in for fresh draws), and
:func:`play_seeds` / :func:`play_sampled` repeat this over seeds. The attacks live in
:mod:`midlib.attacks`, the intervals in :mod:`midlib.stats`, and the exact Bayes values of known
distributions in :mod:`midlib.leakage`.
"""

from __future__ import annotations

from typing import Callable, Iterable

import numpy as np
import pandas as pd

from midlib.data.task import TabularTask, check_task
from midlib.stats import paired_difference_interval, wilson_interval
from midlib.validation import check_positive_int, check_seed

KNOWLEDGE = ("prior", "aux", "aux+label")
ACCESS = ("none", "prediction", "prediction+white-box", "black-box", "white-box")
GAMES = ("training-set", "distributional")

__all__ = ["KNOWLEDGE", "ACCESS", "GAMES", "Adversary", "PriorAdversary", "TargetPrediction",
           "play", "play_seeds", "play_sampled"]


# --------------------------------------------------------------------------------------------
# Adversaries
# --------------------------------------------------------------------------------------------

class TargetPrediction:
    """What an adversary with ``access = "prediction"`` receives instead of the model: the
    model's output on the true target records (``predictions``, one row per record). It cannot
    be queried. With ``access = "prediction+white-box"`` the model is attached as ``model``."""

    def __init__(self, predictions, model=None):
        self.predictions = np.asarray(predictions)
        self.model = model

    def predict(self, X):  # noqa: D401 - an explicit refusal
        raise TypeError("this adversary has prediction access only: read `.predictions`")

    predict_proba = predict


class Adversary:
    """Base class of every attribute-inference adversary.

    Subclasses set :attr:`knowledge` and :attr:`access`, may extend :meth:`fit`, and implement
    :meth:`scores` (posterior-like scores, one column per sensitive value; the guess is the
    argmax) or override :meth:`guess`.
    """

    knowledge: str = "aux+label"
    access: str = "black-box"

    def fit(self, task: TabularTask, aux: pd.DataFrame) -> "Adversary":
        """Learn from auxiliary data (records with their sensitive value): by default, store the
        task, the sensitive values and their empirical prior."""
        check_task(task)
        aux = task.check_frame(aux, "aux")
        self.task = task
        self.values_ = list(task.sensitive_values)
        self.prior_ = task.prior(aux)
        return self

    def _check_fitted(self):
        if not hasattr(self, "prior_"):
            raise RuntimeError(f"{type(self).__name__} is not fitted: call fit(task, aux) first")

    def scores(self, model, frame: pd.DataFrame) -> np.ndarray:
        """Scores (n, n_values); larger means more likely. Subclasses implement this."""
        raise NotImplementedError(f"{type(self).__name__} implements neither scores nor guess")

    def guess(self, model, frame: pd.DataFrame) -> np.ndarray:
        """Guesses of the hidden sensitive values of ``frame`` (elements of ``values_``)."""
        self._check_fitted()
        s = np.asarray(self.scores(model, frame), dtype=float)
        if s.shape != (len(frame), len(self.values_)):
            raise ValueError(f"scores must have shape {(len(frame), len(self.values_))}, got {s.shape}")
        return np.asarray(self.values_, dtype=object)[np.argmax(s, axis=1)]

    def __repr__(self):
        return f"{type(self).__name__}()"


class PriorAdversary(Adversary):
    """Guesses the mode of the prior: the best no-model adversary at knowledge ``"prior"``."""

    knowledge = "prior"
    access = "none"

    def scores(self, model, frame):
        self._check_fitted()
        return np.tile(self.prior_, (len(frame), 1))


# --------------------------------------------------------------------------------------------
# Playing the game
# --------------------------------------------------------------------------------------------

def _default_predict(model, X):
    return np.asarray(model.predict(X))


def _hide(task: TabularTask, frame: pd.DataFrame, knowledge: str) -> pd.DataFrame:
    hidden = frame.copy()
    hidden[task.sensitive] = None
    if knowledge in ("prior", "aux") and task.target in hidden.columns:
        hidden[task.target] = None
    return hidden


def _guesses(task, model, adversary, frame, predict):
    if adversary.knowledge not in KNOWLEDGE:
        raise ValueError(f"{adversary!r}: knowledge must be one of {KNOWLEDGE}, got {adversary.knowledge!r}")
    if adversary.access not in ACCESS:
        raise ValueError(f"{adversary!r}: access must be one of {ACCESS}, got {adversary.access!r}")
    if adversary.access == "none":
        oracle = None
    elif adversary.access == "prediction":
        oracle = TargetPrediction(predict(model, task.encode(frame)))
    elif adversary.access == "prediction+white-box":
        oracle = TargetPrediction(predict(model, task.encode(frame)), model=model)
    else:
        oracle = model
    g = np.asarray(adversary.guess(oracle, _hide(task, frame, adversary.knowledge)), dtype=object)
    if g.shape != (len(frame),):
        raise ValueError(f"{adversary!r} returned {g.shape} guesses for {len(frame)} records")
    bad = [v for v in set(g.tolist()) if v not in task.sensitive_values]
    if bad:
        raise ValueError(f"{adversary!r} guessed values {bad} outside {task.sensitive_values}")
    return g


def _score(task, truth, guess, base_guess, confidence):
    truth = np.asarray(truth, dtype=object)
    hit = guess == truth
    base_hit = base_guess == truth
    n = len(truth)
    lo, hi = wilson_interval(int(hit.sum()), n, confidence)
    blo, bhi = wilson_interval(int(base_hit.sum()), n, confidence)
    adv, alo, ahi = paired_difference_interval(hit, base_hit, confidence)
    row = dict(n=n, success=hit.mean(), success_lo=lo, success_hi=hi,
               baseline=base_hit.mean(), baseline_lo=blo, baseline_hi=bhi,
               advantage=adv, advantage_lo=alo, advantage_hi=ahi,
               precision=np.nan, recall=np.nan, f1=np.nan)
    values = task.sensitive_values
    if len(values) == 2:
        from sklearn.metrics import precision_recall_fscore_support

        pos = values[1]
        p, r, f, _ = precision_recall_fscore_support(truth == pos, guess == pos, average="binary",
                                                     zero_division=0)
        row.update(precision=float(p), recall=float(r), f1=float(f))
    return row


def play(task: TabularTask, model, adversary: Adversary, *, members: pd.DataFrame,
         nonmembers: pd.DataFrame, aux: pd.DataFrame | None = None, confidence: float = 0.95,
         baseline: Adversary | None = None,
         predict: Callable = _default_predict) -> pd.DataFrame:
    """Play the MI game against a fitted ``model``.

    The adversary (and the baseline, default :class:`PriorAdversary`) is fitted on ``aux``
    (default: the members). Then, for the training-set game (targets: ``members``) and the
    distributional game (targets: ``nonmembers``, standing in for fresh draws), the sensitive
    column of the targets is hidden (and the label too below knowledge ``"aux+label"``), the
    adversary guesses, and the guesses are scored.

    Returns one row per game with columns ``game, adversary, knowledge, access, n, success,
    success_lo, success_hi`` (Wilson), ``baseline, baseline_lo, baseline_hi, advantage,
    advantage_lo, advantage_hi`` (Newcombe's paired interval; advantage = success - baseline on
    the same targets), and ``precision, recall, f1`` of the positive value
    ``task.sensitive_values[1]`` for a binary sensitive attribute (NaN otherwise).
    ``predict(model, X)`` gives the model's output on the true targets for adversaries with
    prediction access (default ``model.predict(X)``).
    """
    check_task(task)
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must lie in (0, 1), got {confidence}")
    if not isinstance(adversary, Adversary):
        raise TypeError(f"adversary must be a midlib.game.Adversary, got {type(adversary).__name__}")
    members = task.check_frame(members, "members")
    nonmembers = task.check_frame(nonmembers, "nonmembers")
    aux = members if aux is None else task.check_frame(aux, "aux")
    baseline = PriorAdversary() if baseline is None else baseline
    if not isinstance(baseline, Adversary):
        raise TypeError(f"baseline must be a midlib.game.Adversary, got {type(baseline).__name__}")
    adversary.fit(task, aux)
    baseline.fit(task, aux)
    rows = []
    for game, frame in zip(GAMES, (members, nonmembers)):
        g = _guesses(task, model, adversary, frame, predict)
        b = _guesses(task, model, baseline, frame, predict)
        row = dict(game=game, adversary=repr(adversary), knowledge=adversary.knowledge,
                   access=adversary.access)
        row.update(_score(task, frame[task.sensitive].to_numpy(), g, b, confidence))
        rows.append(row)
    return pd.DataFrame(rows)


def _default_fit(model, task, frame):
    return model.fit(task.encode(frame), task.y(frame))


def play_seeds(task: TabularTask, make_model: Callable[[int], object],
               make_adversary: Callable[[], Adversary], seeds: Iterable[int], test_size: float = 0.3,
               fit: Callable = _default_fit, *, make_baseline: Callable[[], Adversary] | None = None,
               confidence: float = 0.95, predict: Callable = _default_predict) -> pd.DataFrame:
    """For each seed: split the task's records (``task.split(test_size, seed)``), build the model
    with ``make_model(seed)``, fit it with ``fit(model, task, members)`` (which may return the
    model or None), and :func:`play`. Returns the rows of all seeds with a ``seed`` column."""
    check_task(task)
    seeds = [check_seed(s) for s in seeds]
    if not seeds:
        raise ValueError("give at least one seed")
    out = []
    for seed in seeds:
        members, nonmembers = task.split(test_size, seed)
        model = make_model(seed)
        fitted = fit(model, task, members)
        model = model if fitted is None else fitted
        res = play(task, model, make_adversary(), members=members, nonmembers=nonmembers,
                   baseline=None if make_baseline is None else make_baseline(),
                   confidence=confidence, predict=predict)
        res.insert(0, "seed", seed)
        out.append(res)
    return pd.concat(out, ignore_index=True)


def play_sampled(sample: Callable[[int, int], TabularTask], make_model: Callable[[int], object],
                 make_adversary: Callable[[], Adversary], *, n_train: int, n_test: int,
                 seeds: Iterable[int], fit: Callable = _default_fit,
                 make_baseline: Callable[[], Adversary] | None = None, confidence: float = 0.95,
                 predict: Callable = _default_predict) -> pd.DataFrame:
    """The game against a data *sampler*: ``sample(n, seed)`` returns a TabularTask of ``n``
    fresh records (e.g. :func:`midlib.datasets.make_survey` or ``make_pharmacogenetic``).
    Per seed, the training set is ``sample(n_train, 2 * seed)`` and the distributional targets
    are fresh records ``sample(n_test, 2 * seed + 1)``."""
    seeds = [check_seed(s) for s in seeds]
    check_positive_int(n_train, "n_train")
    check_positive_int(n_test, "n_test")
    out = []
    for seed in seeds:
        train = sample(n_train, 2 * seed)
        fresh = sample(n_test, 2 * seed + 1)
        model = make_model(seed)
        fitted = fit(model, train, train.frame)
        model = model if fitted is None else fitted
        res = play(train, model, make_adversary(), members=train.frame, nonmembers=fresh.frame,
                   baseline=None if make_baseline is None else make_baseline(),
                   confidence=confidence, predict=predict)
        res.insert(0, "seed", seed)
        out.append(res)
    return pd.concat(out, ignore_index=True)
