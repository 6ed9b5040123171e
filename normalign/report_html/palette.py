"""One colour per status word, so that the page, the graph and the Markdown twin agree.

Every word comes from the module that defines it (``normalign.verify`` for check and ID statuses,
``normalign.lean`` for Lean, ``normalign.registry.MEASURED_OUTCOMES`` for measured claims); a word this module does not
know is drawn in :data:`UNKNOWN` (grey, dashed), never in a colour that means "good".
``tests/test_report_page.py`` fails when a defining module gains a word that has no colour here.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache


@dataclass(frozen=True)
class Tone:
    """Fill, border and text colours, and the word's one-line meaning."""

    fill: str
    border: str
    text: str = "#111111"
    meaning: str = ""


GOOD = Tone("#cdebd0", "#2e7d32")
PARTLY_GOOD = Tone("#e6f3d0", "#6a9a23")
BAD = Tone("#f8cfcf", "#c62828")
UNDECIDED = Tone("#ffe2bf", "#e65100")
WEAK = Tone("#fff3b8", "#b08d00")
NEUTRAL = Tone("#e3e6ea", "#6b7280")
UNKNOWN = Tone("#f2f2f2", "#9e9e9e", "#444444", "a status word this report does not know")


@lru_cache(maxsize=1)
def _status_tones() -> dict[str, Tone]:
    from normalign import lean, verify

    tones: dict[str, Tone] = {
        # checks and IDs (normalign.verify)
        verify.OK: Tone(GOOD.fill, GOOD.border, meaning="found what it expects"),
        verify.VERIFIED: Tone(GOOD.fill, GOOD.border, meaning="a check expecting the claim to hold ran and passed"),
        verify.FAILED: Tone(BAD.fill, BAD.border, meaning="a check found the opposite of what it expects, or Lean failed"),
        verify.INCONCLUSIVE: Tone(UNDECIDED.fill, UNDECIDED.border, meaning="a check could not decide"),
        verify.NOT_RUN_SLOW: Tone(NEUTRAL.fill, NEUTRAL.border, meaning="slow check, not run at the quick budget"),
        verify.SANITY_ONLY: Tone(WEAK.fill, WEAK.border, meaning="only sanity checks (true by construction) ran"),
        verify.BOUNDARIES_ONLY: Tone(WEAK.fill, WEAK.border,
                                     meaning="only boundary and planted checks ran: nothing checked that it holds"),
        verify.NOT_YET_CHECKED: Tone(NEUTRAL.fill, NEUTRAL.border, meaning="no check is registered"),
        # Lean (normalign.lean)
        lean.PROVED: Tone(GOOD.fill, GOOD.border, meaning="Lean's kernel checked the pinned statements, no sorry"),
        lean.PARTIAL: Tone(PARTLY_GOOD.fill, PARTLY_GOOD.border,
                           meaning="pinned statements proved; parts of the claim are not formalised"),
        lean.STATED: Tone(WEAK.fill, WEAK.border, meaning="statement pinned, proof not done (sorry)"),
        lean.NOT_CHECKED: Tone(NEUTRAL.fill, NEUTRAL.border, meaning="no Lean executable found"),
        lean.STALE: Tone(NEUTRAL.fill, NEUTRAL.border, meaning="Lean not run and no valid cached audit"),
        lean.NO_STATEMENT: Tone(NEUTRAL.fill, NEUTRAL.border, meaning="no Lean statement is linked"),
        # measured claims (normalign.registry)
        "reproduced": Tone(GOOD.fill, GOOD.border, meaning="the experiment reproduced the claim"),
        "partly reproduced": Tone(WEAK.fill, WEAK.border, meaning="reproduced in part (the numbers say which)"),
        "not reproduced": Tone(UNDECIDED.fill, UNDECIDED.border, meaning="a finding, not a failure"),
        "not measured": Tone(NEUTRAL.fill, NEUTRAL.border, meaning="no measurement recorded"),
    }
    for s in lean.STATUSES:  # every Lean word that fails `normalign verify` is red
        if lean.lean_failed(s):
            tones[s] = Tone(BAD.fill, BAD.border, meaning="fails normalign verify")
    return tones


def tone(status: str) -> Tone:
    """The colours of a status word (:data:`UNKNOWN` for a word no module defines: never a "good"
    colour; ``normalign verify`` fails on an unknown Lean word, see ``normalign.lean.lean_failed``)."""
    return _status_tones().get(status, UNKNOWN)


def known(status: str) -> bool:
    """Whether :func:`tone` has a colour of its own for ``status``."""
    return status in _status_tones()
