"""midlib: model-inversion attacks, information-leakage measures and the MID defense.

Wang, Zhang and Jia, "Improving Robustness to Model Inversion Attacks via Mutual Information
Regularization" (AAAI 2021). Modules: ``datasets`` (real and synthetic data), ``game`` (the MI
game and its advantage), ``leakage`` (entropies, mutual information, bounds), ``defenses`` (MID
and differential-privacy baselines), ``attacks`` (the model-inversion attacks), ``frontier``
(sweeps and utility-privacy frontiers), ``profiles`` (notebook run profiles).
"""

__version__ = "0.1.0"
