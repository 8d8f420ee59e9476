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
    """What an adversary with prediction access receives instead of the model.

    An adversary with ``access = "prediction"`` receives the model's output on the true target
    records (``predictions``, one row per record). It cannot be queried. With
    ``access = "prediction+white-box"`` the model is attached as ``model``.

    Parameters
    ----------
    predictions : array-like of shape (n_records,) or (n_records, n_outputs)
        The model's output on the true target records, one row per record.
    model : object, default=None
        The model itself, for ``access = "prediction+white-box"``; None otherwise.

    Attributes
    ----------
    predictions : ndarray of shape (n_records,) or (n_records, n_outputs)
        The model's output on the true target records.
    model : object or None
        The model, or None without white-box access.

    Examples
    --------
    >>> oracle = TargetPrediction([0, 2, 1])
    >>> oracle.predictions.tolist()
    [0, 2, 1]
    >>> oracle.model is None
    True
    """

    def __init__(self, predictions, model=None):
        self.predictions = np.asarray(predictions)
        self.model = model

    def predict(self, X):  # noqa: D401 - an explicit refusal
        """Refuse to query the model: prediction access gives only ``predictions``.

        ``predict_proba`` is the same refusal.

        Parameters
        ----------
        X : array-like
            Inputs of the adversary's choice (never evaluated).

        Raises
        ------
        TypeError
            Always: read ``predictions`` instead.

        Examples
        --------
        >>> oracle = TargetPrediction([0, 2, 1])
        >>> try:
        ...     oracle.predict([[0.0]])
        ... except TypeError as err:
        ...     print(err)
        this adversary has prediction access only: read `.predictions`
        """
        raise TypeError("this adversary has prediction access only: read `.predictions`")

    predict_proba = predict


class Adversary:
    """Base class of every attribute-inference adversary.

    Subclasses set :attr:`knowledge` and :attr:`access`, may extend :meth:`fit`, and implement
    :meth:`scores` (posterior-like scores, one column per sensitive value; the guess is the
    argmax) or override :meth:`guess`.

    Attributes
    ----------
    knowledge : {"prior", "aux", "aux+label"}
        What the adversary knows of the target (see :data:`KNOWLEDGE`); a class attribute,
        ``"aux+label"`` here.
    access : {"none", "prediction", "prediction+white-box", "black-box", "white-box"}
        How the adversary reaches the model (see :data:`ACCESS`); a class attribute,
        ``"black-box"`` here.
    task : TabularTask
        The task, set by :meth:`fit`.
    values_ : list
        The sensitive values, in the task's encoding order, set by :meth:`fit`.
    prior_ : ndarray of shape (n_values,)
        The empirical prior of the sensitive values in the auxiliary data, set by :meth:`fit`.

    See Also
    --------
    PriorAdversary : The no-model adversary at knowledge ``"prior"``.
    play : Score an adversary in the MI game.

    Examples
    --------
    >>> import numpy as np
    >>> from midlib.data import make_survey
    >>> class FirstValue(Adversary):
    ...     knowledge, access = "prior", "none"
    ...     def scores(self, model, frame):
    ...         return np.tile([1.0, 0.0], (len(frame), 1))
    >>> task = make_survey(50, random_state=0)
    >>> FirstValue().fit(task, task.frame).guess(None, task.frame.head(3)).tolist()
    ['no', 'no', 'no']
    """

    knowledge: str = "aux+label"
    access: str = "black-box"

    def fit(self, task: TabularTask, aux: pd.DataFrame) -> "Adversary":
        """Learn from auxiliary data (records with their sensitive value).

        By default, store the task, the sensitive values and their empirical prior.

        Parameters
        ----------
        task : TabularTask
            The task of the target model.
        aux : pandas.DataFrame
            Auxiliary records, with their sensitive values.

        Returns
        -------
        Adversary
            The fitted adversary (``self``).

        Examples
        --------
        >>> from midlib.data import make_survey
        >>> task = make_survey(100, random_state=0)
        >>> adversary = PriorAdversary().fit(task, task.frame)
        >>> adversary.values_, adversary.prior_.round(2).tolist()
        (['no', 'yes'], [0.81, 0.19])
        """
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
        """Scores of the candidate sensitive values; larger means more likely.

        Subclasses implement this (or override :meth:`guess`); the base class raises
        ``NotImplementedError``.

        Parameters
        ----------
        model : object
            What the adversary's access gives: None for ``access = "none"``, a
            :class:`TargetPrediction` for prediction access, else the model.
        frame : pandas.DataFrame
            The target records, their sensitive value hidden (and their label too below
            knowledge ``"aux+label"``).

        Returns
        -------
        ndarray of shape (n_records, n_values)
            One column per sensitive value, in ``values_`` order.

        Examples
        --------
        >>> from midlib.data import make_survey
        >>> task = make_survey(100, random_state=0)
        >>> adversary = PriorAdversary().fit(task, task.frame)
        >>> adversary.scores(None, task.frame.head(2)).round(2).tolist()
        [[0.81, 0.19], [0.81, 0.19]]
        """
        raise NotImplementedError(f"{type(self).__name__} implements neither scores nor guess")

    def guess(self, model, frame: pd.DataFrame) -> np.ndarray:
        """Guesses of the hidden sensitive values of ``frame``.

        The guess of a record is the value of the largest of its :meth:`scores`.

        Parameters
        ----------
        model : object
            What the adversary's access gives: None for ``access = "none"``, a
            :class:`TargetPrediction` for prediction access, else the model.
        frame : pandas.DataFrame
            The target records, their sensitive value hidden.

        Returns
        -------
        ndarray of shape (n_records,)
            The guesses, elements of ``values_`` (object dtype).

        Raises
        ------
        RuntimeError
            The adversary is not fitted.
        ValueError
            :meth:`scores` returned an array of the wrong shape.

        Examples
        --------
        >>> from midlib.data import make_survey
        >>> task = make_survey(100, random_state=0)
        >>> adversary = PriorAdversary().fit(task, task.frame)
        >>> adversary.guess(None, task.frame.head(3)).tolist()
        ['no', 'no', 'no']
        """
        self._check_fitted()
        s = np.asarray(self.scores(model, frame), dtype=float)
        if s.shape != (len(frame), len(self.values_)):
            raise ValueError(f"scores must have shape {(len(frame), len(self.values_))}, got {s.shape}")
        return np.asarray(self.values_, dtype=object)[np.argmax(s, axis=1)]

    def __repr__(self):
        return f"{type(self).__name__}()"


class PriorAdversary(Adversary):
    """Guesses the mode of the prior: the best no-model adversary at knowledge ``"prior"``.

    The default baseline of :func:`play`.

    Attributes
    ----------
    knowledge : str
        ``"prior"``.
    access : str
        ``"none"``: the adversary never sees the model.
    task : TabularTask
        The task, set by :meth:`fit`.
    values_ : list
        The sensitive values, set by :meth:`fit`.
    prior_ : ndarray of shape (n_values,)
        The empirical prior of the sensitive values in the auxiliary data.

    Examples
    --------
    >>> from midlib.data import make_survey
    >>> task = make_survey(100, random_state=0)
    >>> PriorAdversary().fit(task, task.frame).guess(None, task.frame.head(2)).tolist()
    ['no', 'no']
    """

    knowledge = "prior"
    access = "none"

    def scores(self, model, frame):
        """The prior, the same for every record.

        Parameters
        ----------
        model : None
            Ignored (the adversary has no access to the model).
        frame : pandas.DataFrame
            The target records.

        Returns
        -------
        ndarray of shape (n_records, n_values)
            ``prior_`` repeated on every row.

        Examples
        --------
        >>> from midlib.data import make_survey
        >>> task = make_survey(100, random_state=0)
        >>> adversary = PriorAdversary().fit(task, task.frame)
        >>> adversary.scores(None, task.frame.head(2)).round(2).tolist()
        [[0.81, 0.19], [0.81, 0.19]]
        """
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


def _score(task, truth, guess, base_guesses: dict, knowledge, confidence):
    from midlib.game.engine import score_hits

    truth = np.asarray(truth, dtype=object)
    hit = guess == truth
    row = score_hits(hit, {b: g == truth for b, g in base_guesses.items()}, knowledge, confidence)
    row.update(precision=np.nan, recall=np.nan, f1=np.nan)
    values = task.sensitive_values
    if len(values) == 2:
        from sklearn.metrics import precision_recall_fscore_support

        pos = values[1]
        p, r, f, _ = precision_recall_fscore_support(truth == pos, guess == pos, average="binary",
                                                     zero_division=0)
        row.update(precision=float(p), recall=float(r), f1=float(f))
    return row


def _baselines(adversary, baseline):
    """The no-model adversaries the advantage is measured against: the given one, or every
    one whose knowledge the adversary has (the prior, the imputation from the other
    attributes, and from the label too); the strongest on the targets is the baseline."""
    if baseline is None:
        return {"prior": PriorAdversary()}
    if not isinstance(baseline, (Adversary, str)) or (isinstance(baseline, str)
                                                      and baseline != "strongest"):
        raise TypeError(f"baseline must be a midlib.game.Adversary or 'strongest', got "
                        f"{baseline!r}")
    if isinstance(baseline, Adversary):
        return {"given": baseline}
    from midlib.attacks.baselines import AuxiliaryAdversary

    out = {"prior": PriorAdversary()}
    rank = KNOWLEDGE.index(adversary.knowledge)
    for level in KNOWLEDGE[1:rank + 1]:
        out[level] = AuxiliaryAdversary(level)
    return out


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

    Parameters
    ----------
    task : TabularTask
        The task of the model.
    model : object
        The fitted target model.
    adversary : Adversary
        The adversary; it is fitted on ``aux`` here.
    members : pandas.DataFrame
        The model's training records: the targets of the training-set game.
    nonmembers : pandas.DataFrame
        Held-out records: the targets of the distributional game, standing in for fresh
        draws.
    aux : pandas.DataFrame, default=None
        The adversary's auxiliary records; None means ``members``.
    confidence : float, default=0.95
        Confidence level of the intervals, in (0, 1).
    baseline : Adversary or "strongest", default=None
        The no-model baseline; None means :class:`PriorAdversary`; ``"strongest"`` the
        strongest on the targets of the prior and the imputation adversaries
        (:class:`midlib.attacks.AuxiliaryAdversary`) whose knowledge the adversary has, the
        engine's definition (:func:`play_batched` always uses it). The theory chapters still
        call :func:`play` with the prior baseline and ``aux=None`` (the members); moving them
        to the engine's definition is open work.
    predict : callable, optional
        ``predict(model, X)`` gives the model's output on the true targets for adversaries
        with prediction access (default ``model.predict(X)``).

    Returns
    -------
    pandas.DataFrame
        One row per game with columns ``game, adversary, knowledge, access, n, success,
        success_lo, success_hi`` (Wilson), ``baseline, baseline_lo, baseline_hi, advantage,
        advantage_lo, advantage_hi`` (Newcombe's paired interval; advantage = success -
        baseline on the same targets), and ``precision, recall, f1`` of the positive value
        ``task.sensitive_values[1]`` for a binary sensitive attribute (NaN otherwise).

    Raises
    ------
    TypeError
        ``adversary`` or ``baseline`` is not an :class:`Adversary`.
    ValueError
        ``confidence`` is out of range, or the records or the guesses are malformed.

    See Also
    --------
    play_seeds : Repeat the game over seeds.
    play_sampled : Play against a data sampler.

    Examples
    --------
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> from midlib.attacks import ClassifierMAP
    >>> from midlib.data import make_survey
    >>> task = make_survey(300, dependence=0.9, p_sensitive=0.5, random_state=0)
    >>> members, nonmembers = task.split(test_size=0.3, random_state=0)
    >>> tree = DecisionTreeClassifier(max_depth=3, random_state=0).fit(
    ...     task.encode(members), task.y(members))
    >>> res = play(task, tree, ClassifierMAP(), members=members, nonmembers=nonmembers)
    >>> res["game"].tolist()
    ['training-set', 'distributional']
    >>> res["advantage"].round(2).tolist()
    [0.22, 0.23]
    """
    check_task(task)
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must lie in (0, 1), got {confidence}")
    if not isinstance(adversary, Adversary):
        raise TypeError(f"adversary must be a midlib.game.Adversary, got {type(adversary).__name__}")
    members = task.check_frame(members, "members")
    nonmembers = task.check_frame(nonmembers, "nonmembers")
    aux = members if aux is None else task.check_frame(aux, "aux")
    baselines = _baselines(adversary, baseline)
    adversary.fit(task, aux)
    for b in baselines.values():
        b.fit(task, aux)
    rows = []
    for game, frame in zip(GAMES, (members, nonmembers)):
        g = _guesses(task, model, adversary, frame, predict)
        b = {name: _guesses(task, model, adv, frame, predict) for name, adv in baselines.items()}
        row = dict(game=game, adversary=repr(adversary), knowledge=adversary.knowledge,
                   access=adversary.access)
        row.update(_score(task, frame[task.sensitive].to_numpy(), g, b, adversary.knowledge,
                          confidence))
        if isinstance(baseline, Adversary):
            row["baseline_name"] = repr(baseline)
        rows.append(row)
    return pd.DataFrame(rows)


def _default_fit(model, task, frame):
    return model.fit(task.encode(frame), task.y(frame))


def play_seeds(task: TabularTask, make_model: Callable[[int], object],
               make_adversary: Callable[[], Adversary], seeds: Iterable[int], test_size: float = 0.3,
               fit: Callable = _default_fit, *, make_baseline: Callable[[], Adversary] | None = None,
               confidence: float = 0.95, predict: Callable = _default_predict) -> pd.DataFrame:
    """Play the MI game over several seeds of the split and the model.

    For each seed: split the task's records (``task.split(test_size, seed)``), build the model
    with ``make_model(seed)``, fit it with ``fit(model, task, members)`` (which may return the
    model or None), and :func:`play`.

    Parameters
    ----------
    task : TabularTask
        The task whose records are split.
    make_model : callable
        ``make_model(seed)`` returns an unfitted model.
    make_adversary : callable
        ``make_adversary()`` returns a fresh :class:`Adversary`.
    seeds : iterable of int
        The seeds, at least one.
    test_size : float, default=0.3
        Share of held-out records (the non-members).
    fit : callable, optional
        ``fit(model, task, members)`` fits the model and returns it (or None); default
        ``model.fit(task.encode(members), task.y(members))``.
    make_baseline : callable, default=None
        ``make_baseline()`` returns the no-model baseline; None means
        :class:`PriorAdversary`.
    confidence : float, default=0.95
        Confidence level of the intervals.
    predict : callable, optional
        ``predict(model, X)``, passed to :func:`play` (default ``model.predict(X)``).

    Returns
    -------
    pandas.DataFrame
        The rows of :func:`play` for all seeds, with a first column ``seed``.

    Raises
    ------
    ValueError
        No seed is given.

    Examples
    --------
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> from midlib.attacks import ClassifierMAP
    >>> from midlib.data import make_survey
    >>> task = make_survey(300, dependence=0.9, p_sensitive=0.5, random_state=0)
    >>> res = play_seeds(task, lambda seed: DecisionTreeClassifier(max_depth=3, random_state=seed),
    ...                  ClassifierMAP, seeds=[0, 1])
    >>> res["seed"].tolist()
    [0, 0, 1, 1]
    >>> res["advantage"].round(2).tolist()
    [0.22, 0.23, 0.21, 0.22]
    """
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
    """The game against a data *sampler*.

    ``sample(n, seed)`` returns a TabularTask of ``n`` fresh records (e.g.
    :func:`midlib.data.make_survey` or :func:`midlib.data.make_pharmacogenetic`). Per seed,
    the training set is ``sample(n_train, 2 * seed)`` and the distributional targets are fresh
    records ``sample(n_test, 2 * seed + 1)``.

    Parameters
    ----------
    sample : callable
        ``sample(n, seed)`` returns a :class:`~midlib.data.TabularTask` of ``n`` fresh
        records.
    make_model : callable
        ``make_model(seed)`` returns an unfitted model.
    make_adversary : callable
        ``make_adversary()`` returns a fresh :class:`Adversary`.
    n_train : int
        Number of training records (members), positive.
    n_test : int
        Number of fresh target records (non-members), positive.
    seeds : iterable of int
        The seeds.
    fit : callable, optional
        ``fit(model, task, members)`` fits the model and returns it (or None); default
        ``model.fit(task.encode(members), task.y(members))``.
    make_baseline : callable, default=None
        ``make_baseline()`` returns the no-model baseline; None means
        :class:`PriorAdversary`.
    confidence : float, default=0.95
        Confidence level of the intervals.
    predict : callable, optional
        ``predict(model, X)``, passed to :func:`play` (default ``model.predict(X)``).

    Returns
    -------
    pandas.DataFrame
        The rows of :func:`play` for all seeds, with a first column ``seed``.

    Examples
    --------
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> from midlib.attacks import ClassifierMAP
    >>> from midlib.data import make_survey
    >>> res = play_sampled(
    ...     lambda n, seed: make_survey(n, dependence=0.9, p_sensitive=0.5, random_state=seed),
    ...     lambda seed: DecisionTreeClassifier(max_depth=3, random_state=seed),
    ...     ClassifierMAP, n_train=200, n_test=100, seeds=[0])
    >>> res["n"].tolist()
    [200, 100]
    >>> res["advantage"].round(2).tolist()
    [0.2, 0.25]
    """
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
