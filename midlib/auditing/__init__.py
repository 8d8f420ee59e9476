"""Audit and defend a user's own model on the user's own records.

- :func:`audit` (also ``midlib.audit``): play the attribute-inference attacks the model allows
  against it, beside the no-model baselines, and return an :class:`AuditReport`;
- :func:`defend` (also ``midlib.defend``): fit MID and a DP baseline over a strength grid,
  audit each, and recommend the model with the least utility loss within a leakage budget;
- :func:`load_model`, :func:`load_table`, :class:`TorchModel`: safe loading and adapters.

The command line: ``midlib audit --model model.skops --data records.csv --sensitive race
--target dose --members-column in_train`` and ``midlib defend``.
"""

from midlib.auditing.core import audit
from midlib.auditing.defend import DefenseReport, defend
from midlib.auditing.loading import (MissingColumnError, TorchModel, UntrustedModelError,
                                     load_model, load_table)
from midlib.auditing.report import AuditReport

__all__ = ["audit", "defend", "AuditReport", "DefenseReport", "load_model", "load_table",
           "TorchModel", "UntrustedModelError", "MissingColumnError"]
