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


@pytest.fixture(scope="session")
def quick_book():
    """The quick profile of the whole book, built once per test session (with -W); its folder."""
    from tools import book as builder

    root = builder.ROOT
    build = root / "_build" / "test-quick"
    builder.build_book("quick", build_dir=build)
    return build
