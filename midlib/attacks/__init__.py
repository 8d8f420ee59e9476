"""The model-inversion attacks, one module per family, and the no-model baselines.

- ``map``: Fredrikson et al.'s MAP attacks (:class:`FredriksonMAP` for regression,
  :class:`ClassifierMAP` for classifiers);
- ``trees``: Fredrikson et al. (2015)'s white-box tree attack, and ART's implementations;
- ``baselines``: no-model adversaries (:class:`AuxiliaryAdversary`) and exact Bayes adversaries;
- ``miface``: gradient-descent face reconstruction (MIFace);
- ``alignment``: Knowledge Alignment (a decoder from prediction vectors to images);
- ``update_leaks``: the label of a one-record model update;
- ``gmi``: the generative model-inversion attack (a GAN prior and a latent search).
"""

from midlib.attacks.alignment import KnowledgeAlignment, truncate_top
from midlib.attacks.baselines import AuxiliaryAdversary, BayesAdversary, OutputBayesAdversary
from midlib.attacks.gmi import (GAN, GMIResult, evaluate_reconstructions, gmi_attack, train_gan,
                                vib_identity_loss_bounds)
from midlib.attacks.map import ClassifierMAP, FredriksonMAP, output_distribution
from midlib.attacks.miface import MIFace, total_variation
from midlib.attacks.trees import WhiteBoxTreeAttack, art_guesses, sensitive_path_mask
from midlib.attacks.update_leaks import (UpdateConfig, UpdateLeaksAttack, batched_posteriors,
                                         batched_updates, label_inference_bound, posterior_change,
                                         simulate_updates, update_model)

__all__ = [
    "FredriksonMAP", "ClassifierMAP", "output_distribution", "WhiteBoxTreeAttack", "art_guesses",
    "sensitive_path_mask", "AuxiliaryAdversary", "BayesAdversary", "OutputBayesAdversary",
    "MIFace", "total_variation", "KnowledgeAlignment", "truncate_top",
    "UpdateConfig", "UpdateLeaksAttack", "update_model", "posterior_change", "batched_updates",
    "batched_posteriors", "simulate_updates", "label_inference_bound",
    "GAN", "GMIResult", "train_gan", "gmi_attack", "evaluate_reconstructions",
    "vib_identity_loss_bounds",
]
