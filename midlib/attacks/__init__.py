"""Model-inversion attacks, one module per attack family."""
