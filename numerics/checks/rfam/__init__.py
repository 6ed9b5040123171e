"""Checks of R1: RFM kernel gradients and the AGOP identity."""
