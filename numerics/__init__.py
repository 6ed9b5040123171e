"""normalign.numerics: the numerical side, in layers (see ARCHITECTURE.md).

``tolerances`` (float64 tolerances, reasoned once) and ``engine`` (exact CPA geometry) at the bottom;
``maths`` (theorem-specific mathematics: closed forms, convex problems, dynamics, RFM) above it;
``checks`` (the registry's checks, one folder per theorem family) above that; ``experiments``
(training experiments and plotting) on top. A module imports only from its own layer or below.
"""
