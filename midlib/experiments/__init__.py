"""Each chapter's protocol as a function ``run(defense, strength, seed, **config) -> rows``, so
that a chapter's cells are parameters, a sweep, checks, plots and glue.

- :mod:`~midlib.experiments.iwpc`: Fig. 2a, MID and DP least squares on IWPC;
- :mod:`~midlib.experiments.trees`: Fig. 2b, MID, DP and priority trees on the surveys;
- :mod:`~midlib.experiments.faces`: Fig. 2c, MIFace and Knowledge Alignment on the AT&T faces;
- :mod:`~midlib.experiments.update_leaks`: Fig. 2d, Update-Leaks on digits;
- :mod:`~midlib.experiments.gmi`: the GMI chapter's targets and evaluator;
- :mod:`~midlib.experiments.dp_gap`: the DP chapter's exact toy mechanism and memorising learner.
"""

from midlib.experiments import dp_gap, faces, gmi, iwpc, trees, update_leaks

__all__ = ["iwpc", "trees", "faces", "update_leaks", "gmi", "dp_gap"]
