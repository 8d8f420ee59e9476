"""Identity losses of generative model inversion that do not saturate, and the attacker's grid.

GMI's identity loss is the cross-entropy ``CE(T(x), c)`` of the target's logits. Against a sharp,
overconfident target it reaches almost zero long before the reconstruction looks like the class
(its gradient ``softmax - onehot`` vanishes), and the discriminator's prior takes over. The
adaptive attacks of the literature replace it by losses whose gradient does not vanish:

- **temperature** (a logit-scale search): ``CE(T(x) / tau, c)`` with ``tau > 1`` softens the
  target's softmax, so the gradient survives further into the class;
- **logit maximisation** (Nguyen et al., CVPR 2023, "Re-thinking model inversion attacks against
  deep neural networks"): ``-T_c(x) + lambda_f ||phi(x) - p_reg||^2``, the target logit itself
  (unbounded, so it never saturates) with an L2 penalty keeping the target's penultimate
  features ``phi(x)`` near ``p_reg``, their mean over the attacker's public prior;
- **Poincare** (Struppek et al., ICML 2022, Plug & Play attacks): the hyperbolic distance
  between the L1-normalised logits and the one-hot vector of ``c`` (its 1 lowered by ``xi``),
  ``arccosh(1 + 2 ||u - v||^2 / ((1 - ||u||^2)(1 - ||v||^2)))``, which grows without bound as
  ``u`` approaches the boundary of the ball away from ``v``.

:data:`ADAPTIVE_GRID` is the small grid the book's chapter runs; :func:`gmi_attack` runs any
list of :class:`IdentityLoss` in one batch.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch.nn import functional as F

__all__ = ["IdentityLoss", "identity_loss", "poincare_loss", "GMI_LOSS", "ADAPTIVE_GRID"]

LOSS_KINDS = ("ce", "logit", "poincare")


@dataclass(frozen=True)
class IdentityLoss:
    """One identity loss of the attacker's grid, with its weight.

    Parameters
    ----------
    kind : {"ce", "logit", "poincare"}
        Cross-entropy (with ``temperature``), logit maximisation with a feature penalty, or the
        Poincare loss.
    weight : float, default=100.0
        ``lambda_id``, the weight of the identity loss against the prior ``-D(G(z))`` (>= 0).
    temperature : float, default=1.0
        The logits are divided by it before the loss (> 0; ``kind="ce"`` with 1 is GMI's loss).
    feature_weight : float, default=0.0
        ``lambda_f`` of the logit loss's feature penalty (>= 0; ``kind="logit"`` only).
    name : str, default=""
        A label for tables (empty: one is made from the fields).

    Attributes
    ----------
    label : str
        ``name``, or a label made from the fields.

    Examples
    --------
    >>> IdentityLoss("ce", temperature=3.0).label
    'CE, T=3'
    >>> IdentityLoss("poincare").label
    'Poincaré'
    """

    kind: str
    weight: float = 100.0
    temperature: float = 1.0
    feature_weight: float = 0.0
    name: str = ""

    def __post_init__(self):
        if self.kind not in LOSS_KINDS:
            raise ValueError(f"identity loss kind must be one of {LOSS_KINDS}, got {self.kind!r}")
        if not self.weight >= 0 or not self.temperature > 0 or not self.feature_weight >= 0:
            raise ValueError(f"need weight >= 0, temperature > 0 and feature_weight >= 0, got "
                             f"{self.weight}, {self.temperature}, {self.feature_weight}")
        if self.feature_weight and self.kind != "logit":
            raise ValueError("feature_weight applies to the logit loss only")

    @property
    def label(self) -> str:
        if self.name:
            return self.name
        base = {"ce": "CE", "logit": "logit", "poincare": "Poincaré"}[self.kind]
        if self.weight != 100:
            base += f", λ={self.weight:g}"
        if self.temperature != 1:
            base += f", T={self.temperature:g}"
        if self.feature_weight:
            base += f", λf={self.feature_weight:g}"
        return base


def poincare_loss(logits: torch.Tensor, labels: torch.Tensor, xi: float = 1e-4) -> torch.Tensor:
    """Struppek et al.'s Poincare loss of each row: hyperbolic distance to the target's one-hot.

    Parameters
    ----------
    logits : torch.Tensor of shape (n, k)
        The target's logits.
    labels : torch.Tensor of shape (n,)
        The target classes.
    xi : float, default=1e-4
        The one-hot vector's 1 is lowered to ``1 - xi`` (inside the unit ball).

    Returns
    -------
    torch.Tensor of shape (n,)
        ``arccosh(1 + 2 ||u - v||^2 / ((1 - ||u||^2)(1 - ||v||^2)))`` with ``u`` the
        L1-normalised logits and ``v`` the lowered one-hot vector.

    Examples
    --------
    >>> import torch
    >>> near = poincare_loss(torch.tensor([[9.0, 0.5, 0.5]]), torch.tensor([0]))
    >>> far = poincare_loss(torch.tensor([[0.5, 9.0, 0.5]]), torch.tensor([0]))
    >>> bool(near < far)
    True
    """
    u = logits / logits.abs().sum(-1, keepdim=True).clamp_min(1e-12)
    v = (F.one_hot(labels, logits.shape[-1]).to(logits.dtype) - xi).clamp(0, 1)
    num = 2 * (u - v).pow(2).sum(-1)
    den = (1 - u.pow(2).sum(-1)).clamp_min(1e-6) * (1 - v.pow(2).sum(-1))
    return torch.acosh(1 + num / den)


def identity_loss(spec: IdentityLoss, logits: torch.Tensor, labels: torch.Tensor,
                  features: torch.Tensor | None = None,
                  p_reg: torch.Tensor | None = None) -> torch.Tensor:
    """The identity loss ``spec`` of each row (unweighted).

    Parameters
    ----------
    spec : IdentityLoss
        The loss.
    logits : torch.Tensor of shape (n, k)
        The target's logits.
    labels : torch.Tensor of shape (n,)
        The target classes.
    features : torch.Tensor of shape (n, d), default=None
        The target's penultimate features (needed by a logit loss with a feature penalty).
    p_reg : torch.Tensor of shape (d,), default=None
        The features' reference point (ditto).

    Returns
    -------
    torch.Tensor of shape (n,)
        The loss of each row.

    Examples
    --------
    >>> import torch
    >>> logits, labels = torch.tensor([[4.0, 0.0], [0.0, 4.0]]), torch.tensor([0, 0])
    >>> identity_loss(IdentityLoss("logit"), logits, labels).tolist()
    [-4.0, -0.0]
    >>> ce = identity_loss(IdentityLoss("ce", temperature=2.0), logits, labels)
    >>> bool(torch.allclose(ce, torch.nn.functional.cross_entropy(logits / 2, labels,
    ...                                                         reduction="none")))
    True
    """
    z = logits / spec.temperature
    if spec.kind == "ce":
        return F.cross_entropy(z, labels, reduction="none")
    if spec.kind == "poincare":
        return poincare_loss(z, labels)
    out = -z.gather(1, labels[:, None])[:, 0]
    if spec.feature_weight:
        if features is None or p_reg is None:
            raise ValueError("the logit loss's feature penalty needs the target's features and p_reg")
        out = out + spec.feature_weight * (features - p_reg).pow(2).sum(-1)
    return out


#: GMI's own identity loss (Zhang et al. 2020): cross-entropy, lambda_id = 100.
GMI_LOSS = IdentityLoss("ce", 100.0, name="CE (GMI)")

#: The adaptive grid of the book's chapter: GMI's loss, a softened cross-entropy, logit
#: maximisation with a feature penalty and the Poincare loss.
ADAPTIVE_GRID = (
    GMI_LOSS,
    IdentityLoss("ce", 100.0, temperature=3.0),
    IdentityLoss("logit", 1.0, feature_weight=0.002),
    IdentityLoss("poincare", 100.0),
)
