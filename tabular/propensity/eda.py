"""Exploratory report (Markdown + PNG plots): summaries, distributions, target rate by feature, correlations,
a PCA 2-D projection and statistical tests of converters vs non-converters."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

log = logging.getLogger(__name__)


def eda_report(
    frame: pd.DataFrame,
    out_dir: str | Path,
    target: str = "label",
    max_rows: int = 30_000,
    seed: int = 0,
    title: str = "Exploratory data analysis",
) -> Path:
    """Write ``eda.md`` and its plots into ``out_dir``; ``frame`` holds features and the binary target."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import pandas as pd
    from scipy import stats

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    if len(frame) > max_rows:
        frame = frame.sample(max_rows, random_state=seed)
    y = frame[target].to_numpy()
    feats = [c for c in frame.columns if c not in (target, "customer_id", "cutoff")]
    numeric = [c for c in feats if pd.api.types.is_numeric_dtype(frame[c])]
    categorical = [c for c in feats if c not in numeric]
    lines = [
        f"# {title}",
        "",
        f"Rows analysed: {len(frame):,} (sample), target rate {y.mean():.4f}.",
        "",
        "## Summary of numeric features",
        "",
        markdown_table(frame[numeric].describe().T.round(3)),
        "",
    ]
    missing = frame[feats].isna().mean()
    if missing.any():
        lines += ["Missing share: " + ", ".join(f"{k} {v:.1%}" for k, v in missing[missing > 0].items()), ""]

    # Distributions of the features that differ most between converters and non-converters.
    tests = []
    for c in numeric:
        v = frame[c].to_numpy(dtype=np.float64)
        a, b = v[(y == 1) & np.isfinite(v)], v[(y == 0) & np.isfinite(v)]
        if len(a) > 2 and len(b) > 2 and np.ptp(v[np.isfinite(v)]) > 0:
            u = stats.mannwhitneyu(a, b)
            tests.append((c, float(np.mean(a)), float(np.mean(b)), float(u.pvalue)))
    tests.sort(key=lambda t: t[3])
    top = [t[0] for t in tests[:8]]
    if top:
        fig, axes = plt.subplots(2, 4, figsize=(14, 6))
        for ax, c in zip(axes.ravel(), top):
            v = frame[c].to_numpy(dtype=np.float64)
            lo, hi = np.nanquantile(v, [0.01, 0.99])
            bins = np.linspace(lo, hi if hi > lo else lo + 1, 30)
            ax.hist(v[y == 0], bins=bins, density=True, alpha=0.5, label="non-converters")
            ax.hist(v[y == 1], bins=bins, density=True, alpha=0.5, label="converters")
            ax.set_title(c, fontsize=9)
        axes.ravel()[0].legend(fontsize=7)
        fig.tight_layout()
        fig.savefig(out / "distributions.png", dpi=80)
        plt.close(fig)
        lines += ["## Distributions (most different features)", "", "![distributions](distributions.png)", ""]
    lines += [
        "## Converters vs non-converters (Mann-Whitney U)",
        "",
        "| feature | mean converters | mean non-converters | p-value |",
        "|---|---|---|---|",
    ]
    lines += [f"| {c} | {a:.3f} | {b:.3f} | {p:.2e} |" for c, a, b, p in tests[:20]]
    lines.append("")
    chi = []
    for c in categorical:
        table = pd.crosstab(frame[c], y)
        if table.shape[0] > 1 and table.shape[1] == 2:
            chi.append((c, float(stats.chi2_contingency(table.to_numpy())[1])))
    if chi:
        lines += ["Chi-square tests (categorical): " + ", ".join(f"{c} p={p:.2e}" for c, p in chi), ""]

    # Target rate by decile of each top feature, and by category.
    fig, axes = plt.subplots(2, 4, figsize=(14, 6))
    for ax, c in zip(axes.ravel(), top + categorical):
        if c in numeric:
            groups = pd.qcut(frame[c].rank(method="first"), 10, labels=False)
        else:
            groups = frame[c]
        rate = pd.Series(y).groupby(np.asarray(groups)).mean()
        ax.bar([str(i) for i in rate.index], rate.to_numpy())
        ax.set_title(f"target rate by {c}" + (" decile" if c in numeric else ""), fontsize=9)
        ax.tick_params(axis="x", labelsize=6, rotation=45)
    fig.tight_layout()
    fig.savefig(out / "target_rate.png", dpi=80)
    plt.close(fig)
    lines += ["## Target rate by feature", "", "![target rate](target_rate.png)", ""]

    corr = frame[numeric].corr().fillna(0)
    fig, ax = plt.subplots(figsize=(9, 8))
    im = ax.imshow(corr.to_numpy(), cmap="coolwarm", vmin=-1, vmax=1)
    ax.set_xticks(range(len(numeric)), numeric, rotation=90, fontsize=5)
    ax.set_yticks(range(len(numeric)), numeric, fontsize=5)
    fig.colorbar(im)
    fig.tight_layout()
    fig.savefig(out / "correlations.png", dpi=80)
    plt.close(fig)
    pairs = corr.where(np.triu(np.ones(corr.shape, dtype=bool), 1)).stack().abs().sort_values(ascending=False)
    lines += [
        "## Correlations",
        "",
        "![correlations](correlations.png)",
        "",
        "Strongest pairs: " + ", ".join(f"{a}~{b} {v:.2f}" for (a, b), v in pairs.head(8).items()),
        "",
    ]

    from sklearn.decomposition import PCA

    x = frame[numeric].to_numpy(dtype=np.float64)
    x = np.where(np.isfinite(x), x, np.nanmedian(x, axis=0))
    x = (x - x.mean(axis=0)) / (x.std(axis=0) + 1e-9)
    pca = PCA(n_components=2, random_state=seed).fit(x)
    z = pca.transform(x)
    fig, ax = plt.subplots(figsize=(6, 5))
    ax.scatter(z[y == 0, 0], z[y == 0, 1], s=2, alpha=0.2, label="non-converters")
    ax.scatter(z[y == 1, 0], z[y == 1, 1], s=6, alpha=0.8, label="converters")
    ax.set(xlabel="PC1", ylabel="PC2", title="PCA projection")
    ax.legend()
    fig.tight_layout()
    fig.savefig(out / "pca.png", dpi=80)
    plt.close(fig)
    ratio = pca.explained_variance_ratio_
    lines += [
        "## PCA 2-D projection",
        "",
        "![pca](pca.png)",
        "",
        f"Explained variance: PC1 {ratio[0]:.1%}, PC2 {ratio[1]:.1%}.",
        "",
    ]
    path = out / "eda.md"
    path.write_text("\n".join(lines))
    log.info("EDA report written to %s", path)
    return path


def markdown_table(frame: pd.DataFrame) -> str:
    """A DataFrame as a Markdown table (index as the first column), without optional dependencies."""
    head = ["", *map(str, frame.columns)]
    rows = [
        [str(i), *(f"{v:.4g}" if isinstance(v, float) else str(v) for v in row)]
        for i, row in zip(frame.index, frame.itertuples(index=False))
    ]
    return "\n".join(
        ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        + ["| " + " | ".join(r) + " |" for r in rows]
    )
