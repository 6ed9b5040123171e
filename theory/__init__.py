"""normalign.theory: symbolic derivations and checks (sympy), in the same theorem families as
``normalign.numerics.checks``; ``symcheck`` is the shared vocabulary."""
