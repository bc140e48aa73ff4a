"""Planogram compliance: align each shelf's observed facings with the expected sequence and name every fault.

Per shelf we run a weighted edit-distance alignment (Needleman-Wunsch style) between the
expected facing sequence and the observed one, where empty shelf space wider than a typical pack
becomes explicit ``GAP`` tokens. Each alignment step has one meaning:

- match                         -> ``correct``
- expected vs a gap or nothing  -> ``missing``
- expected vs another known SKU -> ``misplaced``
- two neighbours exchanged      -> ``misplaced`` twice (an explicit transposition step, as in
  Damerau-Levenshtein, so a swap is not explained as a deletion plus an insertion)
- expected vs an unknown pack   -> ``unexpected`` (foreign product at that position)
- an observed pack with no slot -> ``unexpected`` with ``position`` None (an extra facing)

Shelves are paired with detected rows by a second, row-level alignment, so a missing or an extra
detected row does not shift every shelf below it.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np

from core.schemas import Box
from vision.planogram.schemas import (
    STATUSES,
    UNKNOWN,
    BrandShare,
    ComplianceReport,
    FacingCount,
    PlanogramSpec,
    PositionResult,
    Product,
    ShelfDetections,
)

GAP = "<gap>"
COST_SUBSTITUTE = 1.0
COST_FOREIGN = 0.95  # an unknown pack in a slot: a slightly better story than an extra next to a misplaced one
COST_DELETE = 1.0  # an expected facing with nothing observed
COST_INSERT = 1.0  # an observed pack with no expected slot
COST_SWAP = 0.9  # two neighbouring facings exchanged: one event, cheaper than two substitutions
COST_GAP_MATCH = 0.2  # an expected facing aligned with empty space: cheaper than deleting it
COST_GAP_INSERT = 0.4  # spare shelf space with no expected facing: harmless, but a worse explanation
GAP_MIN_RATIO = 0.6  # empty space this fraction of a typical pack width counts as a missing facing
# Recognition is not perfect: when the expected SKU is a close second choice for a pack (within
# SOFT_MARGIN of the best similarity, or the best but under the unknown threshold and above
# SOFT_FLOOR), the alignment may accept it at a small cost instead of calling a fault.
SOFT_MARGIN = 0.08
SOFT_FLOOR = 0.5
COST_SOFT = 0.15


@dataclass(frozen=True)
class Observed:
    """One token of a shelf's observed sequence: a product, or one pack-width of empty space."""

    sku: str
    box: Box
    product: Product | None


def observed_tokens(row: list[Product]) -> list[Observed]:
    """Products left to right with ``GAP`` tokens for empty space between neighbours."""
    if not row:
        return []
    widths = [p.box.width for p in row]
    typical = float(np.median(widths))
    y1 = min(p.box.y1 for p in row)
    y2 = max(p.box.y2 for p in row)
    tokens: list[Observed] = []
    for k, product in enumerate(row):
        if k > 0:
            left = row[k - 1].box.x2
            space = product.box.x1 - left
            # The missing pack is most likely the neighbours' SKU, so measure space in their widths.
            unit = (typical + (widths[k - 1] + widths[k]) / 2) / 2
            if unit > 0 and space >= GAP_MIN_RATIO * unit:
                n = max(1, round(space / unit))
                step = space / n
                for g in range(n):
                    box = Box(x1=left + g * step, y1=y1, x2=left + (g + 1) * step, y2=y2, confidence=1.0)
                    tokens.append(Observed(GAP, box, None))
        tokens.append(Observed(product.sku, product.box, product))
    return tokens


def accepts(product: Product | None, sku: str) -> bool:
    """Whether ``product`` may count as ``sku`` although the recogniser's label differs."""
    if product is None or not product.candidates:
        return False
    best = product.candidates[0].similarity
    for cand in product.candidates:
        if cand.sku == sku:
            if product.sku == UNKNOWN:
                return cand is product.candidates[0] and cand.similarity >= SOFT_FLOOR
            return best - cand.similarity <= SOFT_MARGIN
    return False


def _sub_cost(expected: str, seen: str, soft: bool = False) -> float:
    if seen == GAP:
        return COST_GAP_MATCH
    if seen == UNKNOWN:
        return COST_FOREIGN
    if expected == seen:
        return 0.0
    return COST_SOFT if soft else COST_SUBSTITUTE


def align(expected: list[str], observed: list[str], products: list[Product | None] | None = None
          ) -> tuple[float, list[tuple[int | None, int | None]]]:
    """Minimum-cost alignment; returns the cost and (expected index, observed index) pairs in order.

    ``products`` (parallel to ``observed``) lets a pack whose candidates include the expected SKU
    match it softly (see ``accepts``).

    Ties prefer the diagonal step, so a swapped pair reads as two misplaced facings rather than
    a deletion plus an insertion.
    """
    n, m = len(expected), len(observed)
    prods = products or [None] * m

    def sub(i: int, j: int) -> float:  # 1-based cell (i, j): expected i-1 against observed j-1
        want, seen = expected[i - 1], observed[j - 1]
        return _sub_cost(want, seen, seen not in (GAP, want) and accepts(prods[j - 1], want))

    ins = [COST_GAP_INSERT if o == GAP else COST_INSERT for o in observed]
    cost = np.zeros((n + 1, m + 1))
    cost[1:, 0] = np.arange(1, n + 1) * COST_DELETE
    cost[0, 1:] = np.cumsum(ins)

    def swapped(i: int, j: int) -> bool:
        return (i >= 2 and j >= 2 and expected[i - 1] != expected[i - 2] and observed[j - 1] == expected[i - 2]
                and observed[j - 2] == expected[i - 1])

    for i in range(1, n + 1):
        for j in range(1, m + 1):
            cost[i, j] = min(cost[i - 1, j - 1] + sub(i, j),
                             cost[i - 1, j] + COST_DELETE,
                             cost[i, j - 1] + ins[j - 1],
                             cost[i - 2, j - 2] + COST_SWAP if swapped(i, j) else np.inf)
    pairs: list[tuple[int | None, int | None]] = []
    i, j = n, m
    while i > 0 or j > 0:
        if swapped(i, j) and np.isclose(cost[i, j], cost[i - 2, j - 2] + COST_SWAP):
            pairs += [(i - 1, j - 1), (i - 2, j - 2)]
            i, j = i - 2, j - 2
        elif i > 0 and j > 0 and np.isclose(cost[i, j], cost[i - 1, j - 1] + sub(i, j)):
            pairs.append((i - 1, j - 1))
            i, j = i - 1, j - 1
        elif i > 0 and np.isclose(cost[i, j], cost[i - 1, j] + COST_DELETE):
            pairs.append((i - 1, None))
            i -= 1
        else:
            pairs.append((None, j - 1))
            j -= 1
    return float(cost[n, m]), pairs[::-1]


def _shelf_results(shelf: int, expected: list[str], tokens: list[Observed]) -> list[PositionResult]:
    _, pairs = align(expected, [t.sku for t in tokens], [t.product for t in tokens])
    out: list[PositionResult] = []
    last_expected = -1
    for e, o in pairs:
        token = tokens[o] if o is not None else None
        product = token.product if token else None
        conf = product.sku_confidence if product else None
        if e is not None:
            last_expected = e
            want = expected[e]
            if token is None or token.sku == GAP:
                out.append(PositionResult(shelf=shelf, position=e, expected_sku=want, observed_sku=None,
                                          status="missing", box=token.box if token else None,
                                          note=f"{want} expected, shelf space empty"))
            elif token.sku == want:
                out.append(PositionResult(shelf=shelf, position=e, expected_sku=want, observed_sku=token.sku,
                                          status="correct", box=token.box, sku_confidence=conf))
            elif accepts(product, want):
                out.append(PositionResult(shelf=shelf, position=e, expected_sku=want, observed_sku=want,
                                          status="correct", box=token.box, sku_confidence=conf,
                                          note=f"recognised as {token.sku}; {want} is a close candidate"))
            elif token.sku == UNKNOWN:
                out.append(PositionResult(shelf=shelf, position=e, expected_sku=want, observed_sku=UNKNOWN,
                                          status="unexpected", box=token.box, sku_confidence=conf,
                                          note=f"product not in the catalogue where {want} is expected"))
            else:
                out.append(PositionResult(shelf=shelf, position=e, expected_sku=want, observed_sku=token.sku,
                                          status="misplaced", box=token.box, sku_confidence=conf,
                                          note=f"{token.sku} found where {want} is expected"))
        elif token is not None and token.sku != GAP:
            what = "product not in the catalogue" if token.sku == UNKNOWN else f"extra facing of {token.sku}"
            out.append(PositionResult(shelf=shelf, position=None, expected_sku=None, observed_sku=token.sku,
                                      status="unexpected", box=token.box, sku_confidence=conf,
                                      note=f"{what} after expected position {last_expected}"
                                      if last_expected >= 0 else f"{what} before the first expected position"))
    return out


def _pair_rows(expected: list[list[str]], rows: list[list[Observed]]) -> list[tuple[int | None, int | None]]:
    """Row-level alignment: which detected row shows which planogram shelf (top to bottom)."""
    n, m = len(expected), len(rows)
    pair_cost = np.array([[align(e, [t.sku for t in r], [t.product for t in r])[0] for r in rows]
                          for e in expected]).reshape(n, m)
    skip_shelf = [float(len(e)) * COST_DELETE for e in expected]
    skip_row = [float(sum(t.sku != GAP for t in r)) * COST_INSERT for r in rows]
    cost = np.zeros((n + 1, m + 1))
    cost[1:, 0] = np.cumsum(skip_shelf)
    cost[0, 1:] = np.cumsum(skip_row)
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            cost[i, j] = min(cost[i - 1, j - 1] + pair_cost[i - 1, j - 1], cost[i - 1, j] + skip_shelf[i - 1],
                             cost[i, j - 1] + skip_row[j - 1])
    pairs: list[tuple[int | None, int | None]] = []
    i, j = n, m
    while i > 0 or j > 0:
        if i > 0 and j > 0 and np.isclose(cost[i, j], cost[i - 1, j - 1] + pair_cost[i - 1, j - 1]):
            pairs.append((i - 1, j - 1))
            i, j = i - 1, j - 1
        elif i > 0 and np.isclose(cost[i, j], cost[i - 1, j] + skip_shelf[i - 1]):
            pairs.append((i - 1, None))
            i -= 1
        else:
            pairs.append((None, j - 1))
            j -= 1
    return pairs[::-1]


def pair_shelves(detections: ShelfDetections, spec: PlanogramSpec) -> dict[int, int]:
    """Planogram shelf index -> the detected row that shows it (shelves with no row are left out)."""
    expected = [shelf.sequence() for shelf in spec.shelves]
    rows = [observed_tokens(row) for row in detections.shelf_sequences()]
    return {s: r for s, r in _pair_rows(expected, rows) if s is not None and r is not None}


def check_compliance(detections: ShelfDetections, spec: PlanogramSpec,
                     brands: dict[str, str] | None = None) -> ComplianceReport:
    """Compare one image's detections with its planogram; pure function, no model needed."""
    brands = brands or {}
    expected = [shelf.sequence() for shelf in spec.shelves]
    rows = [observed_tokens(row) for row in detections.shelf_sequences()]
    warnings: list[str] = []
    if len(rows) != len(expected):
        warnings.append(f"planogram has {len(expected)} shelves but {len(rows)} shelf rows were detected")
    positions: list[PositionResult] = []
    facings: list[FacingCount] = []
    for s, r in _pair_rows(expected, rows):
        if s is None:
            assert r is not None
            extra_row = [t for t in rows[r] if t.sku != GAP]
            warnings.append(f"detected row {r} matches no planogram shelf ({len(extra_row)} products)")
            positions += [PositionResult(shelf=-1, position=None, expected_sku=None, observed_sku=t.sku,
                                         status="unexpected", box=t.box,
                                         sku_confidence=t.product.sku_confidence if t.product else None,
                                         note=f"product on detected row {r}, which matches no planogram shelf")
                          for t in extra_row]
            continue
        tokens = rows[r] if r is not None else []
        if r is None:
            warnings.append(f"planogram shelf {s} was not found in the image")
        positions += _shelf_results(s, expected[s], tokens)
        want = Counter(expected[s])
        found = Counter(t.sku for t in tokens if t.sku != GAP)
        for sku in sorted(set(want) | set(found)):
            facings.append(FacingCount(shelf=s, sku=sku, expected=want.get(sku, 0), found=found.get(sku, 0)))
    counts = Counter(p.status for p in positions)
    n_expected = sum(len(e) for e in expected)
    correct = sum(1 for p in positions if p.status == "correct")
    return ComplianceReport(
        fixture_id=spec.fixture_id,
        compliance_pct=round(100.0 * correct / n_expected, 2) if n_expected else 0.0,
        n_expected=n_expected,
        counts={status: counts.get(status, 0) for status in STATUSES},
        positions=positions,
        facings=facings,
        share_of_shelf=share_of_shelf(detections.products, brands),
        shelves_expected=len(expected),
        shelves_detected=len(rows),
        warnings=warnings,
    )


def share_of_shelf(products: list[Product], brands: dict[str, str]) -> list[BrandShare]:
    """Share of shelf per brand by facings and by occupied width; unknown packs count as 'unknown'."""
    if not products:
        return []
    facings: Counter[str] = Counter()
    width: Counter[str] = Counter()
    for p in products:
        brand = p.brand or brands.get(p.sku) or (UNKNOWN if p.sku == UNKNOWN else p.sku)
        facings[brand] += 1
        width[brand] += p.box.width
    total_f = sum(facings.values())
    total_w = sum(width.values()) or 1.0
    return [BrandShare(brand=b, facings=facings[b], share_facings=round(facings[b] / total_f, 4),
                       share_width=round(width[b] / total_w, 4))
            for b in sorted(facings, key=lambda b: (-width[b], b))]
