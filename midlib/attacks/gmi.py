"""Generative model inversion (GMI; Zhang et al., CVPR 2020), scaled to a CPU.

The attacker knows the target classifier ``T`` (white box) and has *public* data of the same
kind as the private training data but of other classes. It

1. trains a GAN (generator ``G``, discriminator ``D``) on the public data, so that ``G`` has
   learnt what a plausible image looks like (the *prior*);
2. for each private class ``c``, searches the latent space of ``G``:

   .. math:: \\min_z\\; -D(G(z)) + \\lambda_{id}\\, \\mathrm{CE}(T(G(z)), c),

   by gradient descent with momentum from several random starts (``restarts``), clipping ``z``
   to ``[-1, 1]`` after every step as the official code does;
3. is scored by a separately trained *evaluation classifier*: top-1 accuracy of its
   predictions on the reconstructions (among the private classes, and among all classes it
   knows), the share it reads as a public class, and the distance from each reconstruction to
   the nearest private image of its class (KNN distance).

The identity loss may be any of :mod:`midlib.attacks.gmi_losses` (adaptive losses that do not
saturate against an overconfident target), several at once.

The paper's MNIST setting (digits 0-4 private, 5-9 public, ``lambda_id = 100``, momentum 0.9,
learning rate 0.02, 1,500 steps, 5 restarts, a DCGAN trained with WGAN-GP) is scaled here to
a small DCGAN-style convolutional GAN on 14x14 digits trained with the non-saturating GAN loss
(a multilayer-perceptron GAN is available as ``arch="mlp"``), and a few hundred search steps
(the callers choose ``steps`` and ``restarts``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import torch
from torch import nn
from torch.nn import functional as F

from midlib.attacks.gmi_losses import IdentityLoss, identity_loss
from midlib.defenses.vib import find_vib
from midlib.metrics import knn_distance
from midlib.nn import check_images
from midlib.progress import progress

__all__ = [
    "Generator", "Discriminator", "ConvGenerator", "ConvDiscriminator", "GAN", "train_gan",
    "GMIResult", "gmi_attack", "evaluate_reconstructions", "vib_identity_loss_bounds",
]


# --------------------------------------------------------------------------------------------
# The GAN
# --------------------------------------------------------------------------------------------

class Generator(nn.Module):
    """MLP generator: z (latent_dim) -> image in [0, 1] of ``image_shape`` (h, w).

    Two hidden layers (LeakyReLU 0.2), then a tanh rescaled to [0, 1].

    Parameters
    ----------
    latent_dim : int, default=32
        The dimension of ``z``.
    image_shape : tuple of int, default=(14, 14)
        The image shape ``(h, w)``.
    hidden : int, default=256
        The width of the hidden layers.

    Attributes
    ----------
    latent_dim : int
        The dimension of ``z``.
    image_shape : tuple of int
        The image shape.
    net : torch.nn.Sequential
        The layers, up to the pixels' pre-activations.

    Examples
    --------
    >>> import torch
    >>> G = Generator(latent_dim=2, image_shape=(4, 4), hidden=8)
    >>> G(torch.zeros(3, 2)).shape
    torch.Size([3, 4, 4])
    """

    def __init__(self, latent_dim: int = 32, image_shape=(14, 14), hidden: int = 256):
        super().__init__()
        self.latent_dim, self.image_shape = int(latent_dim), tuple(image_shape)
        n_pixels = int(np.prod(self.image_shape))
        self.net = nn.Sequential(
            nn.Linear(self.latent_dim, hidden), nn.LeakyReLU(0.2),
            nn.Linear(hidden, hidden), nn.LeakyReLU(0.2),
            nn.Linear(hidden, n_pixels),
        )

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        """The images ``G(z)``.

        Parameters
        ----------
        z : torch.Tensor of shape (n, latent_dim)
            Latent codes.

        Returns
        -------
        torch.Tensor of shape (n, h, w)
            Images in [0, 1].

        Examples
        --------
        >>> import torch
        >>> G = Generator(latent_dim=2, image_shape=(4, 4), hidden=8)
        >>> x = G(torch.zeros(3, 2))
        >>> x.shape, bool(x.min() >= 0 and x.max() <= 1)
        (torch.Size([3, 4, 4]), True)
        """
        return (0.5 * (torch.tanh(self.net(z)) + 1.0)).view(-1, *self.image_shape)


class Discriminator(nn.Module):
    """MLP discriminator: image (h, w) -> a real-valued logit (high = looks real).

    Two hidden layers (LeakyReLU 0.2, dropout 0.3) on the flattened image rescaled to [-1, 1].

    Parameters
    ----------
    image_shape : tuple of int, default=(14, 14)
        The image shape ``(h, w)``.
    hidden : int, default=256
        The width of the hidden layers.

    Attributes
    ----------
    net : torch.nn.Sequential
        The layers.

    Examples
    --------
    >>> import torch
    >>> D = Discriminator(image_shape=(4, 4), hidden=8)
    >>> D(torch.zeros(3, 4, 4)).shape
    torch.Size([3])
    """

    def __init__(self, image_shape=(14, 14), hidden: int = 256):
        super().__init__()
        n_pixels = int(np.prod(image_shape))
        self.net = nn.Sequential(
            nn.Flatten(), nn.Linear(n_pixels, hidden), nn.LeakyReLU(0.2), nn.Dropout(0.3),
            nn.Linear(hidden, hidden), nn.LeakyReLU(0.2), nn.Dropout(0.3), nn.Linear(hidden, 1),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """The logit ``D(x)`` of each image.

        Parameters
        ----------
        x : torch.Tensor of shape (n, h, w)
            Images in [0, 1].

        Returns
        -------
        torch.Tensor of shape (n,)
            The logits (high = looks real).

        Examples
        --------
        >>> import torch
        >>> D = Discriminator(image_shape=(4, 4), hidden=8)
        >>> D(torch.zeros(3, 4, 4)).shape
        torch.Size([3])
        """
        return self.net(2.0 * x - 1.0).squeeze(-1)  # images in [0, 1] -> [-1, 1]


class ConvGenerator(nn.Module):
    """DCGAN-style generator for ``(h, w)`` images with even ``h`` and ``w``.

    A linear layer maps z to ``channels`` feature maps of size ``(h/2, w/2)``, a stride-2
    transposed convolution doubles the resolution (``channels/2`` maps) and a 3x3 convolution
    gives the image, with batch normalisation and ReLU in between and a tanh rescaled to
    [0, 1].

    Parameters
    ----------
    latent_dim : int, default=32
        The dimension of ``z``.
    image_shape : tuple of int, default=(14, 14)
        The image shape ``(h, w)``, with even sides.
    channels : int, default=64
        Feature maps of the first layer (at least 2).

    Attributes
    ----------
    latent_dim : int
        The dimension of ``z``.
    image_shape : tuple of int
        The image shape.
    channels : int
        Feature maps of the first layer.
    base : tuple of int
        The size ``(h/2, w/2)`` of the first feature maps.
    fc : torch.nn.Sequential
        The linear layer (with batch normalisation and ReLU).
    net : torch.nn.Sequential
        The convolutional layers.

    Examples
    --------
    >>> import torch
    >>> G = ConvGenerator(latent_dim=2, image_shape=(4, 4), channels=4)
    >>> G(torch.zeros(3, 2)).shape
    torch.Size([3, 4, 4])
    """

    def __init__(self, latent_dim: int = 32, image_shape=(14, 14), channels: int = 64):
        super().__init__()
        self.latent_dim, self.image_shape = int(latent_dim), tuple(image_shape)
        h, w = self.image_shape
        if h % 2 or w % 2 or channels < 2:
            raise ValueError(f"the convolutional generator needs even image sides and "
                             f"channels >= 2, got {self.image_shape} and {channels}")
        self.channels, self.base = int(channels), (h // 2, w // 2)
        self.fc = nn.Sequential(nn.Linear(self.latent_dim, self.channels * h * w // 4),
                                nn.BatchNorm1d(self.channels * h * w // 4), nn.ReLU())
        self.net = nn.Sequential(
            nn.ConvTranspose2d(self.channels, self.channels // 2, 4, 2, 1),
            nn.BatchNorm2d(self.channels // 2), nn.ReLU(),
            nn.Conv2d(self.channels // 2, 1, 3, 1, 1),
        )

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        """The images ``G(z)``.

        Parameters
        ----------
        z : torch.Tensor of shape (n, latent_dim)
            Latent codes (in training mode, batch normalisation needs ``n > 1``).

        Returns
        -------
        torch.Tensor of shape (n, h, w)
            Images in [0, 1].

        Examples
        --------
        >>> import torch
        >>> G = ConvGenerator(latent_dim=2, image_shape=(4, 4), channels=4).eval()
        >>> G(torch.zeros(1, 2)).shape
        torch.Size([1, 4, 4])
        """
        h = self.fc(z).view(-1, self.channels, *self.base)
        return (0.5 * (torch.tanh(self.net(h)) + 1.0)).view(-1, *self.image_shape)


class ConvDiscriminator(nn.Module):
    """DCGAN-style discriminator: two stride-2 convolutions and a linear layer to a logit.

    The convolutions have ``channels/2`` then ``channels`` maps (LeakyReLU 0.2), the linear
    layer gives a real-valued logit; there is no normalisation.

    Parameters
    ----------
    image_shape : tuple of int, default=(14, 14)
        The image shape ``(h, w)``.
    channels : int, default=64
        Feature maps of the second convolution (at least 2).

    Attributes
    ----------
    features : torch.nn.Sequential
        The convolutions, flattened.
    head : torch.nn.Linear
        The linear layer to the logit.

    Examples
    --------
    >>> import torch
    >>> D = ConvDiscriminator(image_shape=(4, 4), channels=4)
    >>> D(torch.zeros(3, 4, 4)).shape
    torch.Size([3])
    """

    def __init__(self, image_shape=(14, 14), channels: int = 64):
        super().__init__()
        if channels < 2:
            raise ValueError(f"channels must be >= 2, got {channels}")
        self.features = nn.Sequential(
            nn.Conv2d(1, channels // 2, 4, 2, 1), nn.LeakyReLU(0.2),
            nn.Conv2d(channels // 2, channels, 3, 2, 1), nn.LeakyReLU(0.2), nn.Flatten(),
        )
        with torch.no_grad():
            n_feat = self.features(torch.zeros(1, 1, *image_shape)).shape[-1]
        self.head = nn.Linear(n_feat, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """The logit ``D(x)`` of each image.

        Parameters
        ----------
        x : torch.Tensor of shape (n, h, w)
            Images in [0, 1] (rescaled to [-1, 1] and given a channel axis here).

        Returns
        -------
        torch.Tensor of shape (n,)
            The logits (high = looks real).

        Examples
        --------
        >>> import torch
        >>> D = ConvDiscriminator(image_shape=(4, 4), channels=4)
        >>> D(torch.zeros(3, 4, 4)).shape
        torch.Size([3])
        """
        return self.head(self.features(2.0 * x.unsqueeze(1) - 1.0)).squeeze(-1)


GAN_ARCHS = ("conv", "mlp")


@dataclass
class GAN:
    """A trained GAN: the generator, the discriminator and the training history.

    :func:`train_gan` returns one.

    Parameters
    ----------
    generator : Generator or ConvGenerator
        The generator ``G``.
    discriminator : Discriminator or ConvDiscriminator
        The discriminator ``D``.
    history : pandas.DataFrame, default=empty
        The losses during training (columns ``step``, ``loss_d``, ``loss_g``).
    seconds : float, default=0.0
        Wall-clock training time.

    Attributes
    ----------
    generator : Generator or ConvGenerator
        The generator.
    discriminator : Discriminator or ConvDiscriminator
        The discriminator.
    history : pandas.DataFrame
        The losses during training.
    seconds : float
        Wall-clock training time.
    latent_dim : int
        The generator's latent dimension.

    Examples
    --------
    >>> gan = GAN(Generator(latent_dim=2, image_shape=(4, 4), hidden=8),
    ...           Discriminator(image_shape=(4, 4), hidden=8))
    >>> gan.latent_dim, gan.sample(3).shape
    (2, (3, 4, 4))
    """

    generator: Generator
    discriminator: Discriminator
    history: pd.DataFrame = field(default_factory=pd.DataFrame)
    seconds: float = 0.0

    @property
    def latent_dim(self) -> int:
        return self.generator.latent_dim

    def sample(self, n: int, seed: int = 0) -> np.ndarray:
        """``n`` images from ``G(z)``, ``z ~ N(0, I)`` (seeded).

        The generator is put in eval mode.

        Parameters
        ----------
        n : int
            The number of images.
        seed : int, default=0
            Seeds the draws of ``z`` (a private generator: the global one is untouched).

        Returns
        -------
        ndarray of shape (n, h, w)
            The images, in [0, 1].

        Examples
        --------
        >>> gan = GAN(Generator(latent_dim=2, image_shape=(4, 4), hidden=8),
        ...           Discriminator(image_shape=(4, 4), hidden=8))
        >>> bool((gan.sample(3, seed=1) == gan.sample(3, seed=1)).all())
        True
        """
        gen = torch.Generator().manual_seed(seed)
        with torch.no_grad():
            z = torch.randn(n, self.latent_dim, generator=gen)
            return self.generator.eval()(z).numpy()


def train_gan(images: np.ndarray, *, arch: str = "conv", latent_dim: int = 32,
              hidden: int = 256, channels: int = 64, steps: int = 1500, batch_size: int = 64,
              lr: float = 5e-4, seed: int = 0) -> GAN:
    """Train a GAN on ``(n, h, w)`` images in [0, 1] with the non-saturating loss.

    ``arch="conv"`` (default): a DCGAN-style pair (:class:`ConvGenerator`,
    :class:`ConvDiscriminator`, ``channels`` feature maps); ``arch="mlp"``: two-layer MLPs
    (:class:`Generator`, :class:`Discriminator`, ``hidden`` units, dropout 0.3 in the
    discriminator). Adam (``lr``, betas (0.5, 0.999)) for both networks, one discriminator
    step per generator step, ``steps`` steps on minibatches drawn with replacement (seeded);
    one-sided label smoothing (real images labelled 0.9). The history records the two losses
    every 50 steps.

    Parameters
    ----------
    images : ndarray of shape (n, h, w)
        The (public) training images, in [0, 1].
    arch : {"conv", "mlp"}, default="conv"
        The architecture.
    latent_dim : int, default=32
        The dimension of ``z``.
    hidden : int, default=256
        The width of the MLPs' hidden layers (``arch="mlp"``).
    channels : int, default=64
        The feature maps of the convolutional pair (``arch="conv"``).
    steps : int, default=1500
        Training steps (one discriminator and one generator step each).
    batch_size : int, default=64
        Images per minibatch.
    lr : float, default=5e-4
        Adam's learning rate.
    seed : int, default=0
        Seeds torch's global generator (initialisation, ``z``) and the minibatches.

    Returns
    -------
    GAN
        The trained generator and discriminator (in eval mode), the history and the training
        time.

    Examples
    --------
    >>> import numpy as np
    >>> images = np.random.default_rng(0).random((16, 4, 4))
    >>> gan = train_gan(images, latent_dim=2, channels=4, steps=2, batch_size=4)
    >>> list(gan.history.columns), gan.sample(3).shape
    (['step', 'loss_d', 'loss_g'], (3, 4, 4))
    """
    images = check_images(images)
    if arch not in GAN_ARCHS:
        raise ValueError(f"arch must be one of {GAN_ARCHS}, got {arch!r}")
    for name, v in (("latent_dim", latent_dim), ("hidden", hidden), ("channels", channels),
                    ("steps", steps), ("batch_size", batch_size)):
        if not isinstance(v, (int, np.integer)) or v < 1:
            raise ValueError(f"{name} must be a positive integer, got {v!r}")
    if not lr > 0:
        raise ValueError(f"lr must be positive, got {lr}")
    start = time.perf_counter()
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    data = torch.from_numpy(images)
    if arch == "conv":
        G = ConvGenerator(latent_dim, images.shape[1:], channels)
        D = ConvDiscriminator(images.shape[1:], channels)
    else:
        G = Generator(latent_dim, images.shape[1:], hidden)
        D = Discriminator(images.shape[1:], hidden)
    opt_g = torch.optim.Adam(G.parameters(), lr=lr, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(D.parameters(), lr=lr, betas=(0.5, 0.999))
    rows = []
    for step in progress(range(steps), desc="GAN"):
        real = data[rng.integers(0, len(data), size=batch_size)]
        z = torch.randn(batch_size, latent_dim)
        fake = G(z)
        d_real, d_fake = D(real), D(fake.detach())
        loss_d = (F.binary_cross_entropy_with_logits(d_real, torch.full_like(d_real, 0.9))
                  + F.binary_cross_entropy_with_logits(d_fake, torch.zeros_like(d_fake)))
        opt_d.zero_grad()
        loss_d.backward()
        opt_d.step()
        d_gen = D(fake)
        loss_g = F.binary_cross_entropy_with_logits(d_gen, torch.ones_like(d_gen))
        opt_g.zero_grad()
        loss_g.backward()
        opt_g.step()
        if step % 50 == 0 or step == steps - 1:
            rows.append({"step": step, "loss_d": loss_d.item(), "loss_g": loss_g.item()})
    G.eval()
    D.eval()
    return GAN(G, D, pd.DataFrame(rows), time.perf_counter() - start)


# --------------------------------------------------------------------------------------------
# The attack: latent search
# --------------------------------------------------------------------------------------------

@dataclass
class GMIResult:
    """Reconstructions of a GMI attack, as :func:`gmi_attack` returns them.

    Parameters
    ----------
    images : ndarray of shape (n_rows, h, w)
        Every reconstruction: for each identity loss of the grid, for each restart, for each
        class (the class varies fastest).
    frame : pandas.DataFrame
        One row per reconstruction with its ``config`` (the identity loss's label),
        ``target`` class, ``restart``, final ``identity_loss`` (unweighted), ``prior_loss``
        (-D(G(z))), ``total_loss`` and ``attacker_score`` (the target's probability of the
        class, averaged over one-pixel shifts: what the attacker can judge without the
        evaluator).
    best : ndarray of shape (n_classes, h, w)
        For each target class the reconstruction of the first identity loss's restart with
        the lowest total loss.
    classes : list of int
        The target classes, in the order of ``best``.
    seconds : float, default=0.0
        Wall-clock time of the attack.

    Attributes
    ----------
    images : ndarray of shape (n_rows, h, w)
        Every reconstruction.
    frame : pandas.DataFrame
        One row per reconstruction.
    best : ndarray of shape (n_classes, h, w)
        The best reconstruction of each target class.
    classes : list of int
        The target classes.
    seconds : float
        Wall-clock time of the attack.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> result = GMIResult(images=np.zeros((2, 4, 4)), frame=pd.DataFrame({"target": [0, 1]}),
    ...                    best=np.zeros((2, 4, 4)), classes=[0, 1])
    >>> result.best.shape, result.seconds
    ((2, 4, 4), 0.0)
    """

    images: np.ndarray
    frame: pd.DataFrame
    best: np.ndarray
    classes: list
    seconds: float = 0.0

    def subset(self, config: str) -> "GMIResult":
        """The reconstructions of one identity loss of the grid.

        Parameters
        ----------
        config : str
            A value of ``frame["config"]``.

        Returns
        -------
        GMIResult
            Its rows, with ``best`` recomputed from them.

        Examples
        --------
        >>> import numpy as np
        >>> import pandas as pd
        >>> frame = pd.DataFrame({"config": ["a", "b"], "target": [0, 0],
        ...                       "total_loss": [1.0, 2.0]})
        >>> GMIResult(np.zeros((2, 4, 4)), frame, np.zeros((1, 4, 4)), [0]).subset("b").frame
          config  target  total_loss
        0      b       0         2.0
        """
        mask = (self.frame["config"] == config).to_numpy()
        if not mask.any():
            raise ValueError(f"no reconstructions of config {config!r}; the result has "
                             f"{sorted(self.frame['config'].unique())}")
        images, frame = self.images[mask], self.frame[mask].reset_index(drop=True)
        best = [int(frame["total_loss"][frame["target"] == c].idxmin()) for c in self.classes]
        return GMIResult(images, frame, images[best], self.classes, self.seconds)


def _logits(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """A classifier's logits for ``(n, h, w)`` images, reshaped to the model's ``input_shape``
    (a :class:`midlib.nn.Classifier`) or given a channel axis, ``(n, 1, h, w)``, otherwise."""
    return _forward(model, x, False)[0]


def _forward(model: nn.Module, x: torch.Tensor, with_features: bool):
    """``(logits, features or None)`` of ``(n, h, w)`` images (see :func:`_logits`)."""
    shape = getattr(model, "input_shape", None)
    if shape is not None:
        if int(np.prod(shape)) != int(np.prod(x.shape[1:])):
            raise ValueError(f"the model reads inputs of shape {tuple(shape)}, but the images "
                             f"are {tuple(x.shape[1:])}: use the resolution it was trained on")
        x = x.reshape(len(x), *shape)
    else:
        x = x.unsqueeze(1)
    if not with_features:
        return model(x), None
    if not (hasattr(model, "features") and hasattr(model, "head")):
        raise ValueError("a feature penalty needs a target with features() and head "
                         "(a midlib.nn.Classifier)")
    h = model.features(x)
    return model.head(h), h


def _shift_score(target: nn.Module, x: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """The target's probability of ``labels``, averaged over the image and its four one-pixel
    shifts (zero-padded): PPA's transformation-robust confidence, the attacker's own score."""
    padded = F.pad(x, (1, 1, 1, 1))
    h, w = x.shape[-2:]
    probs = []
    for dy, dx in ((1, 1), (0, 1), (2, 1), (1, 0), (1, 2)):
        p = F.softmax(_logits(target, padded[:, dy:dy + h, dx:dx + w]), -1)
        probs.append(p.gather(1, labels[:, None])[:, 0])
    return torch.stack(probs).mean(0)


def gmi_attack(gan: GAN, target: nn.Module, classes, *, restarts: int = 5, steps: int = 1500,
               lr: float = 0.02, momentum: float = 0.9, lambda_id: float = 100.0,
               identity=None, clip: float = 1.0, seed: int = 0) -> GMIResult:
    """Latent search of GMI against ``target`` for each class in ``classes``.

    Minimises ``-D(G(z)) + lambda_id * L_id(T(G(z)), c)`` over ``z`` by SGD with
    ``momentum``, clipping ``z`` to ``[-clip, clip]`` after each step. ``L_id`` is GMI's
    cross-entropy by default, or each :class:`~midlib.attacks.gmi_losses.IdentityLoss` of
    ``identity`` (with its own weight): all losses, classes and restarts run in one batch
    (each row's loss is independent of the others; every loss starts from the same codes).
    The target receives images reshaped to its ``input_shape`` (else as ``(n, 1, h, w)``
    tensors) and may be stochastic (a VIB samples at every call; the white-box attacker
    differentiates through the sample). A logit loss with a feature penalty takes the
    reference point ``p_reg`` as the target's mean feature over 500 samples of the GAN (the
    public prior). Nothing of ``gan`` or ``target`` is updated.

    Parameters
    ----------
    gan : GAN
        The attacker's GAN, trained on public data (:func:`train_gan`).
    target : torch.nn.Module
        The target classifier (white-box access).
    classes : sequence of int
        The target classes to reconstruct (outputs of ``target``).
    restarts : int, default=5
        Random starts per class (and identity loss).
    steps : int, default=1500
        Gradient steps.
    lr : float, default=0.02
        The step size.
    momentum : float, default=0.9
        SGD's momentum, in [0, 1).
    lambda_id : float, default=100.0
        The weight of GMI's cross-entropy (>= 0), when ``identity`` is None.
    identity : IdentityLoss or sequence of IdentityLoss, default=None
        The identity losses (None: GMI's cross-entropy weighted by ``lambda_id``).
    clip : float, default=1.0
        ``z`` is clipped to ``[-clip, clip]`` (> 0).
    seed : int, default=0
        Seeds the starting codes and the VIB's sampling noise.

    Returns
    -------
    GMIResult
        Every reconstruction with its losses, and the best one per class.

    Examples
    --------
    >>> import numpy as np
    >>> images = np.random.default_rng(0).random((16, 4, 4))
    >>> gan = train_gan(images, latent_dim=2, channels=4, steps=2, batch_size=4)
    >>> from midlib.nn import make_classifier
    >>> target = make_classifier((4, 4), 3, hidden=(8,), seed=0)
    >>> result = gmi_attack(gan, target, [0, 2], restarts=2, steps=2)
    >>> result.images.shape, result.best.shape, len(result.frame)
    ((4, 4, 4), (2, 4, 4), 4)
    >>> from midlib.attacks.gmi_losses import ADAPTIVE_GRID
    >>> grid = gmi_attack(gan, target, [0, 2], restarts=2, steps=2, identity=ADAPTIVE_GRID)
    >>> grid.frame["config"].nunique(), len(grid.frame)
    (4, 16)
    """
    classes = [int(c) for c in classes]
    if not classes:
        raise ValueError("classes is empty: give the target classes to reconstruct")
    for name, v in (("restarts", restarts), ("steps", steps)):
        if not isinstance(v, (int, np.integer)) or v < 1:
            raise ValueError(f"{name} must be a positive integer, got {v!r}")
    if not lr > 0 or not 0 <= momentum < 1 or lambda_id < 0 or not clip > 0:
        raise ValueError("need lr > 0, 0 <= momentum < 1, lambda_id >= 0 and clip > 0 "
                         f"(got lr={lr}, momentum={momentum}, lambda_id={lambda_id}, clip={clip})")
    if identity is None:
        specs = [IdentityLoss("ce", float(lambda_id), name="CE (GMI)")]
    else:
        specs = [identity] if isinstance(identity, IdentityLoss) else list(identity)
    if not specs or not all(isinstance(s, IdentityLoss) for s in specs):
        raise ValueError("identity must be an IdentityLoss or a non-empty sequence of them")
    labels_ = [s.label for s in specs]
    if len(set(labels_)) != len(labels_):
        raise ValueError(f"the identity losses need distinct labels, got {labels_}")
    start = time.perf_counter()
    G, D = gan.generator.eval(), gan.discriminator.eval()
    was_training = target.training
    target.eval()
    with torch.no_grad():
        n_out = _logits(target, G(torch.zeros(1, gan.latent_dim))).shape[-1]
    bad = [c for c in classes if not 0 <= c < n_out]
    if bad:
        raise ValueError(f"classes {bad} are not outputs of the target (it has {n_out} classes)")
    params = [p for m in (G, D, target) for p in m.parameters()]
    flags = [p.requires_grad for p in params]
    for p in params:
        p.requires_grad_(False)
    need_feat = any(s.feature_weight for s in specs)
    n_cr = len(classes) * restarts
    try:
        gen = torch.Generator().manual_seed(seed)
        torch.manual_seed(seed)  # the VIB's sampling noise
        p_reg = None
        if need_feat:
            with torch.no_grad():
                prior = G(torch.randn(500, gan.latent_dim, generator=gen))
                p_reg = _forward(target, prior, True)[1].mean(0)
        labels = torch.tensor(classes).repeat(restarts * len(specs))  # class varies fastest
        restart = torch.arange(restarts).repeat_interleave(len(classes)).repeat(len(specs))
        z0 = torch.randn(n_cr, gan.latent_dim, generator=gen).clamp_(-clip, clip)
        z = z0.repeat(len(specs), 1).requires_grad_(True)
        weights = torch.tensor([s.weight for s in specs]).repeat_interleave(n_cr)
        opt = torch.optim.SGD([z], lr=lr, momentum=momentum)

        def losses():
            x = G(z)
            logits, feats = _forward(target, x, need_feat)
            ident = torch.cat([
                identity_loss(s, logits[i * n_cr:(i + 1) * n_cr], labels[i * n_cr:(i + 1) * n_cr],
                              None if feats is None else feats[i * n_cr:(i + 1) * n_cr], p_reg)
                for i, s in enumerate(specs)])
            return x, -D(x), ident

        for _ in progress(range(steps), desc="GMI"):
            _, prior, ident = losses()
            loss = (prior + weights * ident).sum()
            opt.zero_grad()
            loss.backward()
            opt.step()
            with torch.no_grad():
                z.clamp_(-clip, clip)
        with torch.no_grad():
            x, prior, ident = losses()
            score = _shift_score(target, x, labels)
    finally:
        for p, f in zip(params, flags):
            p.requires_grad_(f)
        target.train(was_training)
    images = x.numpy()
    frame = pd.DataFrame({"config": np.repeat(labels_, n_cr), "target": labels.numpy(),
                          "restart": restart.numpy(), "identity_loss": ident.numpy(),
                          "prior_loss": prior.numpy(),
                          "total_loss": (prior + weights * ident).numpy(),
                          "attacker_score": score.numpy()})
    first = frame.iloc[:n_cr]
    best_idx = [int(first["total_loss"][first["target"] == c].idxmin()) for c in classes]
    return GMIResult(images, frame, images[best_idx], classes, time.perf_counter() - start)


# --------------------------------------------------------------------------------------------
# Scoring
# --------------------------------------------------------------------------------------------

def evaluate_reconstructions(result: GMIResult, eval_model: nn.Module, private_images: np.ndarray,
                             private_labels: np.ndarray, *, class_map: dict | None = None
                             ) -> pd.DataFrame:
    """Score every reconstruction of ``result`` with the evaluation classifier and KNN.

    One row each with

    - ``top1``: whether the evaluation classifier's most likely class (among all it knows,
      e.g. ten digits) is the reconstruction's target (``class_map`` maps the target model's
      class index to the evaluation classifier's);
    - ``top1_private``: whether it is the most likely among the private classes only (GMI's
      protocol, where the evaluation classifier knows only the private classes);
    - ``public``: whether the evaluator's most likely class is *not* a private class (the
      reconstruction reads as a public digit);
    - ``knn_dist``: Euclidean pixel distance to the nearest private image of the target class
      (``private_labels`` in the target model's class indices).

    Parameters
    ----------
    result : GMIResult
        The attack's reconstructions.
    eval_model : torch.nn.Module
        The evaluation classifier.
    private_images : ndarray of shape (m, h, w)
        The private images (the target's training images), in [0, 1], of the
        reconstructions' resolution.
    private_labels : ndarray of shape (m,)
        Their classes, in the target model's class indices.
    class_map : dict, default=None
        Target class index -> evaluation classifier's class index (None: the identity on
        ``result.classes``).

    Returns
    -------
    pandas.DataFrame
        ``result.frame`` with the columns ``top1``, ``top1_private``, ``public`` and
        ``knn_dist`` added.

    Examples
    --------
    >>> import numpy as np
    >>> images = np.random.default_rng(0).random((16, 4, 4))
    >>> gan = train_gan(images, latent_dim=2, channels=4, steps=2, batch_size=4)
    >>> from midlib.nn import make_classifier
    >>> target = make_classifier((4, 4), 3, hidden=(8,), seed=0)
    >>> result = gmi_attack(gan, target, [0, 2], restarts=2, steps=2)
    >>> scores = evaluate_reconstructions(result, target, images, np.arange(16) % 3)
    >>> list(scores.columns[-4:]), len(scores)
    (['top1', 'top1_private', 'public', 'knn_dist'], 4)
    """
    private_images = check_images(private_images, "private_images")
    private_labels = np.asarray(private_labels)
    if private_labels.shape != (len(private_images),):
        raise ValueError("private_labels must have one label per private image")
    if private_images.shape[1:] != result.images.shape[1:]:
        raise ValueError(f"private images are {private_images.shape[1:]}, reconstructions "
                         f"{result.images.shape[1:]}: use the same resolution")
    class_map = class_map or {c: c for c in result.classes}
    missing = [c for c in result.classes if c not in class_map]
    if missing:
        raise ValueError(f"class_map has no entry for target classes {missing}")
    was_training = eval_model.training
    eval_model.eval()
    with torch.no_grad():
        logits = _logits(eval_model, torch.from_numpy(result.images))
    eval_model.train(was_training)
    pred = logits.argmax(-1).numpy()
    want = np.array([class_map[c] for c in result.frame["target"]])
    knn = knn_distance(result.images, result.frame["target"].to_numpy(), private_images,
                       private_labels)
    out = result.frame.copy()
    private = np.array([class_map[c] for c in result.classes])
    out["top1"] = pred == want
    out["top1_private"] = private[logits[:, private].argmax(-1).numpy()] == want
    out["public"] = ~np.isin(pred, private)
    out["knn_dist"] = knn
    return out

def vib_identity_loss_bounds(model: nn.Module, images, labels, *, n_draws: int = 2000,
                             seed: int = 0) -> pd.DataFrame:
    """What the VIB's noise does to GMI's identity loss, per image.

    For a VIB head with logits ``W z + b``, ``z ~ N(mu, diag(std^2))``, and ``m = W mu + b``:

    ``CE(m, c) <= E_z CE(W z + b, c) <= CE(m, c) + (1/4) sum_j std_j^2 ||W[:, j]||^2``

    (Jensen below: cross-entropy is convex in the logits; above: its Hessian
    ``diag(p) - p p^T`` has largest eigenvalue at most 1/2).

    Parameters
    ----------
    model : torch.nn.Module
        A VIB model with a ``features`` method feeding its :class:`midlib.defenses.VIBHead`
        (e.g. ``make_classifier(..., head=vib_head(k))``).
    images : array-like or torch.Tensor of shape (n, ...)
        Images (reshaped to the model's ``input_shape`` when it has one).
    labels : array-like of shape (n,)
        The class ``c`` of each image.
    n_draws : int, default=2000
        Monte-Carlo draws of ``z`` (at least 2).
    seed : int, default=0
        Seeds the draws (a private generator).

    Returns
    -------
    pandas.DataFrame
        One row per image with its ``target``, ``ce_at_mean``, the Monte-Carlo
        ``expected_ce`` over ``n_draws`` draws and its standard error ``expected_ce_se``, the
        ``upper`` bound and the ``gap`` (expected minus at-mean).

    Examples
    --------
    >>> import numpy as np
    >>> from midlib.defenses import vib_head
    >>> from midlib.nn import make_classifier
    >>> model = make_classifier((4, 4), 3, hidden=(8,), head=vib_head(2), seed=0)
    >>> images = np.random.default_rng(0).random((3, 4, 4))
    >>> bounds = vib_identity_loss_bounds(model, images, [0, 1, 2], n_draws=50)
    >>> bounds.shape, bool((bounds["ce_at_mean"] <= bounds["upper"]).all())
    ((3, 6), True)
    """
    head = find_vib(model)
    if not isinstance(n_draws, (int, np.integer)) or n_draws < 2:
        raise ValueError(f"n_draws must be an integer >= 2, got {n_draws!r}")
    x = images if isinstance(images, torch.Tensor) else torch.as_tensor(np.asarray(images, np.float32))
    y = torch.as_tensor(np.asarray(labels)).long()
    if len(y) != len(x):
        raise ValueError("give one label per image")
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        shape = getattr(model, "input_shape", x.shape[1:])
        h = model.features(x.reshape(len(x), *shape)) if hasattr(model, "features") else None
        if h is None:
            raise ValueError("the model must expose features(x) feeding its VIB head")
        mu, std = head.encode(h)
        W, b = head.classifier.weight.double(), head.classifier.bias.double()
        mu, std = mu.double(), std.double()
        m = mu @ W.T + b
        at_mean = F.cross_entropy(m, y, reduction="none")
        eps = torch.randn(n_draws, *mu.shape, generator=gen, dtype=mu.dtype)
        logits = (mu + std * eps) @ W.T + b                     # (draws, n, classes)
        ce = torch.logsumexp(logits, -1) - logits.gather(-1, y.expand(n_draws, -1)[..., None])[..., 0]
        upper = at_mean + 0.25 * (std.pow(2) @ W.pow(2).sum(0))
    return pd.DataFrame({
        "target": y.numpy(), "ce_at_mean": at_mean.numpy(), "expected_ce": ce.mean(0).numpy(),
        "expected_ce_se": (ce.std(0) / np.sqrt(n_draws)).numpy(), "upper": upper.numpy(),
        "gap": (ce.mean(0) - at_mean).numpy(),
    })
