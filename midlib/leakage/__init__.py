"""Information leakage: entropies and mutual information (exact, Gaussian, from samples), exact
Bayes values, and the bounds that tie them to an adversary's advantage.

All quantities are in nats unless ``base`` says otherwise. The sub-modules: ``information``
(discrete quantities, estimators, exact leakage of a stochastic classifier), ``gaussian``
(closed forms and Gaussian-output models), ``bounds`` (Pinsker, Fano, the DP gap).
"""

from midlib.leakage.bounds import (dp_success_bound, fano_error_lower_bound, fano_success_upper_bound,
                                   map_bayes_accuracy, pinsker_bound)
from midlib.leakage.gaussian import (gaussian_entropy, gaussian_mixture_mutual_information,
                                     gaussian_mutual_information, gaussian_output_leakage,
                                     gaussian_output_mi, linear_gaussian_mi, sigma_for_mi)
from midlib.leakage.information import (bayes_advantage, bayes_success, binary_entropy,
                                        channel_mutual_information, conditional_mutual_information,
                                        discrete_output_leakage, discrete_output_mi, entropy,
                                        knn_mutual_information, mutual_information, plugin_entropy,
                                        plugin_mutual_information, random_channel, random_joint)

__all__ = [
    "entropy", "binary_entropy", "mutual_information", "channel_mutual_information",
    "conditional_mutual_information", "random_joint", "random_channel",
    "plugin_entropy", "plugin_mutual_information", "knn_mutual_information",
    "discrete_output_mi", "discrete_output_leakage", "bayes_success", "bayes_advantage",
    "gaussian_entropy", "gaussian_mutual_information", "linear_gaussian_mi", "sigma_for_mi",
    "gaussian_mixture_mutual_information", "gaussian_output_mi", "gaussian_output_leakage",
    "map_bayes_accuracy", "pinsker_bound", "fano_error_lower_bound", "fano_success_upper_bound",
    "dp_success_bound",
]
