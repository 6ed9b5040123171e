"""Checks of D1, D2, D3: the engine's scores, centroids and per-layer power diagrams against independent oracles."""
