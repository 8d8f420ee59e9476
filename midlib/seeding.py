"""Turning a ``random_state`` argument into a numpy random generator, the same way everywhere."""

from __future__ import annotations

import numbers

import numpy as np


def as_generator(random_state):
    """None -> a fresh Generator; an int -> ``default_rng(int)``; a Generator or RandomState as is.

    Raises a ValueError for a negative integer and a TypeError for anything else.
    """
    if random_state is None or isinstance(random_state, (numbers.Integral, np.integer)):
        if random_state is not None and random_state < 0:
            raise ValueError(f"random_state must be a non-negative integer, got {random_state}")
        return np.random.default_rng(random_state)
    if isinstance(random_state, (np.random.Generator, np.random.RandomState)):
        return random_state
    raise TypeError(f"random_state must be None, an int or a numpy Generator, got {random_state!r}")
