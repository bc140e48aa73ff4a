"""The human-readable side of a compliance report: the shelf image with boxes coloured by status."""
from __future__ import annotations

import io

from PIL import Image, ImageDraw, ImageFont

from vision.planogram.schemas import ComplianceReport

COLOURS = {"correct": (40, 190, 70), "misplaced": (255, 150, 0), "missing": (230, 40, 40),
           "unexpected": (180, 40, 220)}


def annotate(image: Image.Image, report: ComplianceReport) -> Image.Image:
    """Draw every located position (missing gaps as dashed-looking double boxes) and a summary banner."""
    canvas = image.convert("RGB").copy()
    draw = ImageDraw.Draw(canvas)
    font = ImageFont.load_default(11)
    for pos in report.positions:
        if pos.box is None:
            continue
        colour = COLOURS[pos.status]
        box = (pos.box.x1, pos.box.y1, pos.box.x2, pos.box.y2)
        draw.rectangle(box, outline=colour, width=2 if pos.status == "correct" else 3)
        if pos.status == "missing":
            draw.rectangle((box[0] + 4, box[1] + 4, box[2] - 4, box[3] - 4), outline=colour, width=1)
        if pos.status != "correct":
            label = {"misplaced": pos.observed_sku or "?", "missing": "GAP", "unexpected":
                     "EXTRA" if pos.position is None else "FOREIGN"}[pos.status]
            draw.text((box[0] + 2, box[1] + 2), label, fill=colour, font=font, stroke_width=2, stroke_fill=(0, 0, 0))
    banner = (f"{report.fixture_id}: {report.compliance_pct:.1f}% compliant | " +
              " ".join(f"{k}={v}" for k, v in report.counts.items()))
    draw.rectangle((0, 0, canvas.width, 16), fill=(0, 0, 0))
    draw.text((4, 2), banner, fill=(255, 255, 255), font=font)
    unplaced = [p for p in report.positions if p.box is None]
    if unplaced:
        text = "not located: " + ", ".join(f"s{p.shelf}p{p.position} {p.status}" for p in unplaced[:8])
        draw.rectangle((0, canvas.height - 16, canvas.width, canvas.height), fill=(0, 0, 0))
        draw.text((4, canvas.height - 14), text, fill=(255, 255, 255), font=font)
    return canvas


def annotate_png(image: Image.Image, report: ComplianceReport) -> bytes:
    """PNG bytes of :func:`annotate` (what an HTTP endpoint returns)."""
    buf = io.BytesIO()
    annotate(image, report).save(buf, "PNG")
    return buf.getvalue()
