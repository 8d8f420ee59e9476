"""Run profiles of the book's notebooks.

Every notebook has a papermill ``parameters`` cell with ``profile = "full"`` and ``seed = 0``;
the cell after it picks its sizes with :func:`settings`. ``quick`` is a fast pass (CI, tests);
``full`` is what the published book shows.
"""

from __future__ import annotations

__all__ = ["PROFILES", "check_profile", "settings"]

PROFILES = ("quick", "full")


def check_profile(profile: str) -> str:
    """Return ``profile`` if it is known, else raise a ValueError naming the known ones."""
    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}: use one of {', '.join(PROFILES)}")
    return profile


def settings(profile: str, table: dict[str, dict], overrides: dict | None = None) -> dict:
    """The settings of ``profile`` from ``table`` (profile -> settings), updated by ``overrides``.

    Every profile of ``table`` must define the same keys, so a quick run exercises the same code
    as a full one; an override must name a known key.
    """
    check_profile(profile)
    missing = [p for p in PROFILES if p not in table]
    if missing:
        raise ValueError(f"the settings table has no entry for profile(s) {missing}")
    keys = {p: set(table[p]) for p in PROFILES}
    if len({frozenset(k) for k in keys.values()}) != 1:
        raise ValueError(f"profiles define different settings: {keys}")
    out = dict(table[profile])
    for key, value in (overrides or {}).items():
        if key not in out:
            raise ValueError(f"unknown setting {key!r}; known: {', '.join(sorted(out))}")
        out[key] = value
    return out
