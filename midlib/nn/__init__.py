"""The torch substrate: small classifiers, the one training loop (with hooks for a regularizer
and for privacy) and tensor helpers. It imports no defense: MID and DP-SGD plug in through the
hooks (see :func:`train_classifier`)."""

from midlib.nn.models import Classifier, PCAFeatures, fit_pca_features, make_classifier
from midlib.nn.tensors import as_tensors, check_images, check_labels
from midlib.nn.training import TrainResult, accuracy, predict_proba, train_classifier

__all__ = ["Classifier", "make_classifier", "PCAFeatures", "fit_pca_features", "TrainResult",
           "train_classifier", "predict_proba", "accuracy", "as_tensors", "check_images",
           "check_labels"]
