"""Checks of G1: the GrokAlign regulariser's estimators and offsets."""
