"""What every claim check shares: the violation it raises, and comparisons of two estimates with
intervals that produce the sentence the book prints."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["ClaimViolation", "check", "Comparison", "compare", "direction_words"]


class ClaimViolation(AssertionError):
    """A claim of the book is false on the numbers it was checked on.

    An ``AssertionError``, so that a notebook that runs a failing check stops, and the book's
    build fails with the message.

    Examples
    --------
    >>> issubclass(ClaimViolation, AssertionError)
    True
    """


def check(condition, claim: str, details=None) -> None:
    """Raise :class:`ClaimViolation` unless ``condition`` holds (everywhere, for an array).

    Parameters
    ----------
    condition : bool or array-like of bool
        What the claim says; an array must be true everywhere.
    claim : str
        The claim, in words, for the message.
    details : object, default=None
        Evidence to show when it fails (e.g. the offending rows of a table).

    Returns
    -------
    None

    Raises
    ------
    ClaimViolation
        If ``condition`` is false anywhere.

    Examples
    --------
    >>> check(1 < 2, "one is below two")
    >>> check([True, False], "all hold")
    Traceback (most recent call last):
    ...
    midlib.checks.base.ClaimViolation: claim violated: all hold
    """
    ok = np.asarray(condition, dtype=bool)
    if not ok.all():
        message = f"claim violated: {claim}"
        if details is not None:
            message += f"\n{details}"
        raise ClaimViolation(message)


#: Words for the direction of ``a`` relative to ``b`` in the book's sentences.
DIRECTIONS = {"below": "below", "above": "above", "none": "not significantly different from"}


def direction_words(direction: str) -> str:
    """The words the book prints for a direction.

    Parameters
    ----------
    direction : {"below", "above", "none"}
        As in :attr:`Comparison.direction`.

    Returns
    -------
    str

    Examples
    --------
    >>> direction_words("none")
    'not significantly different from'
    """
    if direction not in DIRECTIONS:
        raise ValueError(f"direction must be one of {sorted(DIRECTIONS)}, got {direction!r}")
    return DIRECTIONS[direction]


@dataclass(frozen=True)
class Comparison:
    """The comparison of two estimates with 95 % intervals, and its sentence.

    Parameters
    ----------
    a, b : float
        The two estimates.
    a_interval, b_interval : tuple of float
        Their intervals ``(low, high)``.
    direction : {"below", "above", "none"}
        ``"below"`` when ``a``'s interval lies entirely below ``b``'s, ``"above"`` when above,
        ``"none"`` when they overlap (no significant difference). The property ``words`` gives
        ``"below"``, ``"above"`` or ``"not significantly different from"``.

    Examples
    --------
    >>> c = compare(0.4, (0.35, 0.45), 0.6, (0.55, 0.65))
    >>> c.direction, c.words
    ('below', 'below')
    """

    a: float
    a_interval: tuple
    b: float
    b_interval: tuple
    direction: str

    @property
    def words(self) -> str:
        """The direction in the book's words."""
        return direction_words(self.direction)

    def expect(self, *directions: str, claim: str = "") -> "Comparison":
        """Raise :class:`ClaimViolation` unless the direction is one of ``directions``.

        Parameters
        ----------
        *directions : str
            The directions the text may assert.
        claim : str, default=""
            The claim, for the message.

        Returns
        -------
        Comparison
            ``self``, so that a chapter can write ``compare(...).expect("below").words``.

        Examples
        --------
        >>> compare(1, (0, 3), 3, (2.5, 4)).expect("below", "none").direction
        'none'
        """
        check(self.direction in directions,
              claim or f"the comparison should be {' or '.join(directions)}",
              f"a = {self.a:.4g} {self.a_interval}, b = {self.b:.4g} {self.b_interval}: "
              f"{self.direction}")
        return self


def compare(a: float, a_interval, b: float, b_interval) -> Comparison:
    """Compare two estimates by their intervals.

    Parameters
    ----------
    a : float
        The first estimate.
    a_interval : tuple of float
        Its interval ``(low, high)``.
    b : float
        The second estimate.
    b_interval : tuple of float
        Its interval.

    Returns
    -------
    Comparison
        Direction ``"below"`` if ``a_high < b_low``, ``"above"`` if ``a_low > b_high``,
        otherwise ``"none"``.

    Raises
    ------
    ValueError
        If an interval is not a finite pair with ``low <= estimate <= high``.

    Examples
    --------
    >>> compare(0.7, (0.65, 0.75), 0.6, (0.55, 0.62)).direction
    'above'
    """
    for name, x, (lo, hi) in (("a", a, a_interval), ("b", b, b_interval)):
        if not (np.isfinite([x, lo, hi]).all() and lo <= x + 1e-12 and x <= hi + 1e-12):
            raise ValueError(f"{name} = {x} must lie in its finite interval ({lo}, {hi})")
    if a_interval[1] < b_interval[0]:
        direction = "below"
    elif a_interval[0] > b_interval[1]:
        direction = "above"
    else:
        direction = "none"
    return Comparison(float(a), tuple(map(float, a_interval)), float(b),
                      tuple(map(float, b_interval)), direction)
