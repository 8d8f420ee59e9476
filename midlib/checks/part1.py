"""Claim checks of the book's chapters (see :mod:`midlib.checks`): each function raises
:class:`midlib.checks.ClaimViolation` when its claim is false on the numbers given."""

from __future__ import annotations

__all__: list[str] = []
