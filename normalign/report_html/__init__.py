"""``normalign report``: the last ``normalign verify`` run as a static HTML page and a Markdown twin.

``normalign verify`` saves its JSON document (the one ``--json`` prints) with the date, commit and the
pinned Lean statements in ``.cache/verify-last.json`` (:mod:`.runs`); ``normalign report`` renders
that file in seconds, without running a check:

- ``runs``: the cached run (save, load, git commit, Lean pins);
- ``palette``: one colour per status word (check, ID, Lean, measured outcome);
- ``graph``: the dependency edges between the statements and their layered SVG drawing;
- ``figures``: exact region pictures of 2-d counterexamples (``normalign.numerics.engine.regions``),
  the experiments' figures under ``results/``;
- ``page`` (HTML), ``markdown`` (the twin), ``build`` (writes both, atomically).

The page is one file: CSS and the few lines of JS inline, images as ``data:`` URIs, the graph as
inline SVG; it loads nothing from the network. The Markdown twin links ``figures/*.png`` and
``graph.svg`` written next to it.
"""
