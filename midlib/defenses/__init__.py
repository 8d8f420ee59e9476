"""Defenses: MID for linear regression, decision trees and networks, the differential-privacy
baselines, the rivals of the book's comparisons, and one registry that creates any of them.

One module per defense (Opacus style): ``mid_linear``, ``mid_tree``, ``vib`` (MID);
``dp_linear`` (functional mechanism), ``dp_tree``, ``dp_sgd`` (Opacus); ``priority_tree`` and
``noise_capped`` (comparison models); ``label_smoothing`` (positive and negative label smoothing)
and ``bido`` (BiDO-HSIC), the networks' rivals; ``tree_base`` (what every tree shares);
``registry``.
"""

from midlib.defenses.bido import (BiDOHead, BiDORegularizer, bido_head, find_bido, gaussian_gram,
                                  hsic)
from midlib.defenses.dp_linear import (FunctionalMechanismRegression, check_unit_bounds,
                                       functional_mechanism_sensitivity, replacement_change,
                                       zhang_ridge)
from midlib.defenses.dp_sgd import DPConfig, add_gaussian_noise, clip_per_record, rdp_epsilon
from midlib.defenses.dp_tree import DPDecisionTreeClassifier
from midlib.defenses.label_smoothing import LabelSmoothingLoss, smoothed_cross_entropy
from midlib.defenses.mid_linear import (MIDLinearRegression, gaussian_bound, mid_objective,
                                        numerical_minimum, optimal_noise_variance,
                                        optimal_shrinkage)
from midlib.defenses.mid_tree import (MIDDecisionTreeClassifier, enumerate_prunings, mid_prune,
                                      pruning_objective)
from midlib.defenses.noise_capped import GaussianNoiseRegressor
from midlib.defenses.priority_tree import PriorityDecisionTreeClassifier
from midlib.defenses.registry import (CLI_MODELS, DEFENSES, NetworkDefense, create_defense,
                                      network_defense, parse_model_name)
from midlib.defenses.tree_base import (TreePredictorMixin, leaf_outputs, node_counts,
                                      stochastic_tree_information, tree_information, tree_of)
from midlib.defenses.vib import (VIBHead, VIBRegularizer, find_vib, kl_bound_nats,
                                 label_mutual_information, mutual_information_mc, vib_head)

__all__ = [
    "create_defense", "network_defense", "NetworkDefense", "DEFENSES", "CLI_MODELS",
    "parse_model_name",
    "MIDLinearRegression", "MIDDecisionTreeClassifier", "VIBHead", "VIBRegularizer", "vib_head",
    "find_vib", "kl_bound_nats", "mutual_information_mc", "label_mutual_information",
    "FunctionalMechanismRegression", "functional_mechanism_sensitivity",
    "DPDecisionTreeClassifier", "DPConfig", "rdp_epsilon", "clip_per_record", "add_gaussian_noise",
    "PriorityDecisionTreeClassifier", "GaussianNoiseRegressor", "TreePredictorMixin",
    "tree_information", "tree_of", "node_counts", "leaf_outputs", "stochastic_tree_information",
    "mid_prune", "enumerate_prunings", "pruning_objective", "gaussian_bound", "mid_objective",
    "numerical_minimum", "optimal_noise_variance", "optimal_shrinkage", "replacement_change",
    "check_unit_bounds", "zhang_ridge", "LabelSmoothingLoss", "smoothed_cross_entropy",
    "BiDOHead", "BiDORegularizer", "bido_head", "find_bido", "hsic", "gaussian_gram",
]
