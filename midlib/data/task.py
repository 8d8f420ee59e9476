"""The task abstraction: a tidy table with a discrete sensitive attribute and a fixed encoding.

A :class:`TabularTask` holds a tidy frame (readable categorical values), the names of the target
and of the sensitive attribute, and a fixed encoding to a numeric matrix in [0, 1]. Attacks
enumerate candidate values of the sensitive attribute *in the frame* (:meth:`TabularTask.with_sensitive`)
and re-encode, so every model and attack sees the same encoding. :func:`task_from_arrays` builds
one from numpy arrays.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Sequence

import numpy as np
import pandas as pd

from midlib.validation import check_random_state

__all__ = ["TabularTask", "task_from_arrays", "check_task", "MAX_SENSITIVE_VALUES"]

#: More distinct values than this, and :func:`task_from_arrays` refuses a sensitive attribute
#: (it is probably continuous or an identifier) unless its values are given explicitly.
MAX_SENSITIVE_VALUES = 50


@dataclass
class TabularTask:
    """A tabular data set with a discrete sensitive attribute and a fixed numeric encoding.

    The frame keeps readable categorical values; :meth:`encode` maps it to a numeric matrix in
    [0, 1] with an encoding fixed by ``categories`` and ``bounds``, so that every model and
    attack sees the same encoding. Attacks enumerate candidate values of the sensitive
    attribute in the frame (:meth:`with_sensitive`) and re-encode.

    Parameters
    ----------
    name : str
        Short name of the data set.
    frame : pandas.DataFrame
        Tidy frame, one row a record; categorical columns hold readable strings.
    target : str
        Name of the column the model predicts.
    sensitive : str
        Name of the discrete sensitive column (one of ``features``); it must be a key of
        ``categories``.
    features : list of str
        The model's input columns, in order.
    categories : dict of str to list, default={}
        For each categorical feature (and a categorical target), its values in a fixed order
        (the encoding order).
    bounds : dict of str to tuple of float, default={}
        For each numeric feature, ``(low, high)``: encoded as ``(x - low) / (high - low)``,
        clipped to [0, 1], so every encoded feature lies in [0, 1] (the DP mechanisms rely on
        it). Every feature needs either categories or bounds.
    task : {"classification", "regression"}, default="classification"
        The kind of prediction task.
    target_bounds : tuple of float, default=None
        ``(low, high)`` of the target for regression, used by :meth:`y` when scaled.
    description : str, default=""
        Free-text description of the data set.
    drop_first : bool, default=False
        One-hot encode categorical features with more than two values without their first
        value (a reference level), so that the encoded design has full rank together with an
        intercept. Least-squares solvers do not care, but mechanisms that add noise to
        ``X'X`` (the functional mechanism) do: noise in a direction the data never vary in is
        never averaged away. :meth:`with_encoding` returns a copy with another choice.

    Attributes
    ----------
    name : str
        Short name of the data set.
    frame : pandas.DataFrame
        Tidy frame, one row a record; categorical columns hold readable strings.
    target : str
        Name of the column the model predicts.
    sensitive : str
        Name of the discrete sensitive column (one of ``features``).
    features : list of str
        The model's input columns, in order.
    categories : dict of str to list
        For each categorical feature, its values in a fixed order (the encoding order).
    bounds : dict of str to tuple of float
        For each numeric feature, ``(low, high)``: the range mapped onto [0, 1].
    task : str
        ``"regression"`` or ``"classification"``.
    target_bounds : tuple of float or None
        ``(low, high)`` of the target for regression, used by :meth:`y` when scaled.
    description : str
        Free-text description of the data set.
    drop_first : bool
        Whether one-hot encodings drop the reference level.

    Raises
    ------
    ValueError
        A feature or the target is not in the frame, the sensitive attribute is not
        categorical, or a feature has neither categories nor bounds.

    See Also
    --------
    task_from_arrays : Build a task from numpy arrays.

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"age": [20.0, 40.0, 60.0], "smoker": ["no", "yes", "no"],
    ...                       "risk": ["low", "high", "low"]})
    >>> task = TabularTask(name="toy", frame=frame, target="risk", sensitive="smoker",
    ...                    features=["age", "smoker"],
    ...                    categories={"smoker": ["no", "yes"], "risk": ["low", "high"]},
    ...                    bounds={"age": (0.0, 100.0)})
    >>> len(task), task.sensitive_values
    (3, ['no', 'yes'])
    >>> task.encode().tolist()
    [[0.2, 0.0], [0.4, 1.0], [0.6, 0.0]]
    """

    name: str
    frame: pd.DataFrame
    target: str
    sensitive: str
    features: list[str]
    categories: dict[str, list] = field(default_factory=dict)
    bounds: dict[str, tuple[float, float]] = field(default_factory=dict)
    task: str = "classification"
    target_bounds: tuple[float, float] | None = None
    description: str = ""
    drop_first: bool = False

    def __post_init__(self):
        missing = [c for c in self.features + [self.target] if c not in self.frame.columns]
        if missing:
            raise ValueError(f"{self.name}: columns {missing} are not in the frame")
        if self.sensitive not in self.categories:
            raise ValueError(
                f"{self.name}: the sensitive attribute {self.sensitive!r} must be categorical "
                "(give its values in `categories`)"
            )
        for col in self.features:
            if col not in self.categories and col not in self.bounds:
                raise ValueError(f"{self.name}: feature {col!r} needs categories or bounds")

    # -- the sensitive attribute ---------------------------------------------------------------
    @property
    def sensitive_values(self) -> list:
        """The possible values of the sensitive attribute, in encoding order."""
        return list(self.categories[self.sensitive])

    def prior(self, frame: pd.DataFrame | None = None) -> np.ndarray:
        """Empirical marginal distribution of the sensitive attribute.

        Parameters
        ----------
        frame : pandas.DataFrame, default=None
            The records to count; None means the task's own frame.

        Returns
        -------
        ndarray of shape (n_sensitive_values,)
            The share of records with each sensitive value, in ``sensitive_values`` order.

        Examples
        --------
        >>> from midlib.data import load_steak
        >>> task = load_steak()
        >>> task.sensitive_values
        ['No', 'Yes']
        >>> task.prior().round(3).tolist()
        [0.828, 0.172]
        """
        frame = self.frame if frame is None else frame
        counts = frame[self.sensitive].value_counts()
        p = np.array([counts.get(v, 0) for v in self.sensitive_values], dtype=float)
        return p / p.sum()

    # -- encoding ------------------------------------------------------------------------------
    def feature_names(self) -> list[str]:
        """Names of the encoded columns.

        A numeric column keeps its name ``col``; a binary categorical column is named
        ``col=value`` after its second value (the one encoded as 1); other categorical columns
        give one ``col=value`` per one-hot column.

        Returns
        -------
        list of str
            One name per column of :meth:`encode`.

        Examples
        --------
        >>> from midlib.data import load_steak
        >>> load_steak().feature_names()[:3]
        ['lottery=Lottery B', 'smoke=Yes', 'alcohol=Yes']
        """
        names = []
        for col in self.features:
            if col in self.categories:
                values = self.categories[col]
                if len(values) == 2:
                    names.append(f"{col}={values[1]}")
                else:
                    names.extend(f"{col}={v}" for v in values[1 if self.drop_first else 0:])
            else:
                names.append(col)
        return names

    def encode(self, frame: pd.DataFrame | None = None) -> np.ndarray:
        """Encode records as a numeric matrix in [0, 1].

        Numeric columns are scaled by ``bounds``; a binary categorical column becomes one 0/1
        column (1 for its second value); other categorical columns are one-hot in
        ``categories`` order (without the first value when ``drop_first``).

        Parameters
        ----------
        frame : pandas.DataFrame, default=None
            The records to encode; None means the task's own frame.

        Returns
        -------
        ndarray of shape (n_records, n_encoded_features)
            The encoded records, columns named by :meth:`feature_names`.

        Raises
        ------
        ValueError
            A categorical column has values outside its categories, or a numeric column has
            missing values.

        Examples
        --------
        >>> from midlib.data import load_steak
        >>> task = load_steak()
        >>> task.encode().shape
        (331, 31)
        >>> task.with_encoding(drop_first=True).encode().shape
        (331, 27)
        """
        frame = self.frame if frame is None else frame
        missing = [c for c in self.features if c not in frame.columns]
        if missing:
            raise ValueError(f"{self.name}: the records lack the model's input columns {missing}; "
                             f"give every column of {self.features}")
        blocks = []
        for col in self.features:
            values = frame[col]
            if col in self.categories:
                cats = self.categories[col]
                unknown = ~values.isin(cats)
                if unknown.any():
                    raise ValueError(
                        f"{self.name}: column {col!r} has values {sorted(set(values[unknown]))} "
                        f"outside its categories {cats}"
                    )
                codes = pd.Categorical(values, categories=cats).codes
                if len(cats) == 2:
                    blocks.append(codes[:, None].astype(float))
                else:
                    blocks.append(np.eye(len(cats))[codes][:, 1 if self.drop_first else 0:])
            else:
                low, high = self.bounds[col]
                x = values.to_numpy(dtype=float)
                if np.isnan(x).any():
                    raise ValueError(f"{self.name}: column {col!r} has missing values")
                if np.isinf(x).any():  # would be clipped to the bounds without a word
                    raise ValueError(f"{self.name}: column {col!r} has infinite values: replace "
                                     "or drop them first")
                blocks.append(np.clip((x - low) / (high - low), 0.0, 1.0)[:, None])
        return np.hstack(blocks)

    def with_encoding(self, drop_first: bool) -> "TabularTask":
        """A copy of the task whose :meth:`encode` drops (or keeps) the reference level.

        Parameters
        ----------
        drop_first : bool
            Whether one-hot encodings of categorical features with more than two values drop
            their first value (see the class docstring).

        Returns
        -------
        TabularTask
            A copy of the task with ``drop_first`` set; the frame is shared.

        Examples
        --------
        >>> from midlib.data import load_steak
        >>> task = load_steak()
        >>> task.with_encoding(True).drop_first, task.drop_first
        (True, False)
        """
        return replace(self, drop_first=drop_first)

    def sensitive_columns(self) -> list[int]:
        """Indices of the encoded columns that carry the sensitive attribute.

        Returns
        -------
        list of int
            Positions in :meth:`feature_names` (and columns of :meth:`encode`) of the sensitive
            attribute: one for a binary attribute, several for a one-hot encoded one.

        Examples
        --------
        >>> from midlib.data import load_steak
        >>> task = load_steak()
        >>> cols = task.sensitive_columns()
        >>> cols, [task.feature_names()[i] for i in cols]
        ([6], ['cheated=Yes'])
        """
        names = self.feature_names()
        prefix = f"{self.sensitive}="
        return [i for i, n in enumerate(names) if n.startswith(prefix) or n == self.sensitive]

    def y(self, frame: pd.DataFrame | None = None, scaled: bool = False) -> np.ndarray:
        """The target of the records.

        For classification, integer codes (in ``categories[target]`` order, if given; else the
        raw values); for regression, the raw value, or scaled to [0, 1] by ``target_bounds``.

        Parameters
        ----------
        frame : pandas.DataFrame, default=None
            The records; None means the task's own frame.
        scaled : bool, default=False
            For regression, scale the target to [0, 1] by ``target_bounds`` (clipped).
            Ignored for classification.

        Returns
        -------
        ndarray of shape (n_records,)
            The target values.

        Raises
        ------
        ValueError
            ``scaled`` is requested for a regression task without ``target_bounds``.

        Examples
        --------
        >>> from midlib.data import load_steak
        >>> task = load_steak()
        >>> task.categories[task.target][:2]
        ['Rare', 'Medium rare']
        >>> task.y().shape
        (331,)
        """
        frame = self.frame if frame is None else frame
        values = frame[self.target]
        if self.task == "classification":
            if self.target in self.categories:
                return pd.Categorical(values, categories=self.categories[self.target]).codes.astype(int)
            return values.to_numpy()
        y = values.to_numpy(dtype=float)
        if scaled:
            if self.target_bounds is None:
                raise ValueError(f"{self.name}: no target_bounds to scale the target with")
            low, high = self.target_bounds
            y = np.clip((y - low) / (high - low), 0.0, 1.0)
        return y

    def with_sensitive(self, frame: pd.DataFrame, value) -> pd.DataFrame:
        """A copy of ``frame`` with every record's sensitive attribute set to ``value``.

        Parameters
        ----------
        frame : pandas.DataFrame
            The records.
        value : object
            One of ``sensitive_values``.

        Returns
        -------
        pandas.DataFrame
            A copy of ``frame`` whose sensitive column is ``value`` throughout.

        Raises
        ------
        ValueError
            ``value`` is not a value of the sensitive attribute.

        Examples
        --------
        >>> from midlib.data import load_steak
        >>> task = load_steak()
        >>> task.with_sensitive(task.frame, "Yes")["cheated"].unique().tolist()
        ['Yes']
        """
        if value not in self.categories[self.sensitive]:
            raise ValueError(f"{value!r} is not a value of {self.sensitive!r}: {self.sensitive_values}")
        out = frame.copy()
        out[self.sensitive] = value
        return out

    def split(self, test_size: float = 0.3, random_state=0) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Random split of the frame into training and held-out records.

        Parameters
        ----------
        test_size : float, default=0.3
            Share of held-out records, in (0, 1).
        random_state : None, int or numpy.random.Generator, default=0
            Seeds the permutation (see :func:`midlib.validation.check_random_state`).

        Returns
        -------
        members : pandas.DataFrame
            Training records, index reset.
        nonmembers : pandas.DataFrame
            Held-out records, index reset.

        Raises
        ------
        ValueError
            ``test_size`` is not in (0, 1).

        Examples
        --------
        >>> from midlib.data import load_steak
        >>> members, nonmembers = load_steak().split(test_size=0.3, random_state=0)
        >>> len(members), len(nonmembers)
        (232, 99)
        """
        if not 0 < test_size < 1:
            raise ValueError(f"test_size must lie in (0, 1), got {test_size}")
        rng = check_random_state(random_state)
        idx = rng.permutation(len(self.frame))
        n_test = int(round(test_size * len(self.frame)))
        test, train = idx[:n_test], idx[n_test:]
        return self.frame.iloc[train].reset_index(drop=True), self.frame.iloc[test].reset_index(drop=True)

    def check_frame(self, data, name: str = "data") -> pd.DataFrame:
        """``data`` as a frame of this task's records, with clear errors for bad input.

        Parameters
        ----------
        data : pandas.DataFrame or numpy.ndarray
            Records with the task's columns (an array must have them in the frame's order).
        name : str, default="data"
            What to call ``data`` in error messages.

        Returns
        -------
        pandas.DataFrame
            The records, index reset.

        Raises
        ------
        ValueError
            Empty data, missing columns, or sensitive values outside ``sensitive_values``.
        TypeError
            ``data`` is neither a DataFrame nor a numpy array.

        Examples
        --------
        >>> from midlib.data import load_steak
        >>> task = load_steak()
        >>> task.check_frame(task.frame.iloc[5:8]).index.tolist()
        [0, 1, 2]
        """
        if isinstance(data, np.ndarray):
            cols = list(self.frame.columns)
            if data.ndim != 2 or data.shape[1] != len(cols):
                raise ValueError(
                    f"{name}: an array must have shape (n, {len(cols)}) with the task's columns "
                    f"{cols}, got shape {data.shape}"
                )
            data = pd.DataFrame(data, columns=cols)
            for col in cols:
                if col in self.bounds or (col == self.target and self.task == "regression"):
                    data[col] = data[col].astype(float)
        if not isinstance(data, pd.DataFrame):
            raise TypeError(f"{name} must be a pandas DataFrame (or numpy array), got {type(data).__name__}")
        if len(data) == 0:
            raise ValueError(f"{name} has no records")
        needed = [c for c in self.features + [self.target] if c not in data.columns]
        if needed:
            raise ValueError(f"{name} lacks the task's columns {needed}")
        bad = ~data[self.sensitive].isin(self.sensitive_values)
        if bad.any():
            raise ValueError(
                f"{name}: sensitive column {self.sensitive!r} has values "
                f"{sorted(map(str, set(data.loc[bad, self.sensitive])))} outside "
                f"{self.sensitive_values} (the sensitive attribute must be discrete)"
            )
        return data.reset_index(drop=True)

    def __len__(self) -> int:
        return len(self.frame)



def check_task(task) -> TabularTask:
    """Check that ``task`` is a TabularTask whose sensitive attribute has at least two values.

    Parameters
    ----------
    task : TabularTask
        The task to check.

    Returns
    -------
    TabularTask
        ``task`` itself, unchanged.

    Raises
    ------
    TypeError
        ``task`` is not a :class:`TabularTask`.
    ValueError
        The sensitive attribute has fewer than two values.

    Examples
    --------
    >>> from midlib.data import load_steak
    >>> check_task(load_steak()).name
    'steak'
    """
    if not isinstance(task, TabularTask):
        raise TypeError(
            f"task must be a midlib.data.TabularTask, got {type(task).__name__}; build one "
            "from arrays with midlib.data.task_from_arrays"
        )
    values = task.sensitive_values
    if len(values) < 2:
        raise ValueError(
            f"the sensitive attribute {task.sensitive!r} must have at least two values, got {values}"
        )
    return task


def task_from_arrays(X, y, s, *, sensitive_values: Sequence | None = None,
                     task: str = "classification", feature_names: Sequence[str] | None = None,
                     name: str = "arrays") -> TabularTask:
    """A :class:`TabularTask` from numpy arrays or pandas objects.

    The sensitive column is named ``"s"``, the target ``"y"``; the features are ``X``'s columns
    followed by ``"s"``.

    Parameters
    ----------
    X : array-like of shape (n, d)
        Numeric non-sensitive features, scaled to [0, 1] by their observed ranges. A 1-D array
        is one feature.
    y : array-like of shape (n,)
        The target.
    s : array-like of shape (n,)
        The discrete sensitive attribute (at least two distinct values; floats must be
        whole numbers).
    sensitive_values : sequence, default=None
        The values of the sensitive attribute, in encoding order; None means the distinct
        values of ``s``, sorted.
    task : {"classification", "regression"}, default="classification"
        The kind of prediction task.
    feature_names : sequence of str, default=None
        One name per column of ``X`` (not ``"s"`` or ``"y"``); None means ``x0``, ``x1``, ...
    name : str, default="arrays"
        Short name of the data set.

    Returns
    -------
    TabularTask
        The task, with ``categories={"s": sensitive_values}`` and ``bounds`` the observed
        range of each column of ``X``.

    Raises
    ------
    ValueError
        Shapes disagree, values are missing, ``s`` is not discrete or has fewer than two
        values, or ``feature_names`` is malformed.

    Examples
    --------
    >>> import numpy as np
    >>> task = task_from_arrays(np.array([[0.0], [5.0], [10.0]]), [1, 0, 1], [0, 1, 1])
    >>> task.features, len(task.sensitive_values)
    (['x0', 's'], 2)
    >>> task.encode().tolist()
    [[0.0, 0.0], [0.5, 1.0], [1.0, 1.0]]
    """
    X = np.asarray(X, dtype=float)
    if X.ndim == 1:
        X = X[:, None]
    if X.ndim != 2:
        raise ValueError(f"X must be 2-D (n, d), got shape {X.shape}")
    y = np.asarray(y)
    s = np.asarray(s)
    n = X.shape[0]
    if n == 0:
        raise ValueError("X has no records: give at least two records with different sensitive values")
    if y.shape != (n,) or s.shape != (n,):
        raise ValueError(f"shapes disagree: X {X.shape}, y {y.shape}, s {s.shape}; need (n, d), (n,), (n,)")
    if np.isnan(X).any():
        raise ValueError("X has missing values (NaN): impute or drop them first")
    if np.isinf(X).any():
        raise ValueError("X has infinite values: replace or drop them first")
    if s.dtype.kind == "O" and pd.isna(s).any():
        raise ValueError("s has missing values (None or NaN): drop those records or give the "
                         "missing value a category of its own (e.g. 'unknown')")
    if s.dtype.kind == "f":
        if np.isnan(s).any():
            raise ValueError("s has missing values (NaN)")
        if not np.all(s == np.round(s)):
            raise ValueError("the sensitive attribute s must be discrete; got non-integer floats "
                             "(discretize it first)")
        s = s.astype(int)
    values = list(pd.unique(s)) if sensitive_values is None else list(sensitive_values)
    if sensitive_values is None:
        values = sorted(values, key=lambda v: (str(type(v)), v))
        if len(values) > MAX_SENSITIVE_VALUES:
            raise ValueError(
                f"the sensitive attribute has {len(values)} distinct values, more than "
                f"{MAX_SENSITIVE_VALUES}: it looks continuous or like an identifier. Bin it into "
                "a few categories first, or pass sensitive_values explicitly if you mean it")
    if len(values) < 2:
        raise ValueError(f"the sensitive attribute must take at least two values, got {values}")
    names = list(feature_names) if feature_names is not None else [f"x{j}" for j in range(X.shape[1])]
    if len(names) != X.shape[1] or "s" in names or "y" in names:
        raise ValueError("feature_names must give one name per column of X, other than 's' and 'y'")
    frame = pd.DataFrame(X, columns=names)
    frame["s"] = s
    frame["y"] = y
    bounds = {}
    for c in names:
        lo, hi = float(frame[c].min()), float(frame[c].max())
        bounds[c] = (lo, hi if hi > lo else lo + 1.0)
    return TabularTask(name=name, frame=frame, target="y", sensitive="s", features=names + ["s"],
                       categories={"s": values}, bounds=bounds, task=task)


