"""The theorem registry: one entry per ID of ``shared/THEOREMS.md``.

Each entry records the statement, its named hypotheses (so a boundary check can drop one at a time),
what the paper claims versus what we formalise, and links to its checks: symbolic (``theory/``),
numeric and property (``numerics/``), Lean declarations (``proofs_lean/``), and planted-false or
boundary variants (checks with ``expect="fails"``). Tests name the ID they check with
``@pytest.mark.theorem("ID")``; ``tests/test_registry.py`` fails when an ID has no check or no test, or
a test or check names an unknown ID.

Editing: add a check by appending a ``CheckSpec`` to the entry's ``checks``; add a Lean link by
naming the full declaration in ``lean`` (its docstring must start with ``[ID]``, see
``normalign/lean.py``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from normalign.checks import CheckSpec


@dataclass(frozen=True)
class Theorem:
    """One registry entry.

    ``source`` is ``"paper"`` (the claim is the paper's), ``"ours"`` (our formalisation or corollary)
    or ``"paper+ours"`` (the paper's claim in our exact form); ``claim`` and ``formalisation`` say which
    part is which. ``notes`` records what the checks found that the statement does not say.
    """

    id: str
    title: str
    statement: str
    source: str
    claim: str
    formalisation: str
    hypotheses: dict[str, str] = field(default_factory=dict)
    checks: tuple[CheckSpec, ...] = ()
    lean: tuple[str, ...] = ()
    notes: str = ""

    def checks_of(self, kind: str) -> tuple[CheckSpec, ...]:
        return tuple(c for c in self.checks if c.kind == kind)


def _c(name: str, kind: str, target: str, **kw: object) -> CheckSpec:
    return CheckSpec(name=name, kind=kind, target=target, **kw)  # type: ignore[arg-type]


THEOREMS: tuple[Theorem, ...] = (
    Theorem(
        id="D1",
        title="normal alignment and its scores",
        statement="J_x = u x^T (u != 0). NA = |cos(v1(J), x)|, Frobenius ratio ||Jx||/(||J||_F ||x||), "
        "effective rank (sum s)^2/sum s^2, PC1 = s1^2/sum s^2; each is 1 exactly under alignment.",
        source="paper",
        claim="Definition of normal alignment and its scores.",
        formalisation="Scores computed from J J^T and J x without forming J; augmented variant with W_x, x~.",
        hypotheses={"x_nonzero": "x != 0", "J_nonzero": "J != 0"},
        checks=(
            _c("scores equal 1 exactly on planted rank-one J = u x^T and agree with an SVD oracle",
               "numeric", "numerics.checks_engine:check_scores_vs_svd"),
            _c("property: scores from (JJ^T, Jx) equal the SVD scores on random J",
               "property", "numerics.checks_engine:property_scores_gram_path"),
            _c("planted: 'NA(x) = 1 implies J is rank one' (false: NA alone does not characterise D1)",
               "numeric", "numerics.checks_engine:planted_na_one_implies_rank_one",
               expect="fails", planted=True),
        ),
    ),
    Theorem(
        id="D2",
        title="centroid and centroid alignment",
        statement="mu_x = J_x^T 1 (one vector-Jacobian product); CA(x) = cos(mu_x, x), undefined when mu_x = 0.",
        source="paper",
        claim="Definition of the centroid of x's region and its alignment.",
        formalisation="mu_x by the exact region map; radius ||mu_x||^2 + 2 * 1^T b_x.",
        hypotheses={"x_nonzero": "x != 0", "mu_nonzero": "mu_x != 0 for CA"},
        checks=(
            _c("engine centroid equals autograd's vector-Jacobian product with 1",
               "numeric", "numerics.checks_engine:check_centroid_vs_autograd"),
            _c("planted: centroid computed as J 1 (row sums) instead of J^T 1",
               "numeric", "numerics.checks_engine:planted_centroid_row_sum",
               expect="fails", planted=True),
        ),
    ),
    Theorem(
        id="D3",
        title="power diagram of a ReLU layer",
        statement="relu(Wx+b) with pattern q: cell of the power diagram with site W^T q and "
        "rho_q = ||W^T q||^2 + 2 b^T q, since sum_k relu(.) = max_q q^T(Wx+b).",
        source="paper",
        claim="Balestriero et al. 2019: ReLU layer partitions are power diagrams.",
        formalisation="Per layer, the site is the row-sum of diag(q) W composed with the earlier region map.",
        hypotheses={"relu": "activation is ReLU (pattern q in {0,1}^K)"},
        checks=(
            _c("engine's per-layer site and radius: the point's pattern minimises the power distance "
               "over all 2^K patterns (tiny layers, exhaustive)",
               "numeric", "numerics.checks_engine:check_power_diagram_exhaustive"),
            _c("planted: radius rho = ||W^T q||^2 - 2 b^T q (wrong sign)",
               "numeric", "numerics.checks_engine:planted_power_radius_sign",
               expect="fails", planted=True),
        ),
    ),
    Theorem(
        id="D4",
        title="lazy and feature-learning regimes",
        statement="Lazy: the empirical NTK Theta(x,x') = grad_theta f(x) grad_theta f(x')^T stays near its "
        "initial value; feature learning: it changes and inner weights move.",
        source="paper",
        claim="Definition of the regimes.",
        formalisation="Relative NTK change ||Theta_T - Theta_0||_F / ||Theta_0||_F on the training set.",
        hypotheses={"init_scale": "large init scale or last layer only => lazy"},
    ),
    Theorem(
        id="D5",
        title="sparse regime",
        statement="Training points lie in distinct linear regions, so each owns its affine piece (J_i, b_i) "
        "and per-point problems decouple; dense: several points share one region.",
        source="paper+ours",
        claim="Sparse data: points far apart relative to the model's linear regions.",
        formalisation="Operational: the activation patterns of the training points are pairwise distinct.",
        hypotheses={"distinct_regions": "pairwise distinct activation patterns"},
    ),
    Theorem(
        id="L1",
        title="minimum-norm lemma",
        statement="min ||J||_F^2 + ||b||^2 s.t. Jx + b = z equals ||z||^2/(||x||^2+1), attained only at "
        "J = z x^T/(||x||^2+1), b = z/(||x||^2+1); bias-free: min ||J||_F = ||z||/||x|| only at z x^T/||x||^2.",
        source="ours",
        claim="Engine of T1 and T2.",
        formalisation="Cauchy-Schwarz row by row; gap ||W||_F^2 ||x~||^2 - ||W x~||^2 is a sum of squares.",
        hypotheses={"x_nonzero": "x != 0 (bias-free form)", "frobenius": "the norm is Frobenius"},
    ),
    Theorem(
        id="T1",
        title="norm-constrained optimality of normal alignment",
        statement="Loss through logits z_i = J_i x_i + b_i, constraint ||J_i||_F^2 + ||b_i||^2 <= alpha: "
        "(a) an aligned minimiser exists; (b) if the constraint binds every minimiser is aligned; "
        "(c) cross-entropy closed form, binding; (d) squared error: z* = e_y min(1, R), slack for R >= 1.",
        source="paper+ours",
        claim="Normal-aligned classifiers minimise the training objective under a norm constraint.",
        formalisation="Per-point and pooled constraints; closed forms (c), (d) are ours.",
        hypotheses={
            "sparse": "each point owns its (J_i, b_i) (D5)",
            "binding": "the constraint binds at the optimum (for (b))",
            "frobenius": "the constraint is on the Frobenius norm of [J | b]",
            "logit_loss": "the loss sees the model only through the logits",
        },
    ),
    Theorem(
        id="T1'",
        title="low-rank form",
        statement="J = u v^T with ||u|| ||v|| <= alpha: the loss is minimised with v parallel to +-x.",
        source="paper+ours",
        claim="GrokAlign 2025: rank-one Jacobians align with the input.",
        formalisation="Cauchy-Schwarz on v^T x.",
        hypotheses={"rank_one": "J = u v^T", "logit_loss": "loss through the logits only"},
    ),
    Theorem(
        id="T2",
        title="maximal local robustness under J x = v",
        statement="(a) rho(x) = min_k (z_y - z_k)/||J_y - J_k|| <= ||x|| min_k (z_y - z_k)/|v_y - v_k|, equality "
        "for rows parallel to x; (b) E||J delta||^2 = sigma^2 ||J||_F^2 minimised only at v x^T/||x||^2; "
        "(c) dim ker J <= d-1 with equality iff rank 1.",
        source="paper+ours",
        claim="Normal-aligned classifiers are maximally robust locally.",
        formalisation="Three formalisations (boundary distance, sensitivity, invariance), all checked.",
        hypotheses={"v_nonzero": "v != 0", "x_nonzero": "x != 0", "in_region": "perturbation stays in the region"},
    ),
    Theorem(
        id="P1",
        title="normal alignment implies centroid alignment",
        statement="J = u x^T gives mu_x = (1^T u) x and CA = sign(1^T u), provided 1^T u != 0.",
        source="paper",
        claim="Normal alignment shows as centroid alignment in the power-diagram partition.",
        formalisation="The converse is false; at the T1(c) optimum 1^T u = 0 and CA is undefined.",
        hypotheses={"sum_u_nonzero": "1^T u != 0"},
    ),
    Theorem(
        id="P2",
        title="homogeneous networks",
        statement="Bias-free ReLU: J_x x = f(x), b_x = 0, <mu_x, x> = 1^T f(x); scalar fit y = +-1 gives "
        "y CA = 1/(||grad f|| ||x||). Bias-free quadratic: J_x x = 2 f(x), b_x = -f(x).",
        source="ours",
        claim="From the paper's centroid analysis.",
        formalisation="Euler's identity for positively homogeneous maps.",
        hypotheses={"bias_free": "no biases", "homogeneous_activation": "ReLU (degree 1) or square (degree 2)"},
    ),
    Theorem(
        id="P3",
        title="centroid dynamics equal kernel dynamics",
        statement="Bias-free CPA, scalar output, BCE, one GD step with rate eta: change of <mu_x0, x0> = "
        "eta mean_i Theta(x0, x_i)(y_i - sigmoid(f(x_i))) + O(eta^2).",
        source="paper+ours",
        claim="GrokAlign 2025: centroid dynamics follow the NTK.",
        formalisation="First-order identity via P2 (<mu, x> = f(x) for scalar bias-free networks).",
        hypotheses={"bias_free": "no biases", "scalar": "c = 1", "same_region": "eta small enough"},
    ),
    Theorem(
        id="P4",
        title="feature learning produces alignment",
        statement="Under GD with a first linear layer, rows of J_x lie in span{x_i} plus a shrinking initial "
        "part; small init or weight decay concentrates ||J||_F^2 in span(X), lazy stays near n/d.",
        source="paper+ours",
        claim="Normal alignment comes from the feature-learning regime.",
        formalisation="W_1(t) = (1 - eta lambda)^t W_1(0) + G(t) X.",
        hypotheses={"first_linear": "input enters through a linear layer", "rich": "small init or weight decay"},
    ),
    Theorem(
        id="PD",
        title="power diagram of every ReLU layer (subdivision)",
        statement="D3's identity for every layer of every ReLU network: layer l's partition restricted to a "
        "region of layers < l is the power diagram of layer l composed with that region's affine map.",
        source="paper",
        claim="Balestriero et al. 2019 via the paper.",
        formalisation="Pattern of each layer = argmin of the power distance over that layer's sites.",
        hypotheses={"relu": "ReLU activations (leaky ReLU: a weighted variant)"},
    ),
    Theorem(
        id="G1",
        title="GrokAlign",
        statement="Penalty lambda (E||J_x||_F + E||b_x||^2); ||J||_F by sqrt(c ||J^T v||^2) with a random unit "
        "v; J x by a JVP or finite difference. Claim: grokking comes much sooner than with weight decay.",
        source="paper",
        claim="GrokAlign accelerates grokking (up to about 7x on MNIST in the 2025 paper).",
        formalisation="Estimator identities are exact statements; the speed-up is measured.",
        hypotheses={"cpa": "finite difference exact when x and (1+eps)x share a region"},
    ),
    Theorem(
        id="R1",
        title="RFAM",
        statement="For a normal-aligned predictor AGOP = (1/n) sum_i ||u_i||^2 x_i x_i^T. Claim: RFAM "
        "(M_0 = data covariance) is more robust to L-inf PGD than RFM on tabular data.",
        source="paper+ours",
        claim="RFAMs make RFMs more robust (attack success 71.6% -> 68.3% at eps = 1).",
        formalisation="The AGOP identity is ours; the robustness claim is measured.",
        hypotheses={"aligned": "J(x_i) = u_i x_i^T"},
    ),
)

BY_ID: dict[str, Theorem] = {t.id: t for t in THEOREMS}


def get(theorem_id: str) -> Theorem:
    """The entry for ``theorem_id``; a clear error for an unknown ID."""
    try:
        return BY_ID[theorem_id]
    except KeyError:
        raise KeyError(f"unknown theorem ID {theorem_id!r}; known: {', '.join(BY_ID)}") from None
