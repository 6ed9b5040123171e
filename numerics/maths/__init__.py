"""Theorem-specific mathematics on top of the engine: closed forms, convex problems, training dynamics, NTK, GrokAlign, RFM, PGD."""
