"""IWPC warfarin data (Fredrikson et al. 2014), the IWPC 2009 dosing formula, and a synthetic
generator with known ground truth.

:func:`load_iwpc` reads the shipped IWPC spreadsheet into a :class:`~midlib.data.TabularTask`;
:func:`iwpc_formula_model` is the published pharmacogenetic formula as a linear model on the
task's encoding, the true regression function of :func:`make_pharmacogenetic`, whose genotype
priors are known exactly, so that :func:`pharmacogenetic_bayes_accuracy` gives the
Bayes-optimal accuracy of guessing a genotype.
"""

from __future__ import annotations

import os

import numpy as np
import pandas as pd

from midlib.data.files import real_file
from midlib.data.task import TabularTask
from midlib.leakage import map_bayes_accuracy
from midlib.validation import check_positive_int, check_random_state

__all__ = ["IWPC_VKORC1", "IWPC_CYP2C9", "IWPC_RACES", "IWPC_FORMULA", "IWPC_FEATURES",
           "IWPC_BOUNDS", "SYNTHETIC_RACE_FREQUENCIES", "clean_iwpc", "iwpc_formula_sqrt_dose",
           "load_iwpc_raw", "load_iwpc", "pharmacogenetic_genotype_probs", "make_pharmacogenetic",
           "FixedLinearModel", "iwpc_formula_model", "pharmacogenetic_bayes_accuracy"]


IWPC_VKORC1 = ["G/G", "A/G", "A/A"]
IWPC_CYP2C9 = ["*1/*1", "*1/*2", "*1/*3", "*2/*2", "*2/*3", "*3/*3"]
IWPC_RACES = ["White", "Asian", "Black or African American", "Unknown"]
_VKORC1_COL = "VKORC1 genotype: -1639 G>A (3673); chr16:31015190; rs9923231; C/T"

#: IWPC 2009 (NEJM 360:753) pharmacogenetic dosing formula, sqrt(weekly dose in mg).
IWPC_FORMULA = {
    "intercept": 5.6044, "age": -0.2614, "height_cm": 0.0087, "weight_kg": 0.0128,
    "vkorc1=A/G": -0.8677, "vkorc1=A/A": -1.6974, "vkorc1=unknown": -0.4854,
    "cyp2c9=*1/*2": -0.5211, "cyp2c9=*1/*3": -0.9357, "cyp2c9=*2/*2": -1.0616,
    "cyp2c9=*2/*3": -1.9206, "cyp2c9=*3/*3": -2.3312, "cyp2c9=unknown": -0.2188,
    "race=Asian": -0.1092, "race=Black or African American": -0.2760, "race=Unknown": -0.1032,
    "enzyme_inducer": 1.1816, "amiodarone": -0.5503,
}


def _age_decade(age: pd.Series) -> pd.Series:
    """'70 - 79' -> 7, '90+' -> 9. The cell '19-Oct' is the range '10-19' that a spreadsheet
    turned into a date (19 October); it is read as decade 1."""
    def parse(v):
        if pd.isna(v):
            return np.nan
        v = str(v).strip()
        if v == "19-Oct":
            return 1.0
        if v.endswith("+"):
            return float(v[:-1]) // 10
        return float(v.split("-")[0].strip()) // 10
    return age.map(parse)


def clean_iwpc(raw: pd.DataFrame) -> pd.DataFrame:
    """The IWPC spreadsheet as a tidy frame, with every cleaning rule in one place.

    Rules: age decade from the age range (``'70 - 79'`` is 7, ``'90+'`` is 9; the cell
    ``'19-Oct'`` is the range ``'10-19'`` that a spreadsheet turned into a date, read as
    decade 1); race from 'Race (OMB)'; missing amiodarone and enzyme-inducer entries
    (carbamazepine, phenytoin, rifampin) count as not taking the drug, as in the IWPC formula;
    VKORC1 -1639 and CYP2C9 genotypes keep their missing entries as 'unknown', and CYP2C9
    genotypes with alleles other than ``*1``, ``*2``, ``*3`` (19 patients) as 'other'; 'stable'
    marks patients who reached a stable dose.

    Parameters
    ----------
    raw : pandas.DataFrame
        The spreadsheet as published, as returned by :func:`load_iwpc_raw`.

    Returns
    -------
    pandas.DataFrame
        One row per patient of ``raw``, with columns ``age`` (decade), ``height_cm``,
        ``weight_kg``, ``race``, ``amiodarone`` and ``enzyme_inducer`` ('yes' or 'no'),
        ``vkorc1``, ``cyp2c9``, ``dose`` (weekly, mg) and ``stable`` (bool).

    Examples
    --------
    >>> frame = clean_iwpc(load_iwpc_raw())
    >>> frame.shape
    (5700, 10)
    >>> list(frame.columns[:4])
    ['age', 'height_cm', 'weight_kg', 'race']
    """
    def drug(col):
        return raw[col].fillna(0).astype(int)

    return pd.DataFrame({
        "age": _age_decade(raw["Age"]),
        "height_cm": pd.to_numeric(raw["Height (cm)"], errors="coerce"),
        "weight_kg": pd.to_numeric(raw["Weight (kg)"], errors="coerce"),
        "race": raw["Race (OMB)"].fillna("Unknown"),
        "amiodarone": np.where(drug("Amiodarone (Cordarone)") > 0, "yes", "no"),
        "enzyme_inducer": np.where(
            (drug("Carbamazepine (Tegretol)") + drug("Phenytoin (Dilantin)")
             + drug("Rifampin or Rifampicin")) > 0, "yes", "no"),
        "vkorc1": raw[_VKORC1_COL].fillna("unknown"),
        "cyp2c9": raw["Cyp2C9 genotypes"].map(
            lambda g: "unknown" if pd.isna(g) else (g if g in IWPC_CYP2C9 else "other")),
        "dose": pd.to_numeric(raw["Therapeutic Dose of Warfarin"], errors="coerce"),
        "stable": raw["Subject Reached Stable Dose of Warfarin"].fillna(0).astype(int) == 1,
    })


def iwpc_formula_sqrt_dose(frame: pd.DataFrame) -> np.ndarray:
    """Predicted sqrt(weekly dose) of the IWPC 2009 pharmacogenetic formula for a tidy frame.

    The formula's coefficients are :data:`IWPC_FORMULA`; categorical levels without a
    coefficient (White, G/G, ``*1/*1``) are the baselines.

    Parameters
    ----------
    frame : pandas.DataFrame
        Tidy records with the columns of :func:`clean_iwpc`: ``age``, ``height_cm``,
        ``weight_kg``, ``enzyme_inducer``, ``amiodarone``, ``vkorc1``, ``cyp2c9`` and
        ``race``.

    Returns
    -------
    ndarray of shape (n_records,)
        The predicted square root of the weekly dose in mg.

    Examples
    --------
    >>> task = load_iwpc()
    >>> iwpc_formula_sqrt_dose(task.frame.head(3)).round(2).tolist()
    [6.33, 5.98, 6.96]
    """
    c = IWPC_FORMULA
    out = (c["intercept"] + c["age"] * frame["age"] + c["height_cm"] * frame["height_cm"]
           + c["weight_kg"] * frame["weight_kg"]
           + c["enzyme_inducer"] * (frame["enzyme_inducer"] == "yes")
           + c["amiodarone"] * (frame["amiodarone"] == "yes"))
    for col in ("vkorc1", "cyp2c9", "race"):
        for key, coef in c.items():
            if key.startswith(col + "="):
                out = out + coef * (frame[col] == key.split("=", 1)[1])
    return out.to_numpy(dtype=float)


IWPC_FEATURES = ["age", "height_cm", "weight_kg", "race", "amiodarone", "enzyme_inducer",
                 "vkorc1", "cyp2c9"]
IWPC_BOUNDS = {"age": (0.0, 9.0), "height_cm": (120.0, 210.0), "weight_kg": (30.0, 240.0)}


def _iwpc_task(frame: pd.DataFrame, name: str, description: str, sensitive: str) -> TabularTask:
    if sensitive not in ("vkorc1", "cyp2c9"):
        raise ValueError(f"sensitive must be 'vkorc1' or 'cyp2c9', got {sensitive!r}")
    return TabularTask(
        name=name, frame=frame.reset_index(drop=True), target="dose", sensitive=sensitive,
        features=list(IWPC_FEATURES),
        categories={"race": list(IWPC_RACES), "amiodarone": ["no", "yes"],
                    "enzyme_inducer": ["no", "yes"], "vkorc1": list(IWPC_VKORC1),
                    "cyp2c9": list(IWPC_CYP2C9)},
        bounds=dict(IWPC_BOUNDS), task="regression", target_bounds=(0.0, 100.0),
        description=description,
    )


def load_iwpc_raw(data_dir: str | os.PathLike | None = None) -> pd.DataFrame:
    """The IWPC spreadsheet as published (5,700 patients x 67 columns), checksum verified.

    Parameters
    ----------
    data_dir : str or path-like, default=None
        The folder to read (see :func:`midlib.data.data_dir`); None means
        ``$MIDLIB_DATA_DIR`` if set, else the package's copy.

    Returns
    -------
    pandas.DataFrame
        The raw spreadsheet, one row per patient.

    Examples
    --------
    >>> load_iwpc_raw().shape
    (5700, 67)
    """
    return pd.read_csv(real_file("iwpc", data_dir))


def load_iwpc(data_dir: str | os.PathLike | None = None, sensitive: str = "vkorc1") -> TabularTask:
    """IWPC warfarin patients with complete records (Fredrikson et al. 2014's setting).

    Keeps patients with a stable therapeutic dose, known age, height and weight, a known
    VKORC1 -1639 genotype and one of the six common CYP2C9 genotypes. The target is the weekly
    dose in mg (``task.y(scaled=True)`` divides by 100 mg/week and clips to [0, 1]).

    Parameters
    ----------
    data_dir : str or path-like, default=None
        The folder to read (see :func:`midlib.data.data_dir`).
    sensitive : {"vkorc1", "cyp2c9"}, default="vkorc1"
        The sensitive genotype.

    Returns
    -------
    TabularTask
        A regression task on the features :data:`IWPC_FEATURES`, with target ``dose``.

    Examples
    --------
    >>> task = load_iwpc()
    >>> len(task), task.sensitive_values
    (3349, ['G/G', 'A/G', 'A/A'])
    >>> load_iwpc(sensitive="cyp2c9").sensitive
    'cyp2c9'
    """
    frame = clean_iwpc(load_iwpc_raw(data_dir))
    keep = (frame["stable"] & frame["dose"].notna() & frame["age"].notna()
            & frame["height_cm"].notna() & frame["weight_kg"].notna()
            & frame["vkorc1"].isin(IWPC_VKORC1) & frame["cyp2c9"].isin(IWPC_CYP2C9))
    frame = frame.loc[keep].drop(columns="stable")
    return _iwpc_task(frame, "iwpc", "IWPC warfarin, complete stable-dose records", sensitive)


# Allele frequencies by race used by the synthetic generator: round figures close to the
# published population frequencies (VKORC1 -1639 A; CYP2C9 *2 and *3), Hardy-Weinberg genotypes.
SYNTHETIC_RACE_FREQUENCIES = {"White": 0.55, "Asian": 0.29, "Black or African American": 0.08, "Unknown": 0.08}
_SYNTH_VKORC1_A = {"White": 0.40, "Asian": 0.90, "Black or African American": 0.10, "Unknown": 0.40}
_SYNTH_CYP2 = {"White": 0.13, "Asian": 0.01, "Black or African American": 0.03, "Unknown": 0.10}
_SYNTH_CYP3 = {"White": 0.07, "Asian": 0.04, "Black or African American": 0.02, "Unknown": 0.06}


def pharmacogenetic_genotype_probs(race: str) -> tuple[np.ndarray, np.ndarray]:
    """Genotype distributions of the synthetic generator for one race.

    The genotypes follow Hardy-Weinberg equilibrium from race-specific allele frequencies
    (round figures close to the published population frequencies of VKORC1 -1639 A and of
    CYP2C9 ``*2`` and ``*3``).

    Parameters
    ----------
    race : str
        One of :data:`IWPC_RACES`.

    Returns
    -------
    vkorc1 : ndarray of shape (3,)
        Probabilities of the VKORC1 genotypes, in :data:`IWPC_VKORC1` order.
    cyp2c9 : ndarray of shape (6,)
        Probabilities of the CYP2C9 genotypes, in :data:`IWPC_CYP2C9` order.

    Examples
    --------
    >>> vkorc1, cyp2c9 = pharmacogenetic_genotype_probs("White")
    >>> vkorc1.round(2).tolist()
    [0.36, 0.48, 0.16]
    >>> round(float(cyp2c9.sum()), 6)
    1.0
    """
    a = _SYNTH_VKORC1_A[race]
    vk = np.array([(1 - a) ** 2, 2 * a * (1 - a), a ** 2])
    p2, p3 = _SYNTH_CYP2[race], _SYNTH_CYP3[race]
    p1 = 1 - p2 - p3
    cyp = np.array([p1 * p1, 2 * p1 * p2, 2 * p1 * p3, p2 * p2, 2 * p2 * p3, p3 * p3])
    return vk, cyp / cyp.sum()


def make_pharmacogenetic(n: int, random_state=0, noise_sd: float = 0.8,
                         sensitive: str = "vkorc1") -> TabularTask:
    """Synthetic IWPC-like patients with known ground truth.

    Race from fixed frequencies (:data:`SYNTHETIC_RACE_FREQUENCIES`); VKORC1 and CYP2C9
    genotypes from race-specific allele frequencies (:func:`pharmacogenetic_genotype_probs`);
    age decade, height and weight from simple distributions; sqrt(dose) = IWPC 2009 formula +
    N(0, noise_sd^2). The true model (:func:`iwpc_formula_model`) and genotype priors are
    therefore known exactly, which lets tests compute the Bayes-optimal attack accuracy
    (:func:`pharmacogenetic_bayes_accuracy`).

    Parameters
    ----------
    n : int
        Number of patients, positive.
    random_state : None, int or numpy.random.Generator, default=0
        Seed of the random generator.
    noise_sd : float, default=0.8
        Standard deviation of the Gaussian noise added to sqrt(dose).
    sensitive : {"vkorc1", "cyp2c9"}, default="vkorc1"
        The sensitive genotype.

    Returns
    -------
    TabularTask
        A regression task with the same columns and encoding as :func:`load_iwpc`.

    Examples
    --------
    >>> task = make_pharmacogenetic(50, random_state=0)
    >>> len(task), task.name
    (50, 'synthetic-pharmacogenetic')
    """
    check_positive_int(n, "n")
    rng = check_random_state(random_state)
    races = rng.choice(IWPC_RACES, size=n, p=[SYNTHETIC_RACE_FREQUENCIES[r] for r in IWPC_RACES])
    vk = np.empty(n, dtype=object)
    cyp = np.empty(n, dtype=object)
    for race in IWPC_RACES:
        idx = np.flatnonzero(races == race)
        pv, pc = pharmacogenetic_genotype_probs(race)
        vk[idx] = rng.choice(IWPC_VKORC1, size=len(idx), p=pv)
        cyp[idx] = rng.choice(IWPC_CYP2C9, size=len(idx), p=pc)
    frame = pd.DataFrame({
        "age": rng.integers(2, 10, size=n).astype(float),
        "height_cm": np.clip(rng.normal(168, 10, size=n), 125, 205).round(1),
        "weight_kg": np.clip(rng.normal(78, 18, size=n), 35, 200).round(1),
        "race": races,
        "amiodarone": np.where(rng.random(n) < 0.07, "yes", "no"),
        "enzyme_inducer": np.where(rng.random(n) < 0.01, "yes", "no"),
        "vkorc1": vk, "cyp2c9": cyp,
    })
    sqrt_dose = iwpc_formula_sqrt_dose(frame) + rng.normal(0, noise_sd, size=n)
    frame["dose"] = np.clip(sqrt_dose, 0.5, None) ** 2
    return _iwpc_task(frame, "synthetic-pharmacogenetic",
                      f"synthetic IWPC-like patients (n={n}, random_state={random_state}, noise_sd={noise_sd})",
                      sensitive)



class FixedLinearModel:
    """A given linear model ``x -> x' coef + intercept``.

    For instance a data set's true regression function, with the ``predict`` / ``coef_`` /
    ``intercept_`` interface of scikit-learn. Nothing is fitted.

    Parameters
    ----------
    coef : array-like of shape (n_features,)
        The coefficients (raveled).
    intercept : float, default=0.0
        The intercept.

    Attributes
    ----------
    coef_ : ndarray of shape (n_features,)
        The coefficients.
    intercept_ : float
        The intercept.

    See Also
    --------
    iwpc_formula_model : The IWPC 2009 formula as a ``FixedLinearModel``.

    Examples
    --------
    >>> model = FixedLinearModel([1.0, 2.0], intercept=0.5)
    >>> model
    FixedLinearModel(d=2)
    >>> model.predict([[1.0, 1.0], [0.0, 2.0]]).tolist()
    [3.5, 4.5]
    """

    def __init__(self, coef, intercept: float = 0.0):
        self.coef_ = np.asarray(coef, dtype=float).ravel()
        self.intercept_ = float(intercept)

    def predict(self, X):
        """Predict with the linear model.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The inputs.

        Returns
        -------
        ndarray of shape (n_samples,)
            ``X @ coef_ + intercept_``.

        Raises
        ------
        ValueError
            ``X`` is not 2-D with ``n_features`` columns.

        Examples
        --------
        >>> FixedLinearModel([2.0], intercept=1.0).predict([[0.0], [3.0]]).tolist()
        [1.0, 7.0]
        """
        X = np.asarray(X, dtype=float)
        if X.ndim != 2 or X.shape[1] != len(self.coef_):
            raise ValueError(f"X must have shape (n, {len(self.coef_)}), got {X.shape}")
        return X @ self.coef_ + self.intercept_

    def __repr__(self):
        return f"FixedLinearModel(d={len(self.coef_)})"


def iwpc_formula_model(task: TabularTask) -> FixedLinearModel:
    """The IWPC 2009 pharmacogenetic formula as a linear model on ``task.encode`` columns.

    The model predicts the square root of the weekly dose: it is the true regression function
    of :func:`make_pharmacogenetic`. Numeric features are encoded as
    ``(x - low) / (high - low)``, so their coefficients are multiplied by ``high - low`` and
    ``coef * low`` moves into the intercept.

    Parameters
    ----------
    task : TabularTask
        An IWPC task (:func:`load_iwpc` or :func:`make_pharmacogenetic`) whose encoding the
        model reads.

    Returns
    -------
    FixedLinearModel
        One coefficient per column of ``task.encode()``.

    Examples
    --------
    >>> import numpy as np
    >>> task = make_pharmacogenetic(20, random_state=0)
    >>> model = iwpc_formula_model(task)
    >>> model
    FixedLinearModel(d=18)
    >>> bool(np.allclose(model.predict(task.encode()), iwpc_formula_sqrt_dose(task.frame)))
    True
    """
    names = task.feature_names()
    coef = np.zeros(len(names))
    intercept = IWPC_FORMULA["intercept"]
    for j, name in enumerate(names):
        if name in task.bounds:
            low, high = task.bounds[name]
            c = IWPC_FORMULA.get(name, 0.0)
            coef[j] = c * (high - low)
            intercept += c * low
        elif name in ("amiodarone=yes", "enzyme_inducer=yes"):
            coef[j] = IWPC_FORMULA[name.split("=")[0]]
        else:
            coef[j] = IWPC_FORMULA.get(name, 0.0)  # baselines (White, G/G, *1/*1) are 0
    return FixedLinearModel(coef, intercept)


def pharmacogenetic_bayes_accuracy(noise_sd: float = 0.8, sensitive: str = "vkorc1") -> float:
    """Exact Bayes accuracy of guessing the genotype of a fresh synthetic patient.

    The patient is drawn by :func:`make_pharmacogenetic`, and the genotype is guessed from
    everything else (demographics, the other genotype and the dose), with the true model and
    the true race-specific genotype priors.

    Given the other features, sqrt(dose) is a known number plus the genotype's coefficient plus
    N(0, noise_sd^2), so the accuracy is :func:`~midlib.leakage.map_bayes_accuracy` per race,
    averaged over the races. (The generator's clip of sqrt(dose) at 0.5 lies more than 5 sd
    below every mean and is ignored.)

    Parameters
    ----------
    noise_sd : float, default=0.8
        The generator's noise standard deviation on sqrt(dose).
    sensitive : {"vkorc1", "cyp2c9"}, default="vkorc1"
        The genotype guessed.

    Returns
    -------
    float
        The Bayes-optimal (maximum a posteriori) accuracy, in [0, 1].

    Examples
    --------
    >>> round(pharmacogenetic_bayes_accuracy(), 3)
    0.694
    >>> round(pharmacogenetic_bayes_accuracy(sensitive="cyp2c9"), 3)
    0.749
    """
    values = {"vkorc1": IWPC_VKORC1, "cyp2c9": IWPC_CYP2C9}[sensitive]
    offsets = [IWPC_FORMULA.get(f"{sensitive}={v}", 0.0) for v in values]
    acc = 0.0
    for race in IWPC_RACES:
        pv, pc = pharmacogenetic_genotype_probs(race)
        p = pv if sensitive == "vkorc1" else pc
        acc += SYNTHETIC_RACE_FREQUENCIES[race] * map_bayes_accuracy(offsets, p, noise_sd)
    return float(acc)
