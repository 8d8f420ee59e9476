"""Progress bars that show in a terminal and stay out of the rendered book."""

from __future__ import annotations

import os
import sys

from tqdm import tqdm  # the plain bar: tqdm.auto warns in kernels without ipywidgets


def progress(iterable=None, **kwargs):
    """``tqdm`` over ``iterable``, shown only when stderr is a terminal (or MIDLIB_PROGRESS=1).

    Notebooks executed by papermill for the book run without a terminal, so the bars do not
    end up in the pages.
    """
    show = sys.stderr.isatty() or os.environ.get("MIDLIB_PROGRESS") == "1"
    kwargs.setdefault("disable", not show)
    kwargs.setdefault("leave", False)
    return tqdm(iterable, **kwargs)
