"""The real data files: where they are, and checks that they are the published files.

The three real files (IWPC warfarin, the FiveThirtyEight steak survey, the AT&T/Olivetti faces)
ship inside the package, in ``midlib/data/files/`` (see its ``README.md`` for sources and
licences), so a fresh clone or a ``pip install`` reads them with no download. The folder read is,
in order of precedence:

1. the ``data_dir`` argument of a loader;
2. the environment variable ``MIDLIB_DATA_DIR`` (an override, e.g. a shared copy);
3. the package's own ``files/`` folder.

Whatever the folder, every file is checked against its published SHA-256 before it is read.
Nothing here touches the network.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

__all__ = ["DATA_ENV", "PACKAGE_DATA", "REAL_FILES", "DataFileError", "DataFileMissing",
           "ChecksumMismatch", "data_dir", "sha256_of", "real_file", "available"]

DATA_ENV = "MIDLIB_DATA_DIR"

#: The folder of the files shipped with the package.
PACKAGE_DATA = Path(__file__).resolve().parent / "files"

#: The real data files: name -> (file name, sha256, public source).
REAL_FILES = {
    "iwpc": (
        "iwpc_data_7_3_09_revised.csv",
        "be47d5e32c0c8da533f33b59b08dc6620762680953819e0306b9e61f24d638fd",
        "PharmGKB, 'IWPC data' download (iwpc_data_7_3_09_revised3.xls), converted to CSV",
    ),
    "steak": (
        "steak-risk-survey.csv",
        "cc25080bf53209ba5034d738e857bd6106314f8e49ac7c203dbca9ff35474a1a",
        "github.com/fivethirtyeight/data, steak-survey/steak-risk-survey.csv",
    ),
    "olivetti": (
        "olivettifaces.mat",
        "b1988d02c72fe5b8ee82b5ef3bb7982eafc74f1e1ff0ae0ade35061ad0af534d",
        "cs.nyu.edu/~roweis/data/olivettifaces.mat (AT&T Laboratories Cambridge faces)",
    ),
}


class DataFileError(Exception):
    """A real data file is missing or is not the published file.

    The common base class of :class:`DataFileMissing` and :class:`ChecksumMismatch`: catch it
    to handle any problem with a real data file.

    See Also
    --------
    DataFileMissing : The file is not in the data directory.
    ChecksumMismatch : The file is not the published one.

    Examples
    --------
    >>> try:
    ...     real_file("steak", "/nonexistent-folder")
    ... except DataFileError as err:
    ...     print(type(err).__name__)
    DataFileMissing
    """


class DataFileMissing(DataFileError, FileNotFoundError):
    """A real data file is not in the data directory.

    Raised by :func:`real_file`; the message names the folder searched, the environment
    variable to set and the public source of the file. It is also a ``FileNotFoundError``.

    Examples
    --------
    >>> try:
    ...     real_file("steak", "/nonexistent-folder")
    ... except DataFileMissing as err:
    ...     print(isinstance(err, FileNotFoundError))
    True
    """


class ChecksumMismatch(DataFileError, ValueError):
    """A real data file does not have the published sha256 checksum.

    Raised by :func:`real_file` when the file is corrupted or is another version than the
    published one. It is also a ``ValueError``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     _ = (pathlib.Path(tmp) / REAL_FILES["steak"][0]).write_text("not the survey")
    ...     try:
    ...         real_file("steak", tmp)
    ...     except ChecksumMismatch as err:
    ...         print(isinstance(err, ValueError))
    True
    """


def data_dir(data_dir: str | os.PathLike | None = None) -> Path:
    """The folder that loaders read the real files from.

    Parameters
    ----------
    data_dir : str or path-like, default=None
        An explicit folder; None means ``$MIDLIB_DATA_DIR`` if set, else the package's copy.

    Returns
    -------
    pathlib.Path
        The folder (not checked to exist: :func:`real_file` reports a missing file).

    Examples
    --------
    >>> data_dir("/tmp/x").name
    'x'
    """
    if data_dir is not None:
        return Path(data_dir).expanduser()
    env = os.environ.get(DATA_ENV)
    if env:
        return Path(env).expanduser()
    return PACKAGE_DATA


def sha256_of(path: str | os.PathLike) -> str:
    """The SHA-256 of a file, as a hex string.

    Parameters
    ----------
    path : str or path-like
        The file.

    Returns
    -------
    str
        64 hexadecimal digits.

    Examples
    --------
    >>> len(sha256_of(real_file("steak")))
    64
    """
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def real_file(name: str, data_dir_: str | os.PathLike | None = None) -> Path:
    """Path of the real data file ``name``, checksum verified.

    Parameters
    ----------
    name : {'iwpc', 'steak', 'olivetti'}
        A key of :data:`REAL_FILES`.
    data_dir_ : str or path-like, default=None
        The folder to read (see :func:`data_dir`).

    Returns
    -------
    pathlib.Path
        The verified file.

    Raises
    ------
    DataFileMissing
        The file is not in the folder; the message names the folder, the variable to set and
        the public source.
    ChecksumMismatch
        The file is not the published one.

    Examples
    --------
    >>> real_file("steak").name
    'steak-risk-survey.csv'
    """
    if name not in REAL_FILES:
        raise ValueError(f"unknown real data file {name!r}; known: {', '.join(sorted(REAL_FILES))}")
    fname, expected, source = REAL_FILES[name]
    directory = data_dir(data_dir_)
    path = directory / fname
    if not path.is_file():
        raise DataFileMissing(
            f"data file {fname!r} not found in {directory.resolve()}. Download it from {source} "
            f"and put it in that folder, or unset the environment variable {DATA_ENV} to use "
            f"the copy shipped with midlib ({PACKAGE_DATA})."
        )
    actual = sha256_of(path)
    if actual != expected:
        raise ChecksumMismatch(
            f"{path} has sha256 {actual}, but the published file has {expected}. The file is "
            f"corrupted or a different version: replace it with the original from {source}."
        )
    return path


def available(name: str, data_dir_: str | os.PathLike | None = None) -> bool:
    """Whether the real data file ``name`` is present and verified.

    Parameters
    ----------
    name : {'iwpc', 'steak', 'olivetti'}
        A key of :data:`REAL_FILES`.
    data_dir_ : str or path-like, default=None
        The folder to read (see :func:`data_dir`).

    Returns
    -------
    bool

    Examples
    --------
    >>> available("iwpc")
    True
    """
    try:
        real_file(name, data_dir_)
    except DataFileError:
        return False
    return True
