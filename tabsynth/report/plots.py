"""The report's plots: matplotlib figures as inline PNGs, each with its alt text."""

from __future__ import annotations

import base64
import io
from typing import Any

from tabsynth.errors import require_extra


def png(fig: Any, alt: str) -> str:
    """The figure as an inline PNG with its alt text (what the plot shows, in words)."""
    import html

    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    plt.close(fig)
    data = base64.b64encode(buf.getvalue()).decode()
    return f'<img alt="{html.escape(alt, quote=True)}" src="data:image/png;base64,{data}">'


def plt_() -> Any:
    mpl = require_extra("matplotlib", "report")
    mpl.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def marginal_plots(fid: dict[str, Any], max_cols: int = 16) -> str:
    plt = plt_()
    items = list(fid.get("marginals", {}).items())[:max_cols]
    if not items:
        return ""
    ncol = 4
    nrow = (len(items) + ncol - 1) // ncol
    fig, axes = plt.subplots(nrow, ncol, figsize=(4 * ncol, 2.6 * nrow), squeeze=False)
    for ax, (name, m) in zip(axes.ravel(), items, strict=False):
        x = range(len(m["labels"]))
        width = 0.42
        ax.bar([i - width / 2 for i in x], m["real"], width, label="real", color="#5b7db1")
        ax.bar(
            [i + width / 2 for i in x], m["synthetic"], width, label="synthetic", color="#e39a4b"
        )
        ax.set_title(f"{name} (score {fid['per_column'].get(name, float('nan')):.3f})", fontsize=9)
        step = max(1, len(m["labels"]) // 6)
        ax.set_xticks(list(x)[::step])
        ax.set_xticklabels(m["labels"][::step], rotation=45, fontsize=7, ha="right")
        ax.tick_params(axis="y", labelsize=7)
    for ax in axes.ravel()[len(items) :]:
        ax.axis("off")
    axes[0][0].legend(fontsize=8)
    fig.tight_layout()
    shown = ", ".join(name for name, _ in items)
    return png(fig, f"Bar charts of real and synthetic shares per value of {shown}.")


def pair_heatmap(fid: dict[str, Any]) -> str:
    import numpy as np

    plt = plt_()
    names = list(fid.get("per_column", {}))
    if len(names) < 2:
        return ""
    idx = {n: i for i, n in enumerate(names)}
    mat = np.ones((len(names), len(names)))
    for key, score in fid["per_pair"].items():
        a, b = key.split("|")
        mat[idx[a], idx[b]] = mat[idx[b], idx[a]] = score
    fig, ax = plt.subplots(figsize=(0.45 * len(names) + 2, 0.45 * len(names) + 1.5))
    im = ax.imshow(mat, vmin=min(0.5, float(mat.min())), vmax=1, cmap="RdYlGn")
    ax.set_xticks(range(len(names)))
    ax.set_xticklabels(names, rotation=90, fontsize=7)
    ax.set_yticks(range(len(names)))
    ax.set_yticklabels(names, fontsize=7)
    fig.colorbar(im, ax=ax, fraction=0.046, label="pair similarity (1 = identical)")
    worst = min(fid["per_pair"].items(), key=lambda kv: kv[1])
    return png(
        fig,
        f"Heatmap of the similarity of every column pair between real and synthetic data; "
        f"the least similar pair is {worst[0].replace('|', ' and ')} ({worst[1]:.2f}).",
    )


def tstr_plot(util: dict[str, Any]) -> str:
    plt = plt_()
    main = "r2" if util["task"] == "regression" else "auc"
    labels, vals, los, his, colors = [], [], [], [], []
    for name, entry in util["models"].items():
        for source, color in (("real", "#5b7db1"), ("synthetic", "#e39a4b")):
            v = entry[source]["scores"].get(main)
            ci = entry[source]["ci95"].get(main, [v, v])
            if v is None:
                continue
            labels.append(f"{name}\ntrained on {source}")
            vals.append(v)
            los.append(v - ci[0])
            his.append(ci[1] - v)
            colors.append(color)
    fig, ax = plt.subplots(figsize=(1.6 * len(vals) + 1, 3))
    ax.bar(range(len(vals)), vals, yerr=[los, his], color=colors, capsize=4)
    ax.set_xticks(range(len(vals)))
    ax.set_xticklabels(labels, fontsize=7)
    ax.set_ylabel(f"{main.upper()} on the real holdout")
    ax.set_ylim(min(0.5, min(vals) - 0.05) if main == "auc" else None, None)
    said = "; ".join(
        f"{lab.replace(chr(10), ' ')} {v:.3f}" for lab, v in zip(labels, vals, strict=True)
    )
    return png(fig, f"Bar chart of {main.upper()} on the real holdout: {said}.")


def distance_plot(priv: dict[str, Any]) -> str:
    plt = plt_()
    h = priv.get("distance_histogram")
    if not h:
        return ""
    edges = h["edges"]
    mids = [(a + b) / 2 for a, b in zip(edges[:-1], edges[1:], strict=True)]
    width = edges[1] - edges[0]
    fig, ax = plt.subplots(figsize=(6, 3))
    ax.bar(mids, h["to_train"], width, alpha=0.6, label="synthetic → nearest train row")
    ax.bar(mids, h["to_holdout"], width, alpha=0.6, label="synthetic → nearest holdout row")
    ax.set_xlabel("distance to the closest real record")
    ax.set_ylabel("synthetic rows")
    ax.legend(fontsize=8)
    return png(
        fig,
        "Histograms of the distance from each synthetic row to its nearest training row and "
        "to its nearest holdout row; overlapping histograms mean no row sits unusually close "
        "to the training data.",
    )


def collapse_plot(gens: list[dict[str, Any]]) -> str:
    plt = plt_()
    fig, ax = plt.subplots(figsize=(6, 3))
    x = [g["generation"] for g in gens]
    for key, label in (("column_shapes", "column shapes"), ("pair_trends", "pair trends")):
        ax.plot(x, [g[key] for g in gens], marker="o", label=label)
    ax.plot(x, [1 - g["three_way_tvd"] for g in gens], marker="o", label="1 - 3-way TVD")
    ax.set_xlabel("generation (refits on the previous generation's output)")
    ax.set_ylabel("fidelity to the real data")
    ax.set_xticks(x)
    ax.legend(fontsize=8)
    last = gens[-1]
    return png(
        fig,
        f"Line chart of fidelity over {len(gens)} generations of refitting; at the last, "
        f"column shapes {last['column_shapes']:.3f} and pair trends {last['pair_trends']:.3f}.",
    )


def correlation_heatmaps(fid: dict[str, Any]) -> str:
    """Real and synthetic correlation matrices of the numeric columns, side by side."""
    import numpy as np

    corr = fid.get("correlations") or {}
    names = corr.get("names", [])
    if len(names) < 2:
        return ""
    plt = plt_()
    size = 0.42 * len(names) + 1.8
    fig, axes = plt.subplots(1, 2, figsize=(2 * size + 1, size))
    for ax, key in zip(axes, ("real", "synthetic"), strict=True):
        im = ax.imshow(np.asarray(corr[key]), vmin=-1, vmax=1, cmap="RdBu_r")
        ax.set_title(f"{key} data", fontsize=10)
        ax.set_xticks(range(len(names)))
        ax.set_xticklabels(names, rotation=90, fontsize=8)
        ax.set_yticks(range(len(names)))
        ax.set_yticklabels(names, fontsize=8)
    fig.colorbar(im, ax=list(axes), fraction=0.03, label="Pearson correlation")
    diff = np.abs(np.asarray(corr["real"]) - np.asarray(corr["synthetic"]))
    i, j = np.unravel_index(int(np.argmax(diff)), diff.shape)
    return png(
        fig,
        "Two heatmaps of the Pearson correlations between numeric columns, real data left and "
        f"synthetic right; the largest difference is {names[i]} with {names[j]} "
        f"({corr['real'][i][j]:.2f} real, {corr['synthetic'][i][j]:.2f} synthetic).",
    )
