"""Symbolic checks of T2."""
