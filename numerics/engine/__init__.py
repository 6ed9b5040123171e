"""The exact engine: CPA networks, their regions, Jacobians, scores, power diagrams and radii (numpy, scipy; torch only to read models)."""
