"""`recipec search`: the recipe's search space explored with Optuna (compiler/search/ has the
space; this package runs the study)."""
