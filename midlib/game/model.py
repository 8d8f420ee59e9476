"""The model behind one interface: the columns it reads and one batched query.

:func:`wrap_model` wraps any fitted scikit-learn estimator or Pipeline, a callable or a torch
module (through :class:`TorchModel`) as a :class:`ModelAdapter`; :func:`wrap_task_model` wraps a
model fitted on a :class:`~midlib.data.TabularTask`'s encoding. The game engine queries every
model through :meth:`ModelAdapter.outputs`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["TorchModel", "ModelAdapter", "wrap_model", "wrap_task_model", "REGRESSION_MIN_VALUES"]

#: A numeric target with more distinct values than this is taken for a regression target.
REGRESSION_MIN_VALUES = 20


class TorchModel:
    """A torch module that reads a DataFrame: the columns, as float32, in a given order.

    Parameters
    ----------
    module : torch.nn.Module
        Maps a float tensor of shape (n, len(columns)) to shape (n,) or (n, 1) for regression,
        or to (n, n_classes) logits for classification.
    columns : list of str
        The numeric input columns, in the module's order.
    classes : array-like, default=None
        The class labels of the logits' columns (classification); None for regression.
    batch_size : int, default=65536
        Rows per forward pass.

    Attributes
    ----------
    classes_ : ndarray or None
        The class labels (classification only).
    feature_names_in_ : ndarray of str
        ``columns``.

    Examples
    --------
    >>> import torch
    >>> net = torch.nn.Linear(2, 1)
    >>> model = TorchModel(net, ["a", "b"])
    >>> model.predict(pd.DataFrame({"a": [0.0, 1.0], "b": [1.0, 0.0]})).shape
    (2,)
    """

    def __init__(self, module, columns, classes=None, batch_size: int = 65536):
        self.module = module
        self.columns = list(columns)
        self.feature_names_in_ = np.asarray(self.columns, dtype=object)
        self.batch_size = batch_size
        if classes is not None:
            self.classes_ = np.asarray(classes)

    def _forward(self, frame):
        import torch

        X = torch.from_numpy(np.array(frame[self.columns], dtype=np.float32))
        self.module.eval()
        with torch.no_grad():
            out = [self.module(X[i:i + self.batch_size]) for i in range(0, len(X), self.batch_size)]
        return torch.cat(out).double()

    def predict_proba(self, frame):
        """Class probabilities: the softmax of the module's logits.

        Parameters
        ----------
        frame : pandas.DataFrame
            Records with ``columns``.

        Returns
        -------
        ndarray of shape (n, n_classes)
            Columns in ``classes_`` order.

        Examples
        --------
        >>> import torch
        >>> model = TorchModel(torch.nn.Linear(1, 2), ["a"], classes=["x", "y"])
        >>> model.predict_proba(pd.DataFrame({"a": [0.0]})).sum().round(6)
        np.float64(1.0)
        """
        return self._forward(frame).softmax(dim=1).numpy()

    def predict(self, frame):
        """Predictions: the output for regression, the most likely class for classification.

        Parameters
        ----------
        frame : pandas.DataFrame
            Records with ``columns``.

        Returns
        -------
        ndarray of shape (n,)
            The predictions.

        Examples
        --------
        >>> import torch
        >>> model = TorchModel(torch.nn.Linear(1, 2), ["a"], classes=["x", "y"])
        >>> model.predict(pd.DataFrame({"a": [0.0, 1.0]})).shape
        (2,)
        """
        out = self._forward(frame)
        if getattr(self, "classes_", None) is None:
            return out.reshape(len(out), -1)[:, 0].numpy()
        return self.classes_[out.argmax(dim=1).numpy()]


class ModelAdapter:
    """A fitted model behind one interface: which columns it reads and one batched query.

    Built by :func:`wrap_model`.

    Parameters
    ----------
    model : object
        The model as given.
    features : list of str
        The record columns the model reads, in order.
    kind : {"regression", "classification"}
        What the model predicts.
    classes : ndarray or None
        The class labels (classification).
    reads_frame : bool
        Whether the model reads a DataFrame (else a numpy array of ``features``).

    Attributes
    ----------
    final : object
        The estimator that makes the prediction (a Pipeline's last step).
    has_proba : bool
        Whether the model gives class probabilities.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> frame = pd.DataFrame({"a": [0.0, 1.0, 2.0, 3.0], "y": [0, 0, 1, 1]})
    >>> clf = LogisticRegression().fit(frame[["a"]], frame["y"])
    >>> adapter = wrap_model(clf, frame, target="y")
    >>> adapter.kind, adapter.features
    ('classification', ['a'])
    """

    def __init__(self, model, features, kind, classes, reads_frame):
        from sklearn.pipeline import Pipeline

        self.model, self.features, self.kind = model, list(features), kind
        self.classes, self.reads_frame = classes, reads_frame
        self.final = model[-1] if isinstance(model, Pipeline) else model
        prefix = model[:-1] if isinstance(model, Pipeline) else None
        self.transform = (lambda X: X) if prefix is None else prefix.transform
        if callable(model) and not hasattr(model, "predict"):
            self.final = None
        self.has_proba = kind == "classification" and hasattr(self.final, "predict_proba")
        #: White-box access to a stochastic regressor: its mean output (None: not available).
        self.mean_outputs = None
        if self.final is not None and hasattr(self.final, "predict_mean"):
            self.mean_outputs = lambda frame: np.asarray(
                self.final.predict_mean(self.transform(self._inputs(frame))), dtype=float)

    def _inputs(self, frame):
        X = frame[self.features]
        return X if self.reads_frame else X.to_numpy()

    def labels(self, frame: pd.DataFrame, target: str) -> np.ndarray:
        """The records' labels as the model predicts them (the ``target`` column).

        Parameters
        ----------
        frame : pandas.DataFrame
            Records with the label column.
        target : str
            The label column.

        Returns
        -------
        ndarray of shape (n,)

        Examples
        --------
        >>> from sklearn.dummy import DummyRegressor
        >>> frame = pd.DataFrame({"a": [0.0, 1.0], "y": [1.0, 2.0]})
        >>> wrap_model(DummyRegressor().fit(frame[["a"]], frame["y"]), frame, target="y").labels(
        ...     frame, "y").tolist()
        [1.0, 2.0]
        """
        return frame[target].to_numpy()

    def outputs(self, frame: pd.DataFrame):
        """Query the model once on all rows of ``frame``.

        Parameters
        ----------
        frame : pandas.DataFrame
            Records with the model's ``features``.

        Returns
        -------
        pred : ndarray of shape (n,)
            The released predictions.
        proba : ndarray of shape (n, n_classes) or None
            Class probabilities (classifiers that give them), columns in ``classes`` order.
        Xt : array or None
            The input of the final estimator (for white-box attacks), None for callables.

        Raises
        ------
        ValueError
            The model fails on the records (the message says the likely causes).

        Examples
        --------
        >>> from sklearn.linear_model import LinearRegression
        >>> frame = pd.DataFrame({"a": [0.0, 1.0, 2.0], "y": [0.0, 2.0, 4.0]})
        >>> adapter = wrap_model(LinearRegression().fit(frame[["a"]], frame["y"]), frame, target="y")
        >>> adapter.outputs(frame)[0].round(3).tolist()
        [0.0, 2.0, 4.0]
        """
        X = self._inputs(frame)
        try:
            if self.final is None:  # a callable
                out = np.asarray(self.model(X))
                if out.ndim == 2:
                    return self.classes[out.argmax(axis=1)], out, None
                return out, None, None
            Xt = self.transform(X)
            pred = np.asarray(self.final.predict(Xt))
            proba = np.asarray(self.final.predict_proba(Xt)) if self.has_proba else None
        except Exception as err:  # the user's model: say what to check
            raise ValueError(
                f"the model failed on the records ({type(err).__name__}: {err}). Check that they "
                "have the columns and categories it was trained on: categories it never saw need "
                "OneHotEncoder(handle_unknown='ignore') in its pipeline, missing values an "
                "imputer") from err
        return pred, proba, Xt


def _is_torch_module(model) -> bool:
    return any(c.__module__.startswith("torch.nn") and c.__name__ == "Module"
               for c in type(model).__mro__)


def wrap_model(model, frame: pd.DataFrame, *, target: str, exclude=(), task: str = "auto",
               classes=None) -> ModelAdapter:
    """Wrap a fitted model as a :class:`ModelAdapter`, checking that it is fitted.

    The columns the model reads are its ``feature_names_in_`` when it has them (an estimator
    or Pipeline fitted on a DataFrame); otherwise all columns of ``frame`` but ``target`` and
    ``exclude``, in order (a model fitted on a numpy array must have been fitted on them, in
    that order). A plain callable receives a DataFrame of those columns and returns
    predictions (shape (n,)) or class probabilities (shape (n, n_classes), columns in
    ``classes`` order, default the sorted target values). A torch module is wrapped in a
    :class:`TorchModel`.

    Parameters
    ----------
    model : estimator, Pipeline, callable or torch.nn.Module
        The fitted model.
    frame : pandas.DataFrame
        Records (to read the column names and the target's values).
    target : str
        The label column.
    exclude : sequence of str, default=()
        Other columns the model does not read (e.g. a membership column).
    task : {"auto", "regression", "classification"}, default="auto"
        For callables and torch modules: what the model predicts; ``"auto"`` takes a numeric
        target with more than 20 distinct values for regression.
    classes : array-like, default=None
        For callables and torch modules returning probabilities: the class labels.

    Returns
    -------
    ModelAdapter
        The wrapped model.

    Raises
    ------
    ValueError
        The model is not fitted, or reads a number of columns that does not match.
    TypeError
        ``model`` is neither an estimator, a callable nor a torch module.

    Examples
    --------
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> frame = pd.DataFrame({"a": [0.0, 1.0, 2.0, 3.0], "y": ["n", "n", "y", "y"]})
    >>> wrap_model(DecisionTreeClassifier(), frame, target="y")
    Traceback (most recent call last):
    ...
    ValueError: the model (DecisionTreeClassifier) is not fitted: fit it on your training records first
    """
    columns = [c for c in frame.columns if c != target and c not in set(exclude)]
    if task not in ("auto", "regression", "classification"):
        raise ValueError(f"task must be 'auto', 'regression' or 'classification', got {task!r}")
    if _is_torch_module(model):
        y = frame[target]
        regression = task == "regression" or (task == "auto" and _looks_continuous(y))
        model = TorchModel(model, columns, None if regression else
                           (np.sort(y.unique()) if classes is None else classes))
    if hasattr(model, "predict") and not isinstance(model, TorchModel):
        from sklearn.exceptions import NotFittedError
        from sklearn.utils.validation import check_is_fitted

        try:
            check_is_fitted(model)
        except NotFittedError:
            raise ValueError(f"the model ({type(model).__name__}) is not fitted: fit it on your "
                             "training records first") from None
        except TypeError:
            pass  # not a scikit-learn estimator: trust its predict
        names = getattr(model, "feature_names_in_", None)
        if names is not None:
            features, reads_frame = [str(c) for c in names], True
        else:
            n_in = getattr(model, "n_features_in_", None)
            if n_in is not None and n_in != len(columns):
                raise ValueError(
                    f"the model was fitted on {n_in} unnamed columns but the records have "
                    f"{len(columns)} besides the target: {columns}. Fit the model on a DataFrame "
                    "(so it knows its column names) or give exactly its input columns, in order")
            features, reads_frame = columns, False
        model_classes = getattr(model, "classes_", None)
        kind = "classification" if model_classes is not None else "regression"
        return ModelAdapter(model, features, kind,
                            None if model_classes is None else np.asarray(model_classes),
                            reads_frame)
    if isinstance(model, TorchModel):
        kind = "regression" if getattr(model, "classes_", None) is None else "classification"
        return ModelAdapter(model, model.columns, kind, getattr(model, "classes_", None), True)
    if callable(model):
        y = frame[target]
        kind = task if task != "auto" else ("regression" if _looks_continuous(y) else
                                            "classification")
        cls = None if kind == "regression" else (
            np.sort(y.unique()) if classes is None else np.asarray(classes))
        adapter = ModelAdapter(model, columns, kind, cls, True)
        if kind == "classification":  # one probe record: labels or probabilities?
            adapter.has_proba = np.ndim(model(frame[columns].head(1))) == 2
        return adapter
    raise TypeError(f"the model must be a fitted scikit-learn estimator or Pipeline, a callable "
                    f"or a torch module, got {type(model).__name__}")


def _looks_continuous(y: pd.Series) -> bool:
    return bool(pd.api.types.is_float_dtype(y) and y.nunique() > REGRESSION_MIN_VALUES)


class _TaskEncoded:
    """A model fitted on ``task.encode(frame)``, read as a model of the raw records."""

    def __init__(self, task, model):
        self.task, self.model = task, model
        self.feature_names_in_ = np.asarray(task.features, dtype=object)
        if getattr(model, "classes_", None) is not None:
            self.classes_ = np.asarray(model.classes_)

    def predict(self, frame):
        return np.asarray(self.model.predict(self.task.encode(frame)))

    def predict_proba(self, frame):
        return np.asarray(self.model.predict_proba(self.task.encode(frame)))


def wrap_task_model(task, model, *, scaled: bool = False) -> "ModelAdapter":
    """Wrap a model fitted on a task's encoding (``model.fit(task.encode(frame), task.y(frame))``).

    The adapter reads raw records (the task's columns), encodes them before each query, and
    reads the records' labels as the model was fitted on them (``task.y(frame, scaled)``).

    Parameters
    ----------
    task : TabularTask
        The task whose encoding the model reads.
    model : estimator
        The fitted model.
    scaled : bool, default=False
        A regression model fitted on the target scaled to [0, 1] (``task.y(frame, scaled=True)``).

    Returns
    -------
    ModelAdapter

    Examples
    --------
    >>> from sklearn.linear_model import LinearRegression
    >>> from midlib.data import make_pharmacogenetic
    >>> task = make_pharmacogenetic(100, random_state=0)
    >>> model = LinearRegression().fit(task.encode(task.frame), task.y(task.frame))
    >>> wrap_task_model(task, model).kind
    'regression'
    """
    wrapped = _TaskEncoded(task, model)
    kind = "classification" if getattr(model, "classes_", None) is not None else "regression"
    adapter = ModelAdapter(wrapped, list(task.features), kind,
                           None if kind == "regression" else np.asarray(model.classes_), True)
    adapter.final = model
    adapter.has_proba = kind == "classification" and hasattr(model, "predict_proba")
    adapter.transform = task.encode
    adapter.labels = lambda frame, target=None: np.asarray(task.y(frame, scaled=scaled))
    if hasattr(model, "predict_mean"):
        adapter.mean_outputs = lambda frame: np.asarray(model.predict_mean(task.encode(frame)),
                                                        dtype=float)
    return adapter
