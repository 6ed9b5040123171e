"""Checks of T2: local robustness (convex programs, properties, exact radii on CPA networks)."""
