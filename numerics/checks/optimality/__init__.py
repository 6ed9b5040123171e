"""Checks of L1, T1, T1' and D5: minimum norm, norm-constrained optimality, and its boundaries."""
