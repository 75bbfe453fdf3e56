"""`recipec explain`: what a trained model's predictions rest on (importance.py: permutation
feature importance for tabular inputs; saliency.py: gradient saliency and integrated
gradients for image inputs)."""
