"""normalign: verification suite for the normal-alignment theorems (arXiv 2605.08464)."""

__version__ = "0.1.0"
