"""Symbolic derivations and checks (sympy)."""
