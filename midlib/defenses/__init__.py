"""Defenses: MID (mutual-information regularization) and differential-privacy baselines."""
