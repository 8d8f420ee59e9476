"""The model-inversion (MI) game: adversaries, the batched engine, and the advantage.

One definition everywhere: the *advantage* of an attack is its success minus the success of
the strongest no-model adversary with the same knowledge (the imputation of the sensitive
value from what the adversary knows, fitted on auxiliary records); the prior-only figure is
reported beside it, labelled.

- :func:`play_batched`: the engine. One query of every target record x every candidate value;
  every attack of :mod:`midlib.attacks.tabular` at every allowed access level (the released
  output on the target, label-only and score queries, white-box), each informed by the
  imputation posterior, tuned and chosen on held-out auxiliary records; the ladder
  prior <= imputation <= best attack <= Bayes value <= information ceiling.
- :func:`play` / :func:`play_seeds` / :func:`play_sampled`: the same game for an
  :class:`Adversary` object of the theory chapters (a known channel, a per-record rule), scored
  by the same function (:func:`score_hits`).
- :func:`wrap_model` / :func:`wrap_task_model`: any model behind one batched interface.
"""

from midlib.game.adversary import (ACCESS, GAMES, KNOWLEDGE, Adversary, PriorAdversary,
                                   TargetPrediction, play, play_sampled, play_seeds)
from midlib.game.engine import BASELINES, GameResult, expand, play_batched, score_hits
from midlib.game.knowledge import Imputer, cross_fit
from midlib.game.model import ModelAdapter, wrap_model, wrap_task_model  # TorchModel: midlib.auditing

__all__ = ["KNOWLEDGE", "ACCESS", "GAMES", "Adversary", "PriorAdversary", "TargetPrediction",
           "play", "play_seeds", "play_sampled", "play_batched", "GameResult", "score_hits",
           "expand", "BASELINES", "Imputer", "cross_fit", "ModelAdapter",
           "wrap_model", "wrap_task_model"]
