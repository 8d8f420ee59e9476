"""Render a local HTML file in a real headless browser (Debian's chromium), for the tests.

``render(path, tmp)`` returns the DOM after scripts ran and the path of a screenshot. The tests
that use it skip when ``/usr/bin/chromium`` is missing, unless the environment variable ``CI``
is set (then they fail): ``require_browser()``.
"""

import os
import subprocess
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")

#: The launch flags: headless, no sandbox (tests may run as root), nothing from the network.
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run",
         "--disable-dev-shm-usage"]


def require_browser():
    """Skip the calling test without chromium, or fail if the variable CI is set."""
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing (CI is set): apt-get install -y chromium")
        pytest.skip(f"{CHROMIUM} is missing: apt-get install -y chromium")


def run_chromium(args, tmp, timeout=120):
    """Run chromium with :data:`FLAGS`, a fresh profile in ``tmp`` and ``args``; its stdout."""
    profile = Path(tmp) / "chromium-profile"
    profile.mkdir(parents=True, exist_ok=True)
    cmd = [str(CHROMIUM), *FLAGS, f"--user-data-dir={profile}", *args]
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if res.returncode != 0:
        raise RuntimeError(f"chromium failed ({res.returncode}): {res.stderr[-2000:]}")
    return res.stdout


def render(path, tmp, size=(1200, 1600)):
    """(DOM text, screenshot path) of the local HTML file ``path`` rendered by chromium."""
    url = Path(path).resolve().as_uri()
    shot = Path(tmp) / "screenshot.png"
    run_chromium([f"--screenshot={shot}", f"--window-size={size[0]},{size[1]}", url], tmp)
    dom = run_chromium(["--dump-dom", url], tmp)
    return dom, shot
