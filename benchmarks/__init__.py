"""Accuracy and performance harness over every registered task."""
