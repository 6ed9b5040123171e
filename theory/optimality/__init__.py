"""Symbolic checks of L1, T1, T1'."""
