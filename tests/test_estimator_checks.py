"""scikit-learn's estimator suite on the estimators not covered in their own test files.

The DP estimators refuse, by design, data outside the bounds their privacy guarantee assumes
(features and labels in [0, 1]), while the suite feeds arbitrary data. So the functional
mechanism is checked inside the pipeline a user would build: rescaling of the features and of
the target in front, which leaves its own API (parameters, cloning, fitting, predicting,
pickling) exercised by every check. (The priority tree needs a 0/1 sensitive column, which no
generic check provides; its own tests cover it.)"""

from sklearn.compose import TransformedTargetRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from midlib.defenses import FunctionalMechanismRegression, GaussianNoiseRegressor


def bounded(estimator):
    """``estimator`` behind a [0, 1] rescaling of features and target."""
    return TransformedTargetRegressor(
        regressor=make_pipeline(MinMaxScaler(clip=True), estimator),
        transformer=MinMaxScaler(clip=True))


@parametrize_with_checks([
    GaussianNoiseRegressor(mi_cap=0.5, random_state=0),
    GaussianNoiseRegressor(sigma=0.1, random_state=0),
    bounded(FunctionalMechanismRegression(10.0, random_state=0)),
])
def test_scikit_learn_estimator_checks(estimator, check):
    check(estimator)
