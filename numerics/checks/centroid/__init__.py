"""Checks of P1, P2, PD: centroid alignment, homogeneous networks, power-diagram subdivision."""
