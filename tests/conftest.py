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
    import importlib.util
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    spec = importlib.util.spec_from_file_location("book_builder", root / "tools" / "book.py")
    builder = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(builder)
    build = root / "_build" / "test-quick"
    builder.build_book("quick", build_dir=build)
    return build
