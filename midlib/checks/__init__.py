"""The book's claim checks and its generated directional prose.

Every theorem or empirical claim of the book is checked by a function here that raises
:class:`ClaimViolation` (an ``AssertionError``, so a failing check fails the build) when the claim
is false on the numbers it is given; each has a test that plants a violation (a wrong formula, an
under-stated epsilon, a weakened attack) and sees it raise. Sentences that compare or state a
direction are produced by :func:`compare` from the numbers they describe, so that no profile or
seed can make the text contradict the page.

One module per part of the book: ``base`` (the violation, comparisons, prose), ``part1`` (the
game, the leakage bounds, the DP gap), ``linear`` (MID for least squares, Fig. 2a) and ``trees``
(MID for decision trees, Fig. 2b), ``networks`` (Part III's networks: positive controls, the VIB
bound on a known channel, composed DP budgets) and ``gmi`` (the GMI chapter's positive control and
defence verdicts). Chapters import them from this face:
``from midlib.checks import linear as claims``.
"""

from midlib.checks import gmi, linear, networks, part1, trees
from midlib.checks.base import ClaimViolation, Comparison, check, compare, direction_words

__all__ = ["ClaimViolation", "Comparison", "check", "compare", "direction_words", "part1",
           "linear", "trees", "gmi", "networks"]
