import shutil

import numpy as np
import pandas as pd
import pytest

from midlib import data as datasets
from tests.conftest import requires_real


# ---------------------------------------------------------------- real files ------------------

@requires_real("iwpc")
def test_iwpc_cleaning_and_formula():
    raw = datasets.load_iwpc_raw()
    assert raw.shape == (5700, 67)
    clean = datasets.clean_iwpc(raw)
    # The corrupted '19-Oct' age cells are the 10-19 decade.
    assert (clean.loc[raw["Age"] == "19-Oct", "age"] == 1).all()
    assert clean["vkorc1"].value_counts()["unknown"] == 1654
    task = datasets.load_iwpc()
    assert 3000 < len(task) < 3500
    assert set(task.frame["vkorc1"]) == set(datasets.IWPC_VKORC1)
    X = task.encode()
    assert X.shape == (len(task), len(task.feature_names())) and X.min() >= 0 and X.max() <= 1
    # IWPC 2009's pharmacogenetic formula explains about half of the variance of sqrt(dose).
    y = np.sqrt(task.frame["dose"].to_numpy())
    pred = datasets.iwpc_formula_sqrt_dose(task.frame)
    r2 = 1 - np.sum((y - pred) ** 2) / np.sum((y - y.mean()) ** 2)
    assert 0.44 <= r2 <= 0.55, r2
    # The same on every stable-dose patient with the covariates, unknown genotypes included.
    stable = clean[clean["stable"] & clean[["age", "height_cm", "weight_kg", "dose"]].notna().all(axis=1)
                   & (clean["cyp2c9"] != "other")]
    ys = np.sqrt(stable["dose"].to_numpy())
    r2_all = 1 - np.sum((ys - datasets.iwpc_formula_sqrt_dose(stable)) ** 2) / np.sum((ys - ys.mean()) ** 2)
    assert 0.40 <= r2_all <= 0.55, r2_all


@requires_real("iwpc")
def test_iwpc_cyp2c9_sensitive():
    task = datasets.load_iwpc(sensitive="cyp2c9")
    assert task.sensitive_values == datasets.IWPC_CYP2C9
    assert np.isclose(task.prior().sum(), 1)
    with pytest.raises(ValueError, match="sensitive must be"):
        datasets.load_iwpc(sensitive="age")


@requires_real("steak")
def test_steak_survey():
    task = datasets.load_steak()
    assert len(task) == 331
    assert (task.frame["cheated"] == "Yes").sum() == 57
    assert task.target == "steak" and task.sensitive == "cheated"
    assert len(task.sensitive_columns()) == 1
    y = task.y()
    assert set(y) <= set(range(5))


@requires_real("olivetti")
def test_olivetti_faces_orientation():
    faces = datasets.load_olivetti()
    assert faces.images.shape == (400, 64, 64) and faces.images.dtype == np.float32
    assert faces.n_classes == 40 and (faces.target == np.arange(400) // 10).all()
    # Most images' nearest other image shows the same person.
    flat = faces.images.reshape(400, -1)
    sq = (flat ** 2).sum(1)
    d = sq[:, None] + sq[None] - 2 * flat @ flat.T
    np.fill_diagonal(d, np.inf)
    assert (faces.target[d.argmin(1)] == faces.target).mean() > 0.9
    # Transposing would swap the axes: the mean face is left-right symmetric, not top-bottom.
    mean = faces.images.mean(axis=0)
    lr = np.abs(mean - mean[:, ::-1]).mean()
    tb = np.abs(mean - mean[::-1, :]).mean()
    assert lr < tb


def test_registry_data():
    fair = datasets.load_fair()
    assert len(fair) == 6366
    assert abs(fair.prior()[1] - 0.322) < 0.005
    digits = datasets.load_digits()
    assert digits.images.shape == (1797, 8, 8) and digits.images.max() <= 1
    mnist = datasets.load_mnist()
    assert mnist.images.shape == (5000, 28, 28)
    assert (np.bincount(mnist.target) == 500).all()


# ---------------------------------------------------------------- bad input --------------------

def test_missing_file_error_names_file_dir_variable_and_source(tmp_path):
    with pytest.raises(datasets.DataFileMissing) as err:
        datasets.load_iwpc(data_dir=tmp_path)
    msg = str(err.value)
    assert "iwpc_data_7_3_09_revised.csv" in msg and str(tmp_path) in msg
    assert datasets.DATA_ENV in msg and "PharmGKB" in msg


def test_env_variable_is_used(tmp_path, monkeypatch):
    monkeypatch.setenv(datasets.DATA_ENV, str(tmp_path))
    assert datasets.data_dir() == tmp_path
    with pytest.raises(datasets.DataFileMissing, match=str(tmp_path)):
        datasets.load_steak()


def test_bad_checksum_is_refused(tmp_path):
    fname = datasets.REAL_FILES["steak"][0]
    (tmp_path / fname).write_text("RespondentID,cheated\n1,Yes\n")
    with pytest.raises(datasets.ChecksumMismatch, match="sha256"):
        datasets.load_steak(data_dir=tmp_path)


@requires_real("steak")
def test_one_changed_byte_is_refused(tmp_path):
    src = datasets.real_file("steak")
    dst = tmp_path / src.name
    shutil.copy(src, dst)
    data = bytearray(dst.read_bytes())
    data[100] ^= 1
    dst.write_bytes(bytes(data))
    with pytest.raises(datasets.ChecksumMismatch):
        datasets.load_steak(data_dir=tmp_path)
    assert not datasets.available("steak", tmp_path)


def test_unknown_dataset_name():
    with pytest.raises(ValueError, match="unknown data set 'cifar'.*iwpc"):
        datasets.load("cifar")
    with pytest.raises(ValueError, match="unknown real data file"):
        datasets.real_file("cifar")


def test_generators_validate_arguments():
    with pytest.raises(ValueError, match="positive integer"):
        datasets.make_pharmacogenetic(0)
    with pytest.raises(TypeError, match="random_state"):
        datasets.make_pharmacogenetic(10, random_state=1.5)
    with pytest.raises(ValueError, match="dependence"):
        datasets.make_survey(100, dependence=1.5)


def test_encode_rejects_unknown_values_and_missing_numbers():
    task = datasets.make_pharmacogenetic(50, random_state=1)
    frame = task.frame.copy()
    frame.loc[0, "vkorc1"] = None  # the game hides the sensitive attribute like this
    with pytest.raises(ValueError, match="outside its categories"):
        task.encode(frame)
    frame = task.frame.copy()
    frame.loc[0, "weight_kg"] = np.nan
    with pytest.raises(ValueError, match="missing values"):
        task.encode(frame)
    with pytest.raises(ValueError, match="not a value"):
        task.with_sensitive(task.frame, "C/C")


# ---------------------------------------------------------------- synthetic generators ---------

def test_pharmacogenetic_generator_frequencies_and_model():
    task = datasets.make_pharmacogenetic(40_000, random_state=3)
    for race in datasets.IWPC_RACES:
        sub = task.frame[task.frame["race"] == race]
        pv, pc = datasets.pharmacogenetic_genotype_probs(race)
        ov = sub["vkorc1"].value_counts(normalize=True).reindex(datasets.IWPC_VKORC1, fill_value=0)
        oc = sub["cyp2c9"].value_counts(normalize=True).reindex(datasets.IWPC_CYP2C9, fill_value=0)
        se = 4 / np.sqrt(len(sub))
        assert np.all(np.abs(ov.to_numpy() - pv) < se), (race, ov.to_numpy(), pv)
        assert np.all(np.abs(oc.to_numpy() - pc) < se), (race, oc.to_numpy(), pc)
    # sqrt(dose) = formula + N(0, 0.8^2): the residual has that spread (clipping is negligible).
    resid = np.sqrt(task.frame["dose"]) - datasets.iwpc_formula_sqrt_dose(task.frame)
    assert abs(resid.mean()) < 0.03 and abs(resid.std() - 0.8) < 0.03


def test_pharmacogenetic_generator_is_deterministic():
    a = datasets.make_pharmacogenetic(200, random_state=7).frame
    b = datasets.make_pharmacogenetic(200, random_state=7).frame
    c = datasets.make_pharmacogenetic(200, random_state=8).frame
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(c)


@pytest.mark.parametrize("dependence", [0.0, 0.6])
def test_survey_generator_planted_dependence(dependence):
    task = datasets.make_survey(30_000, dependence=dependence, p_sensitive=0.3, random_state=2)
    f = task.frame
    assert abs((f["sensitive"] == "yes").mean() - 0.3) < 0.015
    expected = datasets.survey_label_given_s(dependence, 3)
    for s, name in enumerate(["no", "yes"]):
        obs = f.loc[f["sensitive"] == name, "label"].astype(int).value_counts(normalize=True)
        obs = obs.reindex(range(3), fill_value=0).to_numpy()
        assert np.all(np.abs(obs - expected[s]) < 0.02), (s, obs, expected[s])


def test_identity_faces_templates():
    data = datasets.make_identity_faces(n_identities=5, per_identity=4, size=12, noise=0.05, random_state=1)
    templates = datasets.identity_templates(5, 12, random_state=1)
    assert data.images.shape == (20, 12, 12) and data.n_classes == 5
    # every image is nearest to its own identity's template
    d = ((data.images[:, None] - templates[None]) ** 2).sum(axis=(2, 3))
    assert (d.argmin(axis=1) == data.target).all()


def test_tabular_task_split_and_prior():
    task = datasets.make_survey(1000, random_state=0)
    train, test = task.split(0.25, random_state=1)
    assert len(train) == 750 and len(test) == 250
    assert np.isclose(task.prior().sum(), 1)
    with pytest.raises(ValueError, match="test_size"):
        task.split(1.5)
    assert task.encode(train).shape[0] == 750


def test_drop_first_encoding_has_full_rank_with_an_intercept():
    task = datasets.make_pharmacogenetic(2000, random_state=0)
    full = task.encode()
    X1 = np.hstack([np.ones((len(full), 1)), full])
    assert np.linalg.matrix_rank(X1) < X1.shape[1]  # one-hot groups sum to the intercept
    reduced = task.with_encoding(drop_first=True)
    Xr = reduced.encode()
    assert Xr.shape[1] == full.shape[1] - 3  # race, vkorc1, cyp2c9 lose a column each
    assert np.linalg.matrix_rank(np.hstack([np.ones((len(Xr), 1)), Xr])) == Xr.shape[1] + 1
    assert len(reduced.feature_names()) == Xr.shape[1]
    assert [reduced.feature_names()[i] for i in reduced.sensitive_columns()] == ["vkorc1=A/G", "vkorc1=A/A"]
    assert not task.drop_first  # the original task is unchanged
