"""One registry of defenses: create any model of the book by family, defense and strength.

Families and their defenses (the *strength* is the one knob of each):

=======  =========  ==============================================  =============================
family   defense    model                                           strength
=======  =========  ==============================================  =============================
linear   none       scikit-learn ``LinearRegression``               (none)
linear   MID        :class:`MIDLinearRegression`                    lambda >= 0
linear   DP         :class:`FunctionalMechanismRegression`          epsilon > 0
linear   noise-cap  :class:`GaussianNoiseRegressor`                 the cap C on I(X; Yhat), nats
tree     none       scikit-learn ``DecisionTreeClassifier``         (none)
tree     MID        :class:`MIDDecisionTreeClassifier`              lambda >= 0
tree     DP         :class:`DPDecisionTreeClassifier`               epsilon > 0
tree     priority   :class:`PriorityDecisionTreeClassifier`         "top" or "bottom"
network  none       a plain classifier                              (none)
network  MID        a VIB head + :class:`VIBRegularizer`            beta >= 0
network  DP         DP-SGD through Opacus (:class:`DPConfig`)       epsilon > 0
network  NLS        :class:`LabelSmoothingLoss` (the criterion)     alpha in (-1, 1)
network  BiDO       a :class:`BiDOHead` + :class:`BiDORegularizer`  lambda_x >= 0
=======  =========  ==============================================  =============================

:func:`create_defense` returns an unfitted scikit-learn estimator for the classical families;
:func:`network_defense` returns the pieces a network needs (a head for
:func:`midlib.nn.make_classifier`, and the regularizer and privacy hooks of
:func:`midlib.nn.train_classifier`). The command line names models ``family`` or
``defense-family`` in lower case (``linear``, ``mid-linear``, ``dp-tree``): :data:`CLI_MODELS`.
"""

from __future__ import annotations

from dataclasses import dataclass

from midlib.defenses.bido import BiDORegularizer, bido_head
from midlib.defenses.dp_linear import FunctionalMechanismRegression
from midlib.defenses.dp_sgd import DPConfig
from midlib.defenses.dp_tree import DPDecisionTreeClassifier
from midlib.defenses.label_smoothing import LabelSmoothingLoss
from midlib.defenses.mid_linear import MIDLinearRegression
from midlib.defenses.mid_tree import MIDDecisionTreeClassifier
from midlib.defenses.noise_capped import GaussianNoiseRegressor
from midlib.defenses.priority_tree import PriorityDecisionTreeClassifier
from midlib.defenses.vib import VIBRegularizer, vib_head

__all__ = ["DEFENSES", "CLI_MODELS", "create_defense", "NetworkDefense", "network_defense",
           "parse_model_name"]

#: family -> {defense: what the strength is (None: no strength)}.
DEFENSES = {
    "linear": {"none": None, "MID": "lambda", "DP": "epsilon", "noise-cap": "mi_cap"},
    "tree": {"none": None, "MID": "lambda", "DP": "epsilon", "priority": "position"},
    "network": {"none": None, "MID": "beta", "DP": "epsilon", "NLS": "alpha", "BiDO": "lambda_x"},
}

#: The command line's model names -> (family, defense).
CLI_MODELS = {
    "linear": ("linear", "none"), "mid-linear": ("linear", "MID"), "dp-linear": ("linear", "DP"),
    "tree": ("tree", "none"), "mid-tree": ("tree", "MID"), "dp-tree": ("tree", "DP"),
}


def _check(family: str, defense: str, strength):
    if family not in DEFENSES:
        raise ValueError(f"unknown family {family!r}; choose one of {', '.join(DEFENSES)}")
    if defense not in DEFENSES[family]:
        raise ValueError(f"unknown defense {defense!r} for family {family!r}; choose one of "
                         f"{', '.join(DEFENSES[family])}")
    knob = DEFENSES[family][defense]
    if knob is None and strength is not None:
        raise ValueError(f"{family} with defense {defense!r} has no strength; give strength=None")
    if knob is not None and strength is None:
        raise ValueError(f"{family} with defense {defense!r} needs a strength (its {knob})")


def parse_model_name(name: str) -> tuple[str, str]:
    """The (family, defense) of a command-line model name such as ``"mid-linear"``.

    Parameters
    ----------
    name : str
        A key of :data:`CLI_MODELS`.

    Returns
    -------
    family : str
        The model family, a key of :data:`DEFENSES`.
    defense : str
        The defense, a key of ``DEFENSES[family]``.

    Raises
    ------
    ValueError
        For an unknown name.

    Examples
    --------
    >>> parse_model_name("dp-tree")
    ('tree', 'DP')
    """
    if name not in CLI_MODELS:
        raise ValueError(f"unknown model {name!r}; choose one of {', '.join(CLI_MODELS)}")
    return CLI_MODELS[name]


def create_defense(family: str, defense: str = "none", strength=None, *, random_state=None,
                   sensitive_column: int | None = None, **params):
    """An unfitted model of ``family`` with ``defense`` at ``strength``.

    Parameters
    ----------
    family : {"linear", "tree"}
        The model family.
    defense : str, default="none"
        One of ``DEFENSES[family]``.
    strength : float or str, default=None
        The defense's knob (see the table of the module); None for ``"none"``.
    random_state : None, int or numpy.random.Generator, default=None
        Seeds the model (noise, tree growing); ignored by least squares.
    sensitive_column : int, default=None
        The encoded column of the sensitive attribute (``"priority"`` trees only).
    **params
        Passed to the estimator (e.g. ``min_samples_leaf`` for trees, ``max_depth`` for the DP
        tree, ``noise_floor`` for the functional mechanism).

    Returns
    -------
    estimator
        A scikit-learn estimator, not fitted.

    Examples
    --------
    >>> create_defense("linear", "MID", 0.1, random_state=0)
    MIDLinearRegression(lam=0.1, random_state=0)
    """
    _check(family, defense, strength)
    if family == "network":
        raise ValueError("networks are built with network_defense(...), not create_defense")
    if family == "linear":
        if defense == "none":
            from sklearn.linear_model import LinearRegression
            return LinearRegression(**params)
        if defense == "MID":
            return MIDLinearRegression(strength, random_state=random_state, **params)
        if defense == "DP":
            return FunctionalMechanismRegression(strength, random_state=random_state, **params)
        return GaussianNoiseRegressor(mi_cap=strength, random_state=random_state, **params)
    if defense == "none":
        from sklearn.tree import DecisionTreeClassifier
        return DecisionTreeClassifier(random_state=random_state, **params)
    if defense == "MID":
        return MIDDecisionTreeClassifier(strength, random_state=random_state, **params)
    if defense == "DP":
        return DPDecisionTreeClassifier(strength, random_state=random_state, **params)
    if sensitive_column is None:
        raise ValueError("priority trees need sensitive_column, the encoded column of the "
                         "(binary) sensitive attribute")
    return PriorityDecisionTreeClassifier(sensitive_column, position=strength,
                                          random_state=random_state, **params)


@dataclass
class NetworkDefense:
    """What a network needs for one defense.

    Pass ``head`` to :func:`midlib.nn.make_classifier` and ``regularizer``, ``privacy`` and
    ``criterion`` to :func:`midlib.nn.train_classifier` (None where unused). Usually created by
    :func:`network_defense`.

    Parameters
    ----------
    defense : str
        "none", "MID", "DP", "NLS" or "BiDO".
    strength : float or None
        beta (MID), epsilon (DP), alpha (NLS) or lambda_x (BiDO); None for "none".
    head : callable, default=None
        The head factory (MID: a VIB bottleneck; BiDO: a head with a regularised hidden layer).
    regularizer : VIBRegularizer or BiDORegularizer, default=None
        MID's or BiDO's penalty.
    privacy : DPConfig, default=None
        DP-SGD's configuration.
    criterion : LabelSmoothingLoss, default=None
        The loss replacing the cross-entropy (NLS).

    Attributes
    ----------
    defense : str
        The defense's name.
    strength : float or None
        Its knob.
    head : callable or None
        The head factory.
    regularizer : VIBRegularizer, BiDORegularizer or None
        The penalty.
    privacy : DPConfig or None
        DP-SGD's configuration.
    criterion : LabelSmoothingLoss or None
        The loss hook.

    Examples
    --------
    >>> NetworkDefense("none", None)
    NetworkDefense(defense='none', strength=None, head=None, regularizer=None, privacy=None, criterion=None)
    >>> NetworkDefense("DP", 1.0, privacy=DPConfig(epsilon=1.0)).privacy.epsilon
    1.0
    """

    defense: str
    strength: float | None
    head: object = None
    regularizer: object = None
    privacy: DPConfig | None = None
    criterion: LabelSmoothingLoss | None = None


def network_defense(defense: str = "none", strength=None, *, vib_k: int = 32,
                    delta: float = 1e-5, max_grad_norm: float = 1.0, bido_hidden=(32,),
                    bido_ratio: float = 10.0, nls_warmup: float = 0.5,
                    nls_ramp: float = 0.25) -> NetworkDefense:
    """The pieces of a defended network.

    Parameters
    ----------
    defense : {"none", "MID", "DP", "NLS", "BiDO"}, default="none"
        The defense: MID (a VIB head, Wang et al. 2021), DP-SGD (Opacus), label smoothing
        (NLS for negative alpha, Struppek et al. 2024) or BiDO-HSIC (Peng et al. 2022).
    strength : float, default=None
        beta for MID (>= 0), epsilon for DP (> 0), alpha for NLS (in (-1, 1); negative is NLS,
        positive the usual smoothing), lambda_x for BiDO (>= 0); None for "none".
    vib_k : int, default=32
        MID's bottleneck dimension.
    delta : float, default=1e-5
        DP-SGD's delta.
    max_grad_norm : float, default=1.0
        DP-SGD's clipping bound.
    bido_hidden : int or tuple of int, default=(32,)
        Widths of BiDO's regularised hidden layers (in its head).
    bido_ratio : float, default=10.0
        BiDO's ``lambda_y / lambda_x``.
    nls_warmup, nls_ramp : float, default=0.5, 0.25
        Shares of the epochs before a negative alpha starts and over which it ramps in.

    Returns
    -------
    NetworkDefense
        The head, regularizer, privacy configuration and criterion of the defense (None where
        unused).

    Raises
    ------
    ValueError
        For an unknown defense, a missing strength, or a strength out of range.

    Examples
    --------
    >>> network_defense("MID", 0.01).regularizer
    VIBRegularizer(beta=0.01)
    >>> network_defense("DP", 1.0).privacy
    DPConfig(epsilon=1.0, noise_multiplier=None, delta=1e-05, max_grad_norm=1.0)
    >>> network_defense("NLS", -0.05).criterion
    LabelSmoothingLoss(alpha=-0.05, warmup=0.5, ramp=0.25)
    >>> network_defense("BiDO", 0.05).regularizer
    BiDORegularizer(lambda_x=0.05, ratio=10.0)
    """
    _check("network", defense, strength)
    if defense == "NLS":
        return NetworkDefense(defense, float(strength),
                              criterion=LabelSmoothingLoss(float(strength), nls_warmup, nls_ramp))
    if defense == "BiDO":
        return NetworkDefense(defense, float(strength), head=bido_head(bido_hidden),
                              regularizer=BiDORegularizer(float(strength), bido_ratio))
    if defense == "MID":
        return NetworkDefense(defense, float(strength), head=vib_head(vib_k),
                              regularizer=VIBRegularizer(float(strength)))
    if defense == "DP":
        return NetworkDefense(defense, float(strength),
                              privacy=DPConfig(epsilon=float(strength), delta=delta,
                                               max_grad_norm=max_grad_norm))
    return NetworkDefense(defense, None)
