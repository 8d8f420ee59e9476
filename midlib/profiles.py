"""Run profiles of the book's notebooks.

Every notebook has a papermill ``parameters`` cell with ``profile = "full"`` and ``seed = 0``;
the cell after it picks its sizes with :func:`settings`. ``quick`` is a fast pass (CI, tests);
``full`` is what the published book shows.
"""

from __future__ import annotations

__all__ = ["PROFILES", "check_profile", "settings"]

PROFILES = ("quick", "full")


def check_profile(profile: str) -> str:
    """Return ``profile`` if it is known, else raise a ValueError naming the known ones.

    Parameters
    ----------
    profile : str
        A run profile, one of :data:`PROFILES` (``"quick"`` or ``"full"``).

    Returns
    -------
    str
        ``profile``, unchanged.

    Raises
    ------
    ValueError
        ``profile`` is not a known profile.

    Examples
    --------
    >>> check_profile("quick")
    'quick'
    """
    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}: use one of {', '.join(PROFILES)}")
    return profile


def settings(profile: str, table: dict[str, dict], overrides: dict | None = None) -> dict:
    """The settings of ``profile`` from ``table``, updated by ``overrides``.

    Every profile of ``table`` must define the same keys, so a quick run exercises the same code
    as a full one; an override must name a known key.

    Parameters
    ----------
    profile : str
        The run profile, one of :data:`PROFILES`.
    table : dict of str to dict
        Profile -> settings, with an entry for every profile of :data:`PROFILES`.
    overrides : dict, default=None
        Settings that replace those of the profile; each must name a known key.

    Returns
    -------
    dict
        A new dict: the settings of ``profile``, updated by ``overrides``.

    Raises
    ------
    ValueError
        Unknown profile, a profile missing from ``table``, profiles with different keys, or
        an unknown override.

    Examples
    --------
    >>> table = {"quick": {"n": 100, "seeds": 2}, "full": {"n": 5000, "seeds": 20}}
    >>> settings("quick", table)
    {'n': 100, 'seeds': 2}
    >>> settings("full", table, overrides={"seeds": 5})
    {'n': 5000, 'seeds': 5}
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
