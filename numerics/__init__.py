"""Numerical engine: exact CPA geometry, optimisation and experiments (numpy, cvxpy, torch)."""
