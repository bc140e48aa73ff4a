"""The monitoring report: Markdown (and the same as HTML) with PNG plots, from a ``MonitoringSummary``."""
from __future__ import annotations

import html
import re
from datetime import UTC, datetime
from pathlib import Path

from serving.monitoring.plots import plot_drift, plot_quality
from serving.monitoring.profile import safe_name
from serving.monitoring.schemas import MonitoringSummary, WindowSummary


def format_time(ts: float) -> str:
    """Unix seconds → ``YYYY-MM-DD HH:MM`` (UTC)."""
    return datetime.fromtimestamp(ts, tz=UTC).strftime("%Y-%m-%d %H:%M")


def _pct(x: float) -> str:
    return f"{x:.1%}"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return out + [""]


def _quality_section(summary: MonitoringSummary) -> list[str]:
    rows = [[f"{w.task}:{w.version}", format_time(w.window_start), str(w.quality.requests), _pct(w.quality.rejected_rate),
             str(w.quality.items), _pct(w.quality.item_error_rate), _pct(w.quality.missing_rate),
             _pct(w.quality.out_of_range_rate), _pct(w.quality.schema_violation_rate)] for w in summary.windows]
    lines = ["## Health and data quality", ""]
    lines += _table(["model", "window (UTC)", "requests", "rejected", "profiled items", "item errors", "missing",
                     "out of range", "schema violations"], rows)
    worst = [w for w in summary.windows if w.quality.unknown_columns]
    for w in worst:
        cols = ", ".join(f"`{k}` ({v})" for k, v in sorted(w.quality.unknown_columns.items()))
        lines.append(f"- {w.task}:{w.version} {format_time(w.window_start)}: unknown columns {cols}")
    for u in summary.unreadable:
        lines.append(f"- {u.task}:{u.version} {format_time(u.window_start)}: cannot be summarised ({u.reason})")
    return lines + ([""] if worst or summary.unreadable else [])


def _drift_section(windows: list[WindowSummary], out_dir: Path) -> list[str]:
    task, version = windows[0].task, windows[0].version
    lines = [f"### {task}:{version}", ""]
    with_drift = [w for w in windows if w.drift is not None]
    if not with_drift:
        return lines + ["No reference profile: drift not computed (build one with `ais monitor reference`).", ""]
    features = sorted({f.feature for w in with_drift for f in w.drift.features})  # type: ignore[union-attr]
    rows = []
    for w in with_drift:
        by_name = {f.feature: f for f in w.drift.features}  # type: ignore[union-attr]
        cells = []
        for name in features:
            f = by_name.get(name)
            cell = "-" if f is None or f.psi is None else f"{f.psi:.2f}"
            cells.append(f"**{cell} ⚠**" if f is not None and f.drifted else cell)
        mmd = w.drift.embeddings  # type: ignore[union-attr]
        cells.append("-" if mmd is None else f"p={mmd.p_value:.3f}" + (" ⚠" if mmd.drifted else ""))
        rows.append([format_time(w.window_start), *cells])
    lines.append("PSI per feature and window (⚠ = drifted: a significant KS/chi-square test with PSI or effect size "
                 "above threshold); last column: embedding MMD test.")
    lines.append("")
    lines += _table(["window (UTC)", *features, "embeddings"], rows)
    flagged = [w for w in with_drift if w.drift.drifted]  # type: ignore[union-attr]
    if flagged:
        for w in flagged:
            lines.append(f"- **{format_time(w.window_start)}**: drift in {', '.join(w.drift.drifted_features) or 'embeddings'}")  # type: ignore[union-attr]
    else:
        lines.append("- no drift flagged in this period")
    lines.append("")
    latest = with_drift[-1].drift
    detail = [[f.feature, f.test, "-" if f.statistic is None else f"{f.statistic:.3f}",
               "-" if f.p_value is None else f"{f.p_value:.2g}", "-" if f.psi is None else f"{f.psi:.3f}",
               str(f.n_reference), str(f.n_current), "yes" if f.drifted else "no", f.note]
              for f in latest.features]  # type: ignore[union-attr]
    lines += [f"Latest window ({format_time(with_drift[-1].window_start)}) in detail:", ""]
    lines += _table(["feature", "test", "statistic", "p-value", "PSI", "n ref", "n now", "drifted", "note"], detail)
    name = f"drift_{safe_name(task)}_{safe_name(version)}.png"
    if plot_drift(with_drift, out_dir / name):
        lines += [f"![drift {task}:{version}]({name})", ""]
    return lines


def _fairness_lines(entry: dict) -> list[str]:
    report = entry["report"]
    title = (f"### Fairness: {entry['task']}:{entry['version']} ({format_time(entry['created'])}, n={report['n']}, "
             f"selected when {report['rule']})")
    lines = [title, ""]
    rows = [[a["attribute"], f"{a['demographic_parity_difference']:.3f}", f"{a['demographic_parity_ratio']:.3f}",
             "-" if a["equal_opportunity_difference"] is None else f"{a['equal_opportunity_difference']:.3f}",
             "**yes**" if a["flagged"] else "no"] for a in report["attributes"]]
    lines += _table(["attribute", "demographic parity difference", "parity ratio", "equal opportunity difference",
                     f"gap > {report['max_difference']}"], rows)
    groups = [[a["attribute"], g["group"], str(g["count"]), _pct(g["selection_rate"]), _pct(g["base_rate"]),
               "-" if g["true_positive_rate"] is None else _pct(g["true_positive_rate"])]
              for a in report["attributes"] for g in a["groups"]]
    lines += _table(["attribute", "group", "n", "selection rate", "base rate", "true-positive rate"], groups)
    return lines


def _target_lines(entry: dict) -> list[str]:
    r = entry["report"]
    lines = [f"### Target drift: {entry['task']}:{entry['version']} ({format_time(entry['created'])})", ""]
    rows = [[name, str(m["n"]), _pct(m["conversion_rate"]), f"{m['pr_auc']:.3f}", f"{m['lift_at_top']:.2f}",
             f"{m['mean_score']:.3f}"] for name, m in (("reference", r["reference"]), ("current", r["current"]))]
    lines += _table(["month", "n", "conversion rate", "PR-AUC", f"lift at top {r['top_fraction']:.0%}", "mean score"],
                    rows)
    lines.append("- " + ("**drift**: " + "; ".join(r["reasons"]) if r["drifted"] else "no target drift"))
    return lines + [""]


def markdown_report(summary: MonitoringSummary, out_dir: Path) -> str:
    """The report's Markdown; plots are written into ``out_dir`` and linked relatively."""
    lines = [f"# Monitoring report: {summary.client}", "",
             f"Period {format_time(summary.since)} → {format_time(summary.until)} UTC; {len(summary.windows)} window(s).", ""]
    drifted = [w for w in summary.windows if w.drift is not None and w.drift.drifted]
    if drifted:
        lines.append(f"**Drift flagged in {len(drifted)} window(s)**: " + "; ".join(
            f"{w.task}:{w.version} {format_time(w.window_start)} ({', '.join(w.drift.drifted_features) or 'embeddings'})"  # type: ignore[union-attr]
            for w in drifted[-5:]))
        lines.append("")
    lines += _quality_section(summary)
    if plot_quality(summary.windows, out_dir / "quality.png"):
        lines += ["![data quality](quality.png)", ""]
    lines += ["## Drift against the training reference", ""]
    keys = sorted({(w.task, w.version) for w in summary.windows})
    for key in keys:
        lines += _drift_section([w for w in summary.windows if (w.task, w.version) == key], out_dir)
    if not keys:
        lines += ["No traffic in this period.", ""]
    if summary.missing_references:
        lines += ["Versions without a reference profile: " + ", ".join(summary.missing_references), ""]
    fairness = [e for e in summary.evaluations if e["type"] == "fairness"]
    target = [e for e in summary.evaluations if e["type"] == "target"]
    if fairness or target:
        lines += ["## Outcomes: fairness and target drift", ""]
        for entry in fairness:
            lines += _fairness_lines(entry)
        for entry in target:
            lines += _target_lines(entry)
    return "\n".join(lines) + "\n"


def _inline(text: str) -> str:
    text = html.escape(text)
    text = re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", text)
    return re.sub(r"`(.+?)`", r"<code>\1</code>", text)


def markdown_to_html(markdown: str, title: str) -> str:
    """Just enough Markdown for this report: headings, tables, images, bullets, paragraphs."""
    body: list[str] = []
    rows: list[str] = []
    for line in markdown.splitlines() + [""]:
        if line.startswith("|"):
            if not line.startswith("|---"):
                rows.append(line)
            continue
        if rows:
            cells = [[c.strip() for c in r.strip("|").split("|")] for r in rows]
            body.append("<table><tr>" + "".join(f"<th>{_inline(c)}</th>" for c in cells[0]) + "</tr>" + "".join(
                "<tr>" + "".join(f"<td>{_inline(c)}</td>" for c in r) + "</tr>" for r in cells[1:]) + "</table>")
            rows = []
        if match := re.match(r"^(#{1,3}) (.*)", line):
            level = len(match.group(1))
            body.append(f"<h{level}>{_inline(match.group(2))}</h{level}>")
        elif match := re.match(r"^!\[(.*)\]\((.*)\)$", line):
            body.append(f'<img alt="{html.escape(match.group(1))}" src="{html.escape(match.group(2))}">')
        elif line.startswith("- "):
            body.append(f"<ul><li>{_inline(line[2:])}</li></ul>")
        elif line.strip():
            body.append(f"<p>{_inline(line)}</p>")
    style = ("body{font-family:sans-serif;max-width:1100px;margin:2em auto}table{border-collapse:collapse;"
             "margin:0.5em 0}td,th{border:1px solid #ccc;padding:2px 6px;font-size:13px}img{max-width:100%}")
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
            f"<style>{style}</style></head><body>{''.join(body)}</body></html>\n")


def write_report(summary: MonitoringSummary, out_dir: Path) -> Path:
    """Write ``report.md``, ``report.html`` and the PNGs into ``out_dir``; returns the Markdown path."""
    out_dir.mkdir(parents=True, exist_ok=True)
    markdown = markdown_report(summary, out_dir)
    (out_dir / "report.md").write_text(markdown, encoding="utf-8")
    (out_dir / "report.html").write_text(markdown_to_html(markdown, f"Monitoring report: {summary.client}"),
                                         encoding="utf-8")
    (out_dir / "summary.json").write_text(summary.model_dump_json(indent=1), encoding="utf-8")
    return out_dir / "report.md"
