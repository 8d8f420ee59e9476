"""midlib: model-inversion attacks, information-leakage measures and the MID defense.

Wang, Zhang and Jia, "Improving Robustness to Model Inversion Attacks via Mutual Information
Regularization" (AAAI 2021). The sub-packages, each with a curated face:

``data``         the shipped real data, the task abstraction, synthetic generators
``game``         the MI game: knowledge and access levels, adversaries, ``play``
``stats``        confidence intervals and summaries over seeds
``leakage``      entropies, mutual information, exact Bayes values and bounds
``defenses``     MID (linear, trees, networks), DP baselines, rivals, one registry
``attacks``      the model-inversion attacks and the no-model baselines
``nn``           the torch substrate: small networks and the one training loop
``metrics``      scores of image reconstructions
``experiments``  each chapter's protocol, ``run(defense, strength, seed, **config)``
``frontier``     sweeps, Pareto fronts, matched-utility comparisons, frontier plots
``auditing``     audit and defend a user's own model: ``midlib.audit(...)``, ``midlib.defend(...)``

The sub-packages load on first use (``import midlib; midlib.defenses``), so that the command
line and the data chapter do not pay torch's import time.
"""

import importlib

__version__ = "0.1.0"

_SUBMODULES = ("data", "game", "stats", "leakage", "defenses", "attacks", "nn", "metrics",
               "experiments", "frontier", "publish", "sweeps", "profiles", "progress", "validation", "cli",
               "auditing")
#: Functions exported lazily from sub-packages: name -> the module that defines it.
_FUNCTIONS = {"audit": "midlib.auditing", "defend": "midlib.auditing"}

__all__ = list(_SUBMODULES) + list(_FUNCTIONS)


def __getattr__(name):
    if name in _FUNCTIONS:
        return getattr(importlib.import_module(_FUNCTIONS[name]), name)
    if name in _SUBMODULES:
        return importlib.import_module(f"midlib.{name}")
    raise AttributeError(f"module 'midlib' has no attribute {name!r}")
