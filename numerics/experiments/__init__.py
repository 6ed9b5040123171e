"""Training experiments and plotting (the top layer): ``normalign experiment`` and ``normalign plot-regions``."""
