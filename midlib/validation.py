"""Argument checks shared by the whole package, so that every function validates alike.

One randomness convention, as in scikit-learn: an argument ``random_state`` that is None, an
int or a numpy ``Generator``, turned into a generator by :func:`check_random_state`.
"""

from __future__ import annotations

import numbers

import numpy as np

__all__ = ["check_random_state", "check_seed", "check_positive_int", "check_non_negative"]


def check_random_state(random_state) -> np.random.Generator:
    """Turn a ``random_state`` argument into a numpy random generator.

    Parameters
    ----------
    random_state : None, int, numpy.random.Generator or numpy.random.RandomState
        None gives a fresh, unseeded generator; an int ``default_rng(int)``; a generator is
        returned as it is (so a caller can share one stream).

    Returns
    -------
    numpy.random.Generator or numpy.random.RandomState

    Raises
    ------
    ValueError
        For a negative integer.
    TypeError
        For anything else (a string, a float).

    Examples
    --------
    >>> float(check_random_state(0).random()) == float(np.random.default_rng(0).random())
    True
    """
    if isinstance(random_state, (bool, np.bool_)):
        raise TypeError(f"random_state must be None, an int or a numpy Generator, got {random_state!r}")
    if random_state is None or isinstance(random_state, (numbers.Integral, np.integer)):
        if random_state is not None and random_state < 0:
            raise ValueError(f"random_state must be a non-negative integer, got {random_state}")
        return np.random.default_rng(random_state)
    if isinstance(random_state, (np.random.Generator, np.random.RandomState)):
        return random_state
    raise TypeError(f"random_state must be None, an int or a numpy Generator, got {random_state!r}")


def check_seed(seed) -> int:
    """Return ``seed`` as a Python int.

    Parameters
    ----------
    seed : int
        A non-negative integer seed.

    Returns
    -------
    int

    Raises
    ------
    TypeError
        If ``seed`` is not an integer (a bool, a float, a string).

    Examples
    --------
    >>> check_seed(np.int64(3))
    3
    """
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (numbers.Integral, np.integer)):
        raise TypeError(f"seeds must be integers, got {seed!r} ({type(seed).__name__})")
    if seed < 0:
        raise ValueError(f"seeds must be non-negative integers, got {seed}")
    return int(seed)


def check_positive_int(value, name: str) -> int:
    """Return ``value`` as an int if it is an integer >= 1.

    Parameters
    ----------
    value : int
        The value to check.
    name : str
        Its name, for the error message.

    Returns
    -------
    int

    Raises
    ------
    ValueError
        If ``value`` is not an integer >= 1.

    Examples
    --------
    >>> check_positive_int(5, "epochs")
    5
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (numbers.Integral, np.integer)) \
            or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def check_non_negative(value, name: str) -> float:
    """Return ``value`` as a float if it is a finite real number >= 0.

    Parameters
    ----------
    value : float
        The value to check.
    name : str
        Its name, for the error message.

    Returns
    -------
    float

    Raises
    ------
    TypeError
        If ``value`` is not a real number.
    ValueError
        If it is negative, NaN or infinite.

    Examples
    --------
    >>> check_non_negative(0.1, "lam")
    0.1
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {value!r} ({type(value).__name__})")
    if not np.isfinite(value) or value < 0:
        raise ValueError(f"{name} must be a finite number >= 0, got {value}")
    return float(value)
