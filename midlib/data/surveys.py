"""Surveys of Fredrikson et al. (2015): the FiveThirtyEight steak survey (shipped), the Redbook
``fair`` survey (statsmodels), and a synthetic survey with a planted dependence."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd

from midlib.data.files import real_file
from midlib.data.task import TabularTask
from midlib.validation import check_positive_int, check_random_state

__all__ = ["STEAK_COLUMNS", "STEAK_CATEGORIES", "FAIR_FEATURES", "load_steak", "load_fair",
           "make_survey", "survey_label_given_s"]


STEAK_COLUMNS = {
    "Consider the following hypothetical situations: <br>In Lottery A, you have a 50% chance "
    "of success, with a payout of $100. <br>In Lottery B, you have a 90% chance of success, "
    "with a payout of $20. <br><br>Assuming you have $10 to bet, would you play Lottery A or "
    "Lottery B?": "lottery",
    "Do you ever smoke cigarettes?": "smoke",
    "Do you ever drink alcohol?": "alcohol",
    "Do you ever gamble?": "gamble",
    "Have you ever been skydiving?": "skydiving",
    "Do you ever drive above the speed limit?": "speeding",
    "Have you ever cheated on your significant other?": "cheated",
    "Do you eat steak?": "eat_steak",
    "How do you like your steak prepared?": "steak",
    "Gender": "gender",
    "Age": "age",
    "Household Income": "income",
    "Education": "education",
    "Location (Census Region)": "region",
}
STEAK_CATEGORIES = {
    "lottery": ["Lottery A", "Lottery B"],
    "smoke": ["No", "Yes"], "alcohol": ["No", "Yes"], "gamble": ["No", "Yes"],
    "skydiving": ["No", "Yes"], "speeding": ["No", "Yes"], "cheated": ["No", "Yes"],
    "gender": ["Female", "Male"],
    "age": ["18-29", "30-44", "45-60", "> 60"],
    "income": ["$0 - $24,999", "$25,000 - $49,999", "$50,000 - $99,999", "$100,000 - $149,999",
               "$150,000+"],
    "education": ["Less than high school degree", "High school degree",
                  "Some college or Associate degree", "Bachelor degree", "Graduate degree"],
    "region": ["East North Central", "East South Central", "Middle Atlantic", "Mountain",
               "New England", "Pacific", "South Atlantic", "West North Central",
               "West South Central"],
    "steak": ["Rare", "Medium rare", "Medium", "Medium Well", "Well"],
}


def load_steak(data_dir: str | os.PathLike | None = None) -> TabularTask:
    """FiveThirtyEight steak survey as Fredrikson et al. 2015 used it.

    The second line of the file (a sub-header of 'Response' cells) is skipped; respondents who
    do not eat steak have no steak preference and are dropped, as are answers with any missing
    field, leaving 331 complete rows (the paper reports 332). Target: how the respondent likes
    steak (5 classes); sensitive: 'Have you ever cheated on your significant other?'; the
    features are all the other answers ('Do you eat steak?' is constant after the filter and
    is left out).

    Parameters
    ----------
    data_dir : str or path-like, default=None
        The folder to read (see :func:`midlib.data.data_dir`); None means
        ``$MIDLIB_DATA_DIR`` if set, else the package's copy.

    Returns
    -------
    TabularTask
        A classification task with target ``steak`` and sensitive attribute ``cheated``;
        columns renamed by :data:`STEAK_COLUMNS`, values ordered by :data:`STEAK_CATEGORIES`.

    Examples
    --------
    >>> task = load_steak()
    >>> len(task), task.target, task.sensitive
    (331, 'steak', 'cheated')
    """
    raw = pd.read_csv(real_file("steak", data_dir), skiprows=[1])
    frame = raw.rename(columns=STEAK_COLUMNS)[list(STEAK_COLUMNS.values())]
    frame = frame.dropna().query("eat_steak == 'Yes'").drop(columns="eat_steak")
    features = [c for c in frame.columns if c != "steak"]
    return TabularTask(
        name="steak", frame=frame.reset_index(drop=True), target="steak", sensitive="cheated",
        features=features, categories={k: list(v) for k, v in STEAK_CATEGORIES.items()},
        task="classification",
        description="FiveThirtyEight steak-risk survey, complete answers of steak eaters",
    )


FAIR_FEATURES = ["age", "yrs_married", "children", "religious", "educ", "occupation",
                 "occupation_husb", "affairs"]


def load_fair(data_dir: str | os.PathLike | None = None) -> TabularTask:
    """Redbook survey of women (statsmodels ``fair``, 6,366 answers; Fair 1978).

    ``data_dir`` is accepted for a uniform loader signature and not used: the data come with
    statsmodels.

    Sensitive: whether the respondent had any affair (``affairs > 0``, 32.2 % 'yes'). Target:
    the self-rated happiness of the marriage (``rate_marriage``, 1-5). The other answers are
    features, numeric ones scaled by their ranges; ``religious`` and ``occupation`` are coded
    categorically.

    Parameters
    ----------
    data_dir : str or path-like, default=None
        Not used; accepted for a uniform loader signature.

    Returns
    -------
    TabularTask
        A classification task on the features :data:`FAIR_FEATURES`, with target
        ``rate_marriage`` and sensitive attribute ``affairs``.

    Examples
    --------
    >>> task = load_fair()
    >>> len(task), task.sensitive_values
    (6366, ['no', 'yes'])
    >>> task.prior().round(3).tolist()
    [0.678, 0.322]
    """
    from statsmodels.datasets import fair

    raw = fair.load_pandas().data
    frame = pd.DataFrame({
        "age": raw["age"].astype(float),
        "yrs_married": raw["yrs_married"].astype(float),
        "children": raw["children"].astype(float),
        "religious": raw["religious"].astype(int).astype(str),
        "educ": raw["educ"].astype(float),
        "occupation": raw["occupation"].astype(int).astype(str),
        "occupation_husb": raw["occupation_husb"].astype(int).astype(str),
        "affairs": np.where(raw["affairs"] > 0, "yes", "no"),
        "rate_marriage": raw["rate_marriage"].astype(int).astype(str),
    })
    return TabularTask(
        name="fair", frame=frame, target="rate_marriage", sensitive="affairs",
        features=list(FAIR_FEATURES),
        categories={"religious": ["1", "2", "3", "4"],
                    "occupation": [str(i) for i in range(1, 7)],
                    "occupation_husb": [str(i) for i in range(1, 7)],
                    "affairs": ["no", "yes"], "rate_marriage": ["1", "2", "3", "4", "5"]},
        bounds={"age": (17.5, 42.0), "yrs_married": (0.5, 23.0), "children": (0.0, 5.5),
                "educ": (9.0, 20.0)},
        task="classification", description="Redbook survey (Fair 1978), statsmodels 'fair'",
    )


def make_survey(n: int, dependence: float = 0.5, p_sensitive: float = 0.2, n_features: int = 4,
                n_classes: int = 3, random_state=0) -> TabularTask:
    """Synthetic survey with a planted dependence between the sensitive answer and the label.

    s ~ Bernoulli(p_sensitive); the label is ``s``-dependent: with probability ``dependence`` it
    is class ``1 + s`` (mod n_classes), otherwise uniform over the classes; the other answers are
    independent fair yes/no answers plus one that agrees with the label with probability 0.8.
    With ``dependence = 0`` the label carries no information about ``s``. Known ground truth:
    ``survey_label_given_s(dependence, n_classes)`` gives P(label | s).

    Parameters
    ----------
    n : int
        Number of respondents, positive.
    dependence : float, default=0.5
        Strength of the planted dependence, in [0, 1].
    p_sensitive : float, default=0.2
        Probability of the sensitive answer 'yes', in (0, 1).
    n_features : int, default=4
        Number of features other than the sensitive one: ``n_features - 1`` fair yes/no
        answers ``q0``, ``q1``, ... and the ``hint`` that agrees with the label.
    n_classes : int, default=3
        Number of label classes, at least 2.
    random_state : None, int or numpy.random.Generator, default=0
        Seed of the random generator.

    Returns
    -------
    TabularTask
        A classification task with target ``label`` and sensitive attribute ``sensitive``
        ('no' or 'yes').

    Raises
    ------
    ValueError
        An argument is out of range.

    Examples
    --------
    >>> task = make_survey(100, dependence=0.5, random_state=0)
    >>> len(task), task.features
    (100, ['q0', 'q1', 'q2', 'hint', 'sensitive'])
    """
    check_positive_int(n, "n")
    if not 0 <= dependence <= 1:
        raise ValueError(f"dependence must lie in [0, 1], got {dependence}")
    if not 0 < p_sensitive < 1:
        raise ValueError(f"p_sensitive must lie in (0, 1), got {p_sensitive}")
    if n_classes < 2 or n_features < 1:
        raise ValueError("need n_classes >= 2 and n_features >= 1")
    rng = check_random_state(random_state)
    s = (rng.random(n) < p_sensitive).astype(int)
    p_label = survey_label_given_s(dependence, n_classes)
    label = np.array([rng.choice(n_classes, p=p_label[si]) for si in s])
    frame = pd.DataFrame({f"q{j}": np.where(rng.random(n) < 0.5, "yes", "no")
                          for j in range(n_features - 1)})
    agree = rng.random(n) < 0.8
    frame["hint"] = np.where(agree, label, rng.integers(0, n_classes, size=n)).astype(str)
    frame["sensitive"] = np.where(s == 1, "yes", "no")
    frame["label"] = label.astype(str)
    cats = {f"q{j}": ["no", "yes"] for j in range(n_features - 1)}
    cats.update(hint=[str(k) for k in range(n_classes)], sensitive=["no", "yes"],
                label=[str(k) for k in range(n_classes)])
    return TabularTask(
        name="synthetic-survey", frame=frame, target="label", sensitive="sensitive",
        features=[c for c in frame.columns if c != "label"], categories=cats,
        task="classification",
        description=f"synthetic survey (n={n}, dependence={dependence}, random_state={random_state})",
    )


def survey_label_given_s(dependence: float, n_classes: int) -> np.ndarray:
    """P(label = k | s) of :func:`make_survey`.

    Parameters
    ----------
    dependence : float
        Strength of the planted dependence, in [0, 1].
    n_classes : int
        Number of label classes.

    Returns
    -------
    ndarray of shape (2, n_classes)
        Row ``s`` is the label distribution given the sensitive answer ``s`` (0 for 'no',
        1 for 'yes').

    Examples
    --------
    >>> survey_label_given_s(0.5, 3).round(3).tolist()
    [[0.167, 0.667, 0.167], [0.167, 0.167, 0.667]]
    """
    p = np.full((2, n_classes), (1 - dependence) / n_classes)
    for s in (0, 1):
        p[s, (1 + s) % n_classes] += dependence
    return p
