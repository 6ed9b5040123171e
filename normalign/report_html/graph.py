"""The dependency graph of the statements, drawn as a layered SVG (no JavaScript, no library).

:data:`DEPENDS_ON` is the one place that says which statement builds on which (``tests/
test_report_page.py`` checks that every name is a registry ID and that the graph has no cycle). The
drawing is a Sugiyama layout: a statement's layer is the length of the longest chain of dependencies
below it (definitions and lemmas at the bottom), edges that skip layers get virtual points, and a few
barycentre sweeps order each layer so that edges cross less.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from html import escape

from normalign.report_html.palette import UNKNOWN, tone

DEPENDS_ON: dict[str, tuple[str, ...]] = {
    "T1": ("L1", "D1", "D5"),      # per-point minimum-norm problem, aligned maps, decoupled points
    "T1'": ("T1",),                # low-rank form of T1's constraint
    "T2": ("L1", "D1"),            # (b) is L1; alignment J = v x^T / ||x||^2
    "PD": ("D3",),                 # D3's identity on every layer
    "P1": ("D1", "D2", "PD"),      # aligned J gives mu_x; mu_x is the centroid of the power-diagram cell
    "P2": ("D2", "L1"),            # CA of homogeneous nets; CA = 1 exactly at the L1 minimum
    "P3": ("P2", "D4"),            # <mu_x, x> = 1^T f(x) of bias-free nets; the NTK of the regimes
    "P4": ("D4", "D1"),            # feature-learning regime produces alignment
    "G1": ("T1", "D1"),            # the penalty is T1's constraint as a regulariser
    "R1": ("D1",),                 # AGOP of a normal-aligned predictor
}
"""``ID -> the IDs it builds on``; IDs without an entry build on none."""

NODE_W, NODE_H, GAP_X, GAP_Y, PAD, VIRTUAL_W = 132, 58, 18, 64, 16, 6


@dataclass
class Layout:
    """Node positions (top-left corners) and each edge as a list of points (dependent to dependency)."""

    width: float
    height: float
    nodes: dict[str, tuple[float, float]]
    edges: list[tuple[str, str, list[tuple[float, float]]]]


def layers(ids: Iterable[str], depends_on: Mapping[str, Iterable[str]] = DEPENDS_ON) -> dict[str, int]:
    """Layer of each ID: 0 without dependencies, else 1 + the highest layer of its dependencies (only
    dependencies among ``ids`` count). Raises ``ValueError`` on a cycle."""
    ids = list(ids)
    present = set(ids)
    out: dict[str, int] = {}
    busy: set[str] = set()

    def visit(n: str) -> int:
        if n in out:
            return out[n]
        if n in busy:
            raise ValueError(f"dependency cycle through {n}")
        busy.add(n)
        deps = [d for d in depends_on.get(n, ()) if d in present]
        out[n] = 1 + max(map(visit, deps)) if deps else 0
        busy.discard(n)
        return out[n]

    for n in ids:
        visit(n)
    return out


def layout(ids: list[str], depends_on: Mapping[str, Iterable[str]] = DEPENDS_ON, sweeps: int = 6) -> Layout:
    """Positions of the nodes (dependencies below their dependents) and the edge polylines."""
    lay = layers(ids, depends_on)
    top = max(lay.values(), default=0)
    rows: list[list[str]] = [[] for _ in range(top + 1)]
    for n in ids:  # registry order is the starting order
        rows[lay[n]].append(n)
    # edges split at every layer they cross: virtual points "~a~b~k"
    links: list[tuple[str, str]] = []  # (upper, lower) between adjacent layers
    chains: list[tuple[str, str, list[str]]] = []
    for n in ids:
        for d in depends_on.get(n, ()):
            if d not in lay:
                continue
            chain = [n]
            for k in range(lay[n] - 1, lay[d], -1):
                v = f"~{n}~{d}~{k}"
                rows[k].append(v)
                chain.append(v)
            chain.append(d)
            links += list(zip(chain, chain[1:]))
            chains.append((n, d, chain))
    up: dict[str, list[str]] = {}
    down: dict[str, list[str]] = {}
    for a, b in links:
        down.setdefault(a, []).append(b)
        up.setdefault(b, []).append(a)

    def order(row: list[str], nbrs: dict[str, list[str]], pos: dict[str, float]) -> list[str]:
        def key(v: str) -> tuple[float, float]:
            ps = [pos[u] for u in nbrs.get(v, ()) if u in pos]
            return (sum(ps) / len(ps) if ps else pos.get(v, 0.0), pos.get(v, 0.0))
        return sorted(row, key=key)

    def positions() -> dict[str, float]:
        return {v: float(i) - (len(r) - 1) / 2 for r in rows for i, v in enumerate(r)}

    for _ in range(sweeps):
        for k in range(1, top + 1):  # upwards: follow the dependencies below
            rows[k] = order(rows[k], down, positions())
        for k in range(top - 1, -1, -1):  # downwards: follow the dependents above
            rows[k] = order(rows[k], up, positions())
    def w(v: str) -> float:
        return VIRTUAL_W if v.startswith("~") else NODE_W

    def row_width(row: list[str]) -> float:
        return sum(map(w, row)) + GAP_X * (len(row) - 1)

    width = 2 * PAD + max(map(row_width, rows))
    height = 2 * PAD + (top + 1) * NODE_H + top * GAP_Y
    centre: dict[str, tuple[float, float]] = {}
    for k, row in enumerate(rows):
        y = PAD + (top - k) * (NODE_H + GAP_Y) + NODE_H / 2
        x = (width - row_width(row)) / 2
        for v in row:
            centre[v] = (x + w(v) / 2, y)
            x += w(v) + GAP_X
    nodes = {n: (centre[n][0] - NODE_W / 2, centre[n][1] - NODE_H / 2) for n in ids}
    # ports: the edges leaving a node's bottom (entering its top) are spread along it, ordered by where
    # they go (come from), so that they do not all meet in one point
    outs: dict[str, list[int]] = {}
    ins: dict[str, list[int]] = {}
    for i, (n, d, chain) in enumerate(chains):
        outs.setdefault(n, []).append(i)
        ins.setdefault(d, []).append(i)
    port: dict[tuple[int, int], float] = {}
    for table, end, nxt in ((outs, 0, 1), (ins, -1, -2)):
        for v, idx in table.items():
            idx = sorted(idx, key=lambda i: centre[chains[i][2][nxt]][0])
            for j, i in enumerate(idx):
                port[(i, end)] = centre[v][0] + (j - (len(idx) - 1) / 2) * min(14.0, 0.7 * NODE_W / len(idx))
    edges = []
    for i, (n, d, chain) in enumerate(chains):
        pts = [centre[v] for v in chain]
        pts[0] = (port[(i, 0)], pts[0][1] + NODE_H / 2)  # leave the dependent at its bottom edge
        pts[-1] = (port[(i, -1)], pts[-1][1] - NODE_H / 2)  # enter the dependency at its top edge
        edges.append((n, d, pts))
    return Layout(width, height, nodes, edges)


def svg(theorems: list[dict], depends_on: Mapping[str, Iterable[str]] = DEPENDS_ON, *, link: bool = True) -> str:
    """Inline SVG of the graph: one box per ID (fill: its status; bottom line: its Lean status), an
    arrow from each statement down to each statement it builds on. ``link``: boxes link to ``#ID``."""
    by_id = {t["id"]: t for t in theorems}
    ids = list(by_id) + sorted({d for n in by_id for d in depends_on.get(n, ()) if d not in by_id})
    lay = layout(ids, depends_on)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="depgraph" role="img" '
           f'viewBox="0 0 {lay.width:.0f} {lay.height:.0f}" width="{lay.width:.0f}" height="{lay.height:.0f}" '
           f'font-family="system-ui, -apple-system, Segoe UI, sans-serif">',
           "<title>Dependency graph of the statements: each arrow points from a statement to one it builds on; "
           "boxes are coloured by status</title>",
           '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" '
           'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#555"/></marker></defs>']
    for n, d, pts in lay.edges:
        path = _smooth(pts)
        out.append(f'<path class="edge" data-from="{escape(n)}" data-to="{escape(d)}" d="{path}" fill="none" '
                   f'stroke="#555" stroke-width="1.3" marker-end="url(#arrow)"/>')
    for n, (x, y) in lay.nodes.items():
        t = by_id.get(n)
        status = t.get("status", "?") if t else "not in this run"
        lean = t.get("lean", "") if t else ""
        tn = tone(status) if t else UNKNOWN
        dash = ' stroke-dasharray="4 3"' if tn is UNKNOWN else ""
        title = f"{n}: {t.get('title', '')} | status: {status} | Lean: {lean}" if t else f"{n}: not in this run"
        box = (f'<g class="node" data-id="{escape(n)}" data-status="{escape(status)}">'
               f"<title>{escape(title)}</title>"
               f'<rect x="{x:.1f}" y="{y:.1f}" width="{NODE_W}" height="{NODE_H}" rx="7" fill="{tn.fill}" '
               f'stroke="{tn.border}" stroke-width="2"{dash}/>'
               f'<text x="{x + NODE_W / 2:.1f}" y="{y + 20:.1f}" text-anchor="middle" font-size="15" '
               f'font-weight="700" fill="{tn.text}">{escape(n)}</text>'
               f'<text x="{x + NODE_W / 2:.1f}" y="{y + 36:.1f}" text-anchor="middle" font-size="11" '
               f'fill="{tn.text}">{escape(_clip(status, 22))}</text>')
        if lean:
            lt = tone(lean)
            box += (f'<rect x="{x + 6:.1f}" y="{y + 41:.1f}" width="{NODE_W - 12}" height="13" rx="3" '
                    f'fill="{lt.fill}" stroke="{lt.border}" stroke-width="0.8"/>'
                    f'<text x="{x + NODE_W / 2:.1f}" y="{y + 51:.1f}" text-anchor="middle" font-size="9" '
                    f'fill="#222">Lean: {escape(_short(lean))}</text>')
        box += "</g>"
        out.append(f'<a href="#{escape(n)}">{box}</a>' if link and t else box)
    out.append("</svg>")
    return "\n".join(out)


def _smooth(pts: list[tuple[float, float]]) -> str:
    """An SVG path through ``pts``: vertical cubic Beziers between consecutive points."""
    (x, y), rest = pts[0], pts[1:]
    d = [f"M{x:.1f},{y:.1f}"]
    for (x1, y1) in rest:
        my = (y + y1) / 2
        d.append(f"C{x:.1f},{my:.1f} {x1:.1f},{my:.1f} {x1:.1f},{y1:.1f}")
        x, y = x1, y1
    return " ".join(d)


def _short(lean: str) -> str:
    """A Lean status short enough for a box: the words before a long parenthesis."""
    return lean if len(lean) <= 20 else _clip(lean.split(" (")[0], 20)


def _clip(s: str, n: int) -> str:
    return s if len(s) <= n else s[: n - 1] + "…"
