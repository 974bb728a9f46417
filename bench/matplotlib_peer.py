#!/usr/bin/env python3
"""Peer benchmark for patchart: the eight charts of the replaced Django/matplotlib
system, drawn with pandas + matplotlib (Agg) from an Espacenet "Filters" export.

Charts (keys match /work/shared/data/reference/<key>.png):
  top_patent_countries, top_patent_applicants, top_patent_inventors,
  patent_evolution, patent_cumulative, patent_trends_cumulative,
  patent_forecast, cpc_treemap

Each chart is a fresh 9.6x6.4 in figure saved as PNG (100 dpi => 960x640 px)
and as SVG, then closed -- the normal matplotlib way, no figure reuse.

Timing: the workbook is read ONCE with pandas before any timing; data loading
is NOT part of the measured chart time. Per-chart time covers the chart's own
aggregation, any model fitting (the forecast fits Holt ETS and ARIMA, as the
replaced system did per chart), drawing, and writing both files. One untimed
warm-up iteration runs first; medians over --iterations are reported.

BLAS is pinned to one thread (see below) unless the environment says otherwise.

Usage: python3 bench/matplotlib_peer.py EXPORT.xlsx [--iterations N] [--out DIR] [--json]
Needs: pip install pandas matplotlib openpyxl statsmodels squarify
"""

import argparse
import json
import os
import statistics
import tempfile
import textwrap
import time
import warnings

# Single-threaded BLAS: the forecast's tiny ARIMA/ETS matrices are far slower
# (and very noisy on a loaded box) with OpenBLAS's thread pool. This favours
# the peer; override by exporting the variables before running.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.colors import LinearSegmentedColormap, Normalize  # noqa: E402

try:  # forecast models; fall back to a numpy linear trend if unavailable
    from statsmodels.tsa.arima.model import ARIMA
    from statsmodels.tsa.holtwinters import ExponentialSmoothing
    HAVE_STATSMODELS = True
except ImportError:
    HAVE_STATSMODELS = False
try:  # treemap layout; fall back to slice-and-dice if unavailable
    import squarify
except ImportError:
    squarify = None

SHEETS = {"countries": "Countries (family)", "years": "Earliest publication date (fam",
          "cpc": "CPC subgroups", "applicants": "Applicants", "inventors": "Inventors"}
START_YEAR, TOP_N, HORIZON, DPI, SIZE = 2006, 15, 6, 100, (9.6, 6.4)
TEAL, NAVY, GREEN = "#45B8BE", "#00203F", "#48AE64"
BARS = LinearSegmentedColormap.from_list("bars", ["#4EC0E4", "#1F3C8C"])
TREE = LinearSegmentedColormap.from_list("tree", [TEAL, "#0033A0", NAVY])
LAG_NOTE = ("* Se muestran las publicaciones hasta hace 2 años, porque los documentos "
            "de patente suelen demorar hasta 18 meses en su publicación.")


def load(path):
    """Read the five facet sheets once: {name: DataFrame(label, count)}."""
    raw = pd.read_excel(path, sheet_name=list(SHEETS.values()), header=0)
    data = {}
    for key, sheet in SHEETS.items():
        df = raw[sheet].iloc[:, :2].dropna()
        df.columns = ["label", "count"]
        df["label"] = df["label"].astype(str).str.strip()
        df["count"] = df["count"].astype(int)
        data[key] = df
    return data


# ---------------------------------------------------------------- helpers
def new_figure():
    fig, ax = plt.subplots(figsize=SIZE, dpi=DPI)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return fig, ax


def save(fig, out, key):
    fig.savefig(os.path.join(out, key + ".png"), dpi=DPI)
    fig.savefig(os.path.join(out, key + ".svg"))
    plt.close(fig)


def yearly(df):
    """Publications per year from START_YEAR to the last year, gaps as 0."""
    s = df.assign(year=pd.to_numeric(df["label"], errors="coerce")).dropna()
    s = s.groupby(s["year"].astype(int))["count"].sum()
    return s.reindex(range(START_YEAR, int(s.index.max()) + 1), fill_value=0)


def style_years(ax, years, grid=True):
    ax.set_xticks(list(years))
    ax.tick_params(axis="x", rotation=45, labelsize=9)
    ax.set_xlabel("Año", fontsize=15)
    ax.grid(grid, color="#e6e6e6", linewidth=1)


# ---------------------------------------------------------------- bar charts
def hbar(df, out, key, ylabel, others=False, wrap=None, note=None):
    df = df.sort_values(["count", "label"], ascending=[False, True])
    total = df["count"].sum()
    top = df.head(TOP_N)
    labels = top["label"].tolist()
    values = top["count"].tolist()
    if others and len(df) > TOP_N:
        labels.append("Others")
        values.append(int(df["count"].iloc[TOP_N:].sum()))
    if wrap:
        # at most two lines, like the reference's "Institute Min..." truncation
        labels = [textwrap.fill(textwrap.shorten(l.title(), 2 * wrap, placeholder="..."), wrap)
                  for l in labels]
    vmax = max(values[:TOP_N])
    colors = [BARS(v / vmax) for v in values[:TOP_N]] + [GREEN] * (len(values) - TOP_N)

    fig, ax = new_figure()
    y = np.arange(len(values))[::-1]  # largest at the top
    ax.barh(y, values, color=colors, height=0.8)
    ax.set_yticks(y, labels, fontsize=7.5 if wrap else 9)
    ax.tick_params(axis="y", length=0)
    pad = 0.02 * vmax
    for yi, v in zip(y, values):
        ax.text(v + pad, yi, f"{v} ({100 * v / total:.2f}%)", va="center", fontsize=8)
    ax.set_xlim(0, vmax * 1.18)
    ax.set_xlabel("Número de Patentes Publicadas", fontsize=14, labelpad=8)
    ax.set_ylabel(ylabel, fontsize=14)
    if note:
        fig.text(0.01, 0.015, note, fontsize=8, wrap=True)
    fig.subplots_adjust(left=0.25 if wrap else 0.12, right=0.96, top=0.97,
                        bottom=0.17 if note else 0.11)
    save(fig, out, key)


def top_patent_countries(d, out):
    hbar(d["countries"], out, "top_patent_countries", "Jurisdicción", others=True,
         note="* WO: publicación internacional PCT (OMPI); EP: Oficina Europea de Patentes.")


def top_patent_applicants(d, out):
    hbar(d["applicants"], out, "top_patent_applicants", "Solicitantes", wrap=30,
         note="* Los solicitantes de patentes son quienes tienen el derecho legal de "
              "presentar y reclamar la protección de una invención.")


def top_patent_inventors(d, out):
    hbar(d["inventors"], out, "top_patent_inventors", "Inventores", wrap=30,
         note="* Los inventores son las personas físicas que crearon la invención.")


# ---------------------------------------------------------------- year lines
def line(ax, s, color, label):
    return ax.plot(s.index, s.values, color=color, marker="o", markersize=4,
                   linewidth=1.5, label=textwrap.fill(label, 22))


def finish_line(fig, ax, handles=None, right=0.76, legend_x=1.02):
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(legend_x, 1), frameon=False)
    fig.text(0.01, 0.015, LAG_NOTE, fontsize=8)
    fig.subplots_adjust(left=0.1, right=right, top=0.97, bottom=0.2)


def patent_evolution(d, out):
    s = yearly(d["years"])
    fig, ax = new_figure()
    line(ax, s, TEAL, "Número de Patentes Publicadas")
    style_years(ax, s.index)
    ax.set_ylabel("Número de Patentes Publicadas", fontsize=15)
    finish_line(fig, ax)
    save(fig, out, "patent_evolution")


def patent_cumulative(d, out):
    s = yearly(d["years"]).cumsum()
    fig, ax = new_figure()
    ax.fill_between(s.index, s.values, color=NAVY, alpha=0.08)
    line(ax, s, NAVY, "Publicaciones de Patentes Acumulativas")
    style_years(ax, s.index)
    ax.set_ylabel("Publicaciones de Patentes Acumulativas", fontsize=15)
    finish_line(fig, ax)
    save(fig, out, "patent_cumulative")


def patent_trends_cumulative(d, out):
    s = yearly(d["years"])
    fig, ax = new_figure()
    ax2 = ax.twinx()
    ax2.spines["top"].set_visible(False)
    h1 = line(ax, s, TEAL, "Número de Patentes Publicadas")
    h2 = line(ax2, s.cumsum(), NAVY, "Publicaciones de Patentes Acumulativas")
    style_years(ax, s.index)
    ax.grid(False, axis="y")
    ax.set_ylabel("Número de Patentes Publicadas", color=TEAL, fontsize=15)
    ax.tick_params(axis="y", colors=TEAL)
    ax2.set_ylabel("Publicaciones de Patentes Acumulativas", color=NAVY, fontsize=15)
    finish_line(fig, ax, handles=h1 + h2, right=0.68, legend_x=1.14)
    save(fig, out, "patent_trends_cumulative")


def forecasts(y):
    """6-year forecasts {name: array}: Holt ETS + ARIMA, or a linear trend."""
    if not HAVE_STATSMODELS:
        x = np.arange(len(y))
        coef = np.polyfit(x, y, 1)
        return {"Forecast lineal (numpy polyfit)":
                np.polyval(coef, np.arange(len(y), len(y) + HORIZON))}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ets = ExponentialSmoothing(y, trend="add").fit().forecast(HORIZON)
        arima = ARIMA(y, order=(2, 1, 1)).fit().forecast(HORIZON)
    return {"Forecast ETS": ets, "Forecast ARIMA": arima}


def patent_forecast(d, out):
    s = yearly(d["years"])
    # As in the reference, the forecast is drawn from last year + 3 onward
    # (the two most recent years are still incomplete in patent data).
    fyears = np.arange(s.index[-1] + 3, s.index[-1] + 3 + HORIZON)
    fig, ax = new_figure()
    line(ax, s, TEAL, "Número de Familias de Patentes Publicadas")
    ax.axvspan(fyears[0] - 2, fyears[-1], color="#f0f0f0", zorder=0)
    for (name, f), color in zip(forecasts(s.values.astype(float)).items(),
                                ["#F5B841", "#F07F2D"]):
        ax.plot(fyears, f, linestyle=":", linewidth=2.2, color=color, label=name)
    style_years(ax, list(s.index) + list(fyears))
    ax.set_ylabel("Número de Familias de Patentes Publicadas", fontsize=13)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False, fontsize=9)
    fig.text(0.01, 0.05, "** ARIMA proyecta series temporales a partir de la "
             "autocorrelación y tendencias históricas.", fontsize=8)
    fig.text(0.01, 0.015, "*** ETS usa suavizado exponencial para prever el nivel y "
             "la tendencia de la serie.", fontsize=8)
    fig.subplots_adjust(left=0.09, right=0.74, top=0.97, bottom=0.2)
    save(fig, out, "patent_forecast")


# ---------------------------------------------------------------- treemap
def slice_and_dice(values, x, y, w, h):
    """Fallback layout: alternate horizontal/vertical strips by value."""
    rects, total = [], float(sum(values))
    for i, v in enumerate(values):
        if i % 2 == 0:
            dw = w * v / total
            rects.append(dict(x=x, y=y, dx=dw, dy=h)); x, w = x + dw, w - dw
        else:
            dh = h * v / total
            rects.append(dict(x=x, y=y, dx=w, dy=dh)); y, h = y + dh, h - dh
        total -= v
    return rects


def cpc_treemap(d, out):
    top = d["cpc"].sort_values(["count", "label"], ascending=[False, True]).head(TOP_N)
    values = top["count"].tolist()
    W, H = 100.0, 100.0
    if squarify:
        rects = squarify.squarify(squarify.normalize_sizes(values, W, H), 0, 0, W, H)
    else:
        rects = slice_and_dice(values, 0, 0, W, H)
    norm = Normalize(min(values), max(values))
    fig, ax = plt.subplots(figsize=SIZE, dpi=DPI)
    for r, label, v in zip(rects, top["label"], values):
        ax.add_patch(plt.Rectangle((r["x"], r["y"]), r["dx"], r["dy"], facecolor=TREE(norm(v)),
                                   edgecolor="black", linewidth=1.2, alpha=0.85))
        size = 6 + 5 * min(1.0, np.sqrt(r["dx"] * r["dy"]) / 40)
        ax.text(r["x"] + r["dx"] / 2, r["y"] + r["dy"] / 2,
                f"{label}\n(No. Patentes: {v})", ha="center", va="center",
                color="white", fontsize=size, fontweight="bold", clip_on=True)
    ax.set_xlim(0, W)
    ax.set_ylim(0, H)
    ax.axis("off")
    cbar = fig.colorbar(plt.cm.ScalarMappable(norm=norm, cmap=TREE), ax=ax,
                        shrink=0.8, pad=0.04)
    cbar.set_label("Número de Publicaciones", fontsize=13)
    fig.text(0.01, 0.015, "* Un subgrupo CPC es una clasificación dentro del Sistema de "
             "Clasificación Cooperativa de Patentes.", fontsize=8)
    fig.subplots_adjust(left=0.03, right=0.97, top=0.97, bottom=0.08)
    save(fig, out, "cpc_treemap")


CHARTS = [top_patent_countries, top_patent_applicants, top_patent_inventors,
          patent_evolution, patent_cumulative, patent_trends_cumulative,
          patent_forecast, cpc_treemap]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("export")
    ap.add_argument("--iterations", type=int, default=5)
    ap.add_argument("--out", default=None)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    out = args.out or tempfile.mkdtemp(prefix="matplotlib_peer_")
    os.makedirs(out, exist_ok=True)

    data = load(args.export)  # outside timing
    for chart in CHARTS:  # untimed warm-up
        chart(data, out)
    samples = {c.__name__: [] for c in CHARTS}
    totals = []
    for _ in range(args.iterations):
        total = 0.0
        for chart in CHARTS:
            t = time.perf_counter()
            chart(data, out)
            ms = (time.perf_counter() - t) * 1e3
            samples[chart.__name__].append(ms)
            total += ms
        totals.append(total)

    peer = f"matplotlib {matplotlib.__version__} / pandas {pd.__version__}"
    medians = {k: round(statistics.median(v), 2) for k, v in samples.items()}
    total_ms = round(statistics.median(totals), 2)
    if args.json:
        print(json.dumps({"peer": peer, "iterations": args.iterations,
                          "charts": medians, "total_ms": total_ms}))
        return
    print(f"peer: {peer}; {args.iterations} iterations (+1 warm-up); PNG+SVG in {out}")
    if not HAVE_STATSMODELS:
        print("note: statsmodels not installed -- forecast uses a numpy polyfit linear trend")
    if squarify is None:
        print("note: squarify not installed -- treemap uses slice-and-dice layout")
    for k, v in medians.items():
        print(f"  {k:<26} {v:9.2f} ms (median)")
    print(f"  {'total (8 charts)':<26} {total_ms:9.2f} ms (median per iteration)")


if __name__ == "__main__":
    main()
