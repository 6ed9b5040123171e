"""Symbolic checks of P1, P2."""
