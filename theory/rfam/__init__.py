"""Symbolic checks of R1 (the AGOP identity)."""
