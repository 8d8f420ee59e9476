"""Data: the shipped real files and their checksums, the task abstraction, and every data set of
the book (IWPC warfarin, the steak and Redbook surveys, faces, digits, MNIST) with the synthetic
generators whose ground truth is known.

Load a data set by name with :func:`load`; the real files are read from the package's own copy
(or ``$MIDLIB_DATA_DIR``) and checksum-verified.
"""

from midlib.data.files import (DATA_ENV, PACKAGE_DATA, REAL_FILES, ChecksumMismatch, DataFileError,
                               DataFileMissing, available, data_dir, real_file, sha256_of)
from midlib.data.images import (ImageData, digits_split, downsample, identity_templates, load_digits,
                                load_mnist, load_olivetti, make_identity_faces, mnist_split)
from midlib.data.iwpc import (IWPC_BOUNDS, IWPC_CYP2C9, IWPC_FEATURES, IWPC_FORMULA, IWPC_RACES,
                              IWPC_VKORC1,
                              SYNTHETIC_RACE_FREQUENCIES, FixedLinearModel, clean_iwpc,
                              iwpc_formula_model, iwpc_formula_sqrt_dose, load_iwpc, load_iwpc_raw,
                              make_pharmacogenetic, pharmacogenetic_bayes_accuracy,
                              pharmacogenetic_genotype_probs)
from midlib.data.surveys import (FAIR_FEATURES, STEAK_CATEGORIES, STEAK_COLUMNS, load_fair,
                                 load_steak, make_survey, survey_label_given_s)
from midlib.data.task import TabularTask, check_task, task_from_arrays

#: The data sets :func:`load` knows, by name.
LOADERS = {
    "iwpc": load_iwpc, "steak": load_steak, "fair": load_fair, "olivetti": load_olivetti,
    "digits": load_digits, "mnist": load_mnist,
}


def load(name: str, **kwargs):
    """Load a data set by name.

    Parameters
    ----------
    name : {'iwpc', 'steak', 'fair', 'olivetti', 'digits', 'mnist'}
        A key of :data:`LOADERS`.
    **kwargs
        Passed to the loader (e.g. ``data_dir``, or ``sensitive`` for IWPC).

    Returns
    -------
    TabularTask or ImageData

    Examples
    --------
    >>> len(load("steak"))
    331
    """
    try:
        loader = LOADERS[name]
    except KeyError:
        raise ValueError(
            f"unknown data set {name!r}; choose one of {', '.join(sorted(LOADERS))}"
        ) from None
    return loader(**kwargs)


__all__ = [
    "load", "LOADERS", "TabularTask", "task_from_arrays", "check_task", "ImageData",
    "DATA_ENV", "PACKAGE_DATA", "REAL_FILES", "DataFileError", "DataFileMissing",
    "ChecksumMismatch", "data_dir", "real_file", "available", "sha256_of",
    "load_iwpc", "load_iwpc_raw", "clean_iwpc", "iwpc_formula_sqrt_dose", "iwpc_formula_model",
    "FixedLinearModel", "make_pharmacogenetic", "pharmacogenetic_genotype_probs",
    "pharmacogenetic_bayes_accuracy", "IWPC_VKORC1", "IWPC_CYP2C9", "IWPC_RACES", "IWPC_FORMULA",
    "SYNTHETIC_RACE_FREQUENCIES", "IWPC_FEATURES", "IWPC_BOUNDS",
    "STEAK_COLUMNS", "STEAK_CATEGORIES", "FAIR_FEATURES",
    "load_steak", "load_fair", "make_survey", "survey_label_given_s",
    "load_olivetti", "load_digits", "load_mnist", "make_identity_faces", "identity_templates",
    "downsample", "mnist_split", "digits_split",
]
