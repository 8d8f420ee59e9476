"""DP-SGD through Opacus: the differential-privacy baseline for neural networks.

:class:`DPConfig` holds the privacy parameters as plain data; :func:`make_private` hands a model,
an optimizer and a data loader to Opacus's ``PrivacyEngine`` (RDP accountant, Poisson sampling,
flat per-sample clipping), and :func:`rdp_epsilon` recomputes the epsilon of a run from its
noise multiplier, sampling rate and number of steps with Opacus's RDP accountant alone.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from functools import lru_cache

import torch
from torch import nn

__all__ = ["DPConfig", "check_opacus_compatible", "make_private", "noise_multiplier_for",
           "rdp_epsilon", "clip_per_record", "add_gaussian_noise"]


@dataclass
class DPConfig:
    """Privacy parameters of a DP-SGD run.

    Give exactly one of ``epsilon`` (a target: Opacus picks the noise multiplier that reaches it
    after the planned epochs) or ``noise_multiplier`` (then epsilon is whatever the accountant
    reports). ``delta`` is the delta of (epsilon, delta)-DP; ``max_grad_norm`` the per-sample
    clipping bound.

    Parameters
    ----------
    epsilon : float, default=None
        The target epsilon, a finite number > 0.
    noise_multiplier : float, default=None
        The noise multiplier sigma (noise in units of the clipping bound), a finite number > 0.
    delta : float, default=1e-5
        The delta of (epsilon, delta)-DP, in (0, 1).
    max_grad_norm : float, default=1.0
        The per-sample clipping bound, > 0.

    Attributes
    ----------
    epsilon : float or None
        The target epsilon.
    noise_multiplier : float or None
        The noise multiplier.
    delta : float
        The delta of (epsilon, delta)-DP.
    max_grad_norm : float
        The per-sample clipping bound.

    Raises
    ------
    ValueError
        Unless exactly one of ``epsilon`` and ``noise_multiplier`` is given, or for a value out of
        its range.

    Examples
    --------
    >>> DPConfig(epsilon=1.0)
    DPConfig(epsilon=1.0, noise_multiplier=None, delta=1e-05, max_grad_norm=1.0)
    >>> DPConfig(noise_multiplier=1.1, max_grad_norm=0.5).delta
    1e-05
    """

    epsilon: float | None = None
    noise_multiplier: float | None = None
    delta: float = 1e-5
    max_grad_norm: float = 1.0

    def make_private(self, model, optimizer, loader, epochs: int, generator=None):
        """The privacy hook of :func:`midlib.nn.train_classifier`.

        It calls :func:`make_private` with this configuration.

        Parameters
        ----------
        model : torch.nn.Module
            The model to train (no BatchNorm: see :func:`check_opacus_compatible`).
        optimizer : torch.optim.Optimizer
            The optimizer of the model's parameters.
        loader : torch.utils.data.DataLoader
            The training data.
        epochs : int
            The planned number of epochs (used to reach a target ``epsilon``).
        generator : torch.Generator, default=None
            The generator of the noise (and of Poisson sampling); None uses Opacus's default.

        Returns
        -------
        engine : opacus.PrivacyEngine
            The engine; ``engine.get_epsilon(delta)`` is the epsilon spent so far.
        model : opacus.GradSampleModule
            The wrapped model.
        optimizer : opacus.optimizers.DPOptimizer
            The wrapped optimizer; ``optimizer.noise_multiplier`` is the noise used.
        loader : opacus.data_loader.DPDataLoader
            The loader with Poisson sampling.

        Examples
        --------
        >>> data = torch.utils.data.TensorDataset(torch.randn(8, 2), torch.randint(0, 2, (8,)))
        >>> loader = torch.utils.data.DataLoader(data, batch_size=4)
        >>> model = nn.Linear(2, 2)
        >>> optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        >>> dp = DPConfig(noise_multiplier=1.0)
        >>> engine, model, optimizer, loader = dp.make_private(model, optimizer, loader, epochs=1)
        >>> type(optimizer).__name__, optimizer.noise_multiplier
        ('DPOptimizer', 1.0)
        """
        return make_private(model, optimizer, loader, self, epochs, generator=generator)

    def __post_init__(self):
        if (self.epsilon is None) == (self.noise_multiplier is None):
            raise ValueError(
                "DPConfig: give exactly one of epsilon (a target) or noise_multiplier, "
                f"got epsilon={self.epsilon}, noise_multiplier={self.noise_multiplier}"
            )
        if self.epsilon is not None and not (self.epsilon > 0 and math.isfinite(self.epsilon)):
            raise ValueError(f"DPConfig: epsilon must be a finite number > 0, got {self.epsilon}")
        if self.noise_multiplier is not None and not (
            self.noise_multiplier > 0 and math.isfinite(self.noise_multiplier)
        ):
            raise ValueError(
                f"DPConfig: noise_multiplier must be a finite number > 0, got {self.noise_multiplier}"
            )
        if not 0 < self.delta < 1:
            raise ValueError(f"DPConfig: delta must lie in (0, 1), got {self.delta}")
        if not (self.max_grad_norm > 0 and math.isfinite(self.max_grad_norm)):
            raise ValueError(f"DPConfig: max_grad_norm must be > 0, got {self.max_grad_norm}")


def check_opacus_compatible(model: nn.Module) -> None:
    """Raise a ValueError naming the layers Opacus cannot train privately (e.g. BatchNorm).

    Parameters
    ----------
    model : torch.nn.Module
        The model to check.

    Raises
    ------
    ValueError
        Listing Opacus's objections, if any.

    Examples
    --------
    >>> check_opacus_compatible(nn.Linear(2, 2))  # fine: nothing happens
    >>> try:
    ...     check_opacus_compatible(nn.BatchNorm1d(2))
    ... except ValueError as err:
    ...     print(str(err)[:41])
    this model cannot be trained with DP-SGD:
    """
    from opacus.validators import ModuleValidator

    errors = ModuleValidator.validate(model, strict=False)
    if errors:
        raise ValueError(
            "this model cannot be trained with DP-SGD: "
            + "; ".join(str(e) for e in errors)
            + ". Use GroupNorm instead of BatchNorm (make_classifier does)."
        )


def make_private(model: nn.Module, optimizer: torch.optim.Optimizer, loader, dp: DPConfig,
                 epochs: int, generator: torch.Generator | None = None):
    """Wrap ``model``, ``optimizer`` and ``loader`` with Opacus (RDP accountant).

    Opacus's ``PrivacyEngine`` is used with Poisson sampling and flat per-sample clipping; a target
    ``dp.epsilon`` is turned into a noise multiplier by :func:`noise_multiplier_for` (Opacus's
    binary search, cached).

    Parameters
    ----------
    model : torch.nn.Module
        The model to train (no BatchNorm: see :func:`check_opacus_compatible`).
    optimizer : torch.optim.Optimizer
        The optimizer of the model's parameters.
    loader : torch.utils.data.DataLoader
        The training data; its length sets the sampling rate ``1 / len(loader)``.
    dp : DPConfig
        The privacy parameters.
    epochs : int
        The planned number of epochs (used to reach a target ``dp.epsilon``).
    generator : torch.Generator, default=None
        The generator of the noise (and of Poisson sampling); None uses Opacus's default.

    Returns
    -------
    engine : opacus.PrivacyEngine
        The engine; ``engine.get_epsilon(dp.delta)`` is the epsilon spent so far.
    model : opacus.GradSampleModule
        The wrapped model.
    optimizer : opacus.optimizers.DPOptimizer
        The wrapped optimizer; ``optimizer.noise_multiplier`` is the noise actually used.
    loader : opacus.data_loader.DPDataLoader
        The loader with Poisson sampling.

    Raises
    ------
    TypeError
        If ``dp`` is not a :class:`DPConfig`.
    ValueError
        If the model has layers Opacus cannot train privately.

    Examples
    --------
    >>> data = torch.utils.data.TensorDataset(torch.randn(8, 2), torch.randint(0, 2, (8,)))
    >>> loader = torch.utils.data.DataLoader(data, batch_size=4)
    >>> model = nn.Linear(2, 2)
    >>> optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    >>> dp = DPConfig(noise_multiplier=1.0)
    >>> engine, model, optimizer, loader = make_private(model, optimizer, loader, dp, epochs=1)
    >>> type(model).__name__, type(loader).__name__
    ('GradSampleModule', 'DPDataLoader')
    """
    from opacus import PrivacyEngine

    if not isinstance(dp, DPConfig):
        raise TypeError(f"dp must be a DPConfig, got {type(dp).__name__}")
    check_opacus_compatible(model)
    engine = PrivacyEngine(accountant="rdp")
    if dp.epsilon is not None:
        # What make_private_with_epsilon does (Opacus's binary search with the RDP accountant),
        # cached so that a sweep over seeds searches once per (epsilon, delta, rate, epochs).
        sigma = noise_multiplier_for(dp.epsilon, dp.delta, 1.0 / len(loader), epochs)
    else:
        sigma = dp.noise_multiplier
    with warnings.catch_warnings():
        # Opacus warns that the secure RNG is off: a seeded generator is used on purpose,
        # so that every run of the book gives the same numbers.
        warnings.simplefilter("ignore")
        model, optimizer, loader = engine.make_private(
            module=model, optimizer=optimizer, data_loader=loader, noise_multiplier=sigma,
            max_grad_norm=dp.max_grad_norm, poisson_sampling=True, noise_generator=generator)
    return engine, model, optimizer, loader


@lru_cache(maxsize=256)
def noise_multiplier_for(epsilon: float, delta: float, sample_rate: float, epochs: int) -> float:
    """The noise multiplier with which ``epochs`` epochs at ``sample_rate`` spend ``epsilon``.

    This is Opacus's ``get_noise_multiplier`` with the RDP accountant, as in
    ``make_private_with_epsilon``; results are cached.

    Parameters
    ----------
    epsilon : float
        The target epsilon.
    delta : float
        The delta of (epsilon, delta)-DP.
    sample_rate : float
        The Poisson sampling rate of a step.
    epochs : int
        The number of epochs (``epochs / sample_rate`` steps).

    Returns
    -------
    float
        The noise multiplier sigma.

    Examples
    --------
    >>> round(noise_multiplier_for(1.0, 1e-5, sample_rate=0.01, epochs=1), 2)
    1.08
    """
    from opacus.accountants.utils import get_noise_multiplier

    return float(get_noise_multiplier(target_epsilon=epsilon, target_delta=delta,
                                      sample_rate=sample_rate, epochs=epochs, accountant="rdp"))


def rdp_epsilon(noise_multiplier: float, sample_rate: float, steps: int, delta: float) -> float:
    """Epsilon of ``steps`` Poisson-subsampled Gaussian steps by Opacus's RDP accountant.

    Parameters
    ----------
    noise_multiplier : float
        The noise multiplier sigma of every step.
    sample_rate : float
        The Poisson sampling rate of a step, in (0, 1].
    steps : int
        The number of steps, >= 1.
    delta : float
        The delta of (epsilon, delta)-DP.

    Returns
    -------
    float
        The epsilon spent.

    Examples
    --------
    >>> round(rdp_epsilon(1.0, sample_rate=0.01, steps=100, delta=1e-5), 2)
    1.21
    """
    from opacus.accountants import RDPAccountant

    if not 0 < sample_rate <= 1:
        raise ValueError(f"sample_rate must lie in (0, 1], got {sample_rate}")
    if steps < 1:
        raise ValueError(f"steps must be >= 1, got {steps}")
    acc = RDPAccountant()
    acc.history = [(float(noise_multiplier), float(sample_rate), int(steps))]
    return float(acc.get_epsilon(delta))


def clip_per_record(grads: dict, max_grad_norm: float) -> dict:
    """DP-SGD's per-record clipping: each record's gradient scaled to norm at most ``max_grad_norm``.

    Parameters
    ----------
    grads : dict of str to torch.Tensor
        Per-record gradients, each tensor with a leading axis of records.
    max_grad_norm : float
        The clipping bound ``C``.

    Returns
    -------
    dict of str to torch.Tensor
        The clipped gradients, same shapes.

    Examples
    --------
    >>> g = clip_per_record({"w": torch.tensor([[3.0, 4.0], [0.3, 0.4]])}, 1.0)["w"]
    >>> [round(float(v), 3) for v in g.norm(dim=1)]
    [1.0, 0.5]
    """
    norm = torch.sqrt(sum(v.flatten(1).pow(2).sum(1) for v in grads.values()))
    scale = torch.clamp(max_grad_norm / (norm + 1e-12), max=1.0)
    return {k: v * scale.view(-1, *[1] * (v.ndim - 1)) for k, v in grads.items()}


def add_gaussian_noise(grads: dict, noise_multiplier: float, max_grad_norm: float) -> dict:
    """DP-SGD's noise: ``N(0, (noise_multiplier * max_grad_norm)^2)`` added to every coordinate
    (drawn from torch's global generator, one tensor after another in the dict's order).

    Parameters
    ----------
    grads : dict of str to torch.Tensor
        Clipped (summed) gradients.
    noise_multiplier : float
        sigma, the noise in units of the clipping bound.
    max_grad_norm : float
        The clipping bound ``C``.

    Returns
    -------
    dict of str to torch.Tensor

    Examples
    --------
    >>> add_gaussian_noise({"w": torch.zeros(3)}, 0.0, 1.0)["w"].tolist()
    [0.0, 0.0, 0.0]
    """
    c = float(max_grad_norm)
    return {k: v + noise_multiplier * c * torch.randn_like(v) for k, v in grads.items()}
