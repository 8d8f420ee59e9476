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

__all__ = ["TabularTask", "task_from_arrays", "check_task"]


@dataclass
class TabularTask:
    """A tabular data set with a discrete sensitive attribute and a fixed numeric encoding.

    Attributes
    ----------
    name : short name of the data set.
    frame : tidy DataFrame, one row a record; categorical columns hold readable strings.
    target : name of the column the model predicts.
    sensitive : name of the discrete sensitive column (one of ``features``).
    features : the model's input columns, in order.
    categories : for each categorical feature, its values in a fixed order (the encoding order).
    bounds : for each numeric feature, (low, high): encoded as (x - low) / (high - low), clipped
        to [0, 1], so every encoded feature lies in [0, 1] (the DP mechanisms rely on it).
    task : "regression" or "classification".
    target_bounds : (low, high) of the target for regression, used by :meth:`y` when scaled.
    drop_first : one-hot encode categorical features with more than two values without their
        first value (a reference level), so that the encoded design has full rank together with
        an intercept. Least-squares solvers do not care, but mechanisms that add noise to
        ``X'X`` (the functional mechanism) do: noise in a direction the data never vary in is
        never averaged away. :meth:`with_encoding` returns a copy with another choice.
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
        """Empirical marginal distribution of the sensitive attribute (in ``sensitive_values`` order)."""
        frame = self.frame if frame is None else frame
        counts = frame[self.sensitive].value_counts()
        p = np.array([counts.get(v, 0) for v in self.sensitive_values], dtype=float)
        return p / p.sum()

    # -- encoding ------------------------------------------------------------------------------
    def feature_names(self) -> list[str]:
        """Names of the encoded columns: ``col`` for numeric and binary, ``col=value`` for one-hot."""
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
        """Numeric matrix in [0, 1]: numeric columns scaled by ``bounds``; a binary categorical
        column as one 0/1 column (1 for its second value); others one-hot in ``categories`` order
        (without the first value when ``drop_first``).
        """
        frame = self.frame if frame is None else frame
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
                blocks.append(np.clip((x - low) / (high - low), 0.0, 1.0)[:, None])
        return np.hstack(blocks)

    def with_encoding(self, drop_first: bool) -> "TabularTask":
        """A copy of the task whose :meth:`encode` drops (or keeps) the reference level."""
        return replace(self, drop_first=drop_first)

    def sensitive_columns(self) -> list[int]:
        """Indices of the encoded columns that carry the sensitive attribute."""
        names = self.feature_names()
        prefix = f"{self.sensitive}="
        return [i for i, n in enumerate(names) if n.startswith(prefix) or n == self.sensitive]

    def y(self, frame: pd.DataFrame | None = None, scaled: bool = False) -> np.ndarray:
        """The target. For classification, integer codes (``categories[target]`` order, if
        given); for regression, the raw value, or scaled to [0, 1] by ``target_bounds``."""
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
        """A copy of ``frame`` with every record's sensitive attribute set to ``value``."""
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
        members, nonmembers : pandas.DataFrame
            Training and held-out records, index reset.
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
    """Check that ``task`` is a TabularTask whose sensitive attribute is discrete with >= 2 values."""
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

    ``X`` (n, d) numeric non-sensitive features (scaled to [0, 1] by their observed ranges),
    ``y`` (n,) the target, ``s`` (n,) the discrete sensitive attribute (>= 2 distinct values).
    The sensitive column is named ``"s"``, the target ``"y"``.
    """
    X = np.asarray(X, dtype=float)
    if X.ndim == 1:
        X = X[:, None]
    if X.ndim != 2:
        raise ValueError(f"X must be 2-D (n, d), got shape {X.shape}")
    y = np.asarray(y)
    s = np.asarray(s)
    n = X.shape[0]
    if y.shape != (n,) or s.shape != (n,):
        raise ValueError(f"shapes disagree: X {X.shape}, y {y.shape}, s {s.shape}; need (n, d), (n,), (n,)")
    if np.isnan(X).any():
        raise ValueError("X has missing values (NaN): impute or drop them first")
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


