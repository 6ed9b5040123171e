"""Checks of D4, P3, P4: regimes, centroid dynamics and feature learning."""
