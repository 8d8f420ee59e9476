"""Scores of image reconstructions: an evaluation classifier, top-k attack accuracy, pixel and
structural distances, and KNN distances to the private images."""

from midlib.metrics.images import (attack_accuracy, class_means, evaluator_features, knn_distance,
                                   pixel_mse, score_reconstructions, ssim, topk_accuracy,
                                   train_evaluator)

__all__ = ["train_evaluator", "topk_accuracy", "attack_accuracy", "class_means", "pixel_mse",
           "ssim", "knn_distance", "evaluator_features", "score_reconstructions"]
