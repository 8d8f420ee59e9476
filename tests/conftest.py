import matplotlib
import pytest

matplotlib.use("Agg")

from midlib import data as datasets


def requires_real(name):
    """Skip a test when the real data file ``name`` is not in the data directory."""
    return pytest.mark.skipif(
        not datasets.available(name),
        reason=f"real data file for {name!r} not found (set {datasets.DATA_ENV}; "
               f"looked in {datasets.data_dir().resolve()})",
    )
