#!/usr/bin/env python3
"""Peer benchmark for `patchart bench`: the same top-15 horizontal bar chart
(top 15 countries + Others, value and share labels, same size) drawn by
Vega-Lite through vl-convert-python, timed warm to SVG and to PNG.

Usage: python3 bench/vl_convert_peer.py EXPORT.xlsx [--iterations N] [--json]
Needs: pip install vl-convert-python openpyxl
"""

import argparse
import json
import statistics
import time

import openpyxl
import vl_convert as vlc


def countries(path):
    wb = openpyxl.load_workbook(path, read_only=True)
    sheet = next(ws for ws in wb.worksheets if ws.title.lower().startswith("countries"))
    rows = []
    for label, count in sheet.iter_rows(min_row=2, max_col=2, values_only=True):
        if label is None or count is None:
            continue
        rows.append((str(label).strip(), int(count)))
    return rows


def spec(rows, top_n=15, width=960, height=640):
    rows = sorted(rows, key=lambda r: (-r[1], r[0]))
    total = sum(c for _, c in rows)
    shown = rows[:top_n]
    others = sum(c for _, c in rows[top_n:])
    if others:
        shown.append(("Others", others))
    values = [
        {"label": l, "count": c, "text": f"{c} ({100 * c / total:.2f}%)", "others": l == "Others"}
        for l, c in shown
    ]
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "width": width - 160,
        "height": height - 120,
        "title": f"Top {top_n} patent countries",
        "data": {"values": values},
        "encoding": {
            "y": {"field": "label", "type": "nominal", "sort": None, "title": "Jurisdiction"},
            "x": {"field": "count", "type": "quantitative", "title": "Published patent documents"},
        },
        "layer": [
            {
                "mark": "bar",
                "encoding": {
                    "color": {
                        "condition": {"test": "datum.others", "value": "#9aa5b1"},
                        "value": "#1f3c88",
                    }
                },
            },
            {"mark": {"type": "text", "align": "left", "dx": 4}, "encoding": {"text": {"field": "text"}}},
        ],
    }


def timed(fn, n):
    fn()  # warm-up: first call compiles the Vega runtime
    samples = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t) * 1e3)
    return statistics.median(samples)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("export")
    ap.add_argument("--iterations", type=int, default=50)
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    s = spec(countries(a.export))
    svg_ms = timed(lambda: vlc.vegalite_to_svg(s), a.iterations)
    png_ms = timed(lambda: vlc.vegalite_to_png(s, scale=1), a.iterations)
    result = {"peer": "vl-convert-python " + vlc.__version__ if hasattr(vlc, "__version__") else "vl-convert-python",
              "iterations": a.iterations, "svg_ms": svg_ms, "png_ms": png_ms}
    if a.json:
        print(json.dumps(result))
    else:
        print(f"{result['peer']} ({a.iterations} renders, medians): svg {svg_ms:.3f} ms, png {png_ms:.3f} ms")


if __name__ == "__main__":
    main()
