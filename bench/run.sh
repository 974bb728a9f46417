#!/usr/bin/env bash
# Render benchmark: patchart vs vl-convert on the same chart, same machine,
# same run. Not part of CI (it needs the shared export and Python packages).
#   bash bench/run.sh [EXPORT.xlsx]
set -euo pipefail
cd "$(dirname "$0")/.."
export_file="${1:-../shared/data/espacenet/Filters_20250331_1141.xlsx}"
python3 -m pip install --quiet vl-convert-python openpyxl >/dev/null 2>&1 || true
cargo build --release --quiet -p patchart
ours=$(./target/release/patchart bench --input "$export_file" --iterations 300 --json)
peer=$(python3 bench/vl_convert_peer.py "$export_file" --iterations 50 --json)
python3 - "$ours" "$peer" <<'PY'
import json, sys
o, p = json.loads(sys.argv[1]), json.loads(sys.argv[2])
print(f"patchart top_patent_countries ({o['iterations']} renders, medians, ms):")
for k in ("instantiate_ms", "plugin_render_ms", "svg_path_ms", "rasterize_ms", "png_path_ms"):
    print(f"  {k:<18} {o[k]:9.3f}")
print(f"{p['peer']} ({p['iterations']} renders, medians, ms): svg {p['svg_ms']:.3f}, png {p['png_ms']:.3f}")
print(f"SVG path: patchart/peer = {o['svg_path_ms'] / p['svg_ms']:.3f}  (goal <= 0.100)")
print(f"PNG path: patchart/peer = {o['png_path_ms'] / p['png_ms']:.3f}  (goal <= 0.500)")
print(f"instantiate: {o['instantiate_ms'] * 1000:.1f} us  (goal < 100 us)")
PY

# All charts vs the matplotlib peer (the replaced system's eight), same run.
python3 -m pip install --quiet pandas matplotlib openpyxl statsmodels squarify >/dev/null 2>&1 || true
all=$(./target/release/patchart bench --input "$export_file" --algorithm all --iterations 30 --parallel 2 --json)
mpl=$(python3 bench/matplotlib_peer.py "$export_file" --iterations 5 --json)
python3 - "$all" "$mpl" <<'PY'
import json, sys
o, m = json.loads(sys.argv[1]), json.loads(sys.argv[2])
old = 3290.0  # the replaced system's own algorithms, eight charts, warm (issue figure)
print("chart                              patchart png path   matplotlib png+svg")
for k, v in o["charts"].items():
    peer = m["charts"].get(k)
    print(f"  {k:<32} {v['png_path_ms']:9.2f} ms     " + (f"{peer:9.2f} ms" if peer else "        -"))
e, p = o["total_eight_ms"], o.get("eight_parallel_ms")
print(f"eight charts, one thread: {e:.1f} ms -> {old / e:.1f}x the old system, {m['total_ms'] / e:.1f}x matplotlib ({m['total_ms']:.0f} ms)")
if p:
    print(f"eight charts, {o['parallel']} threads: {p:.1f} ms -> {old / p:.1f}x the old system, {m['total_ms'] / p:.1f}x matplotlib")
print(f"all eleven, one thread: {o['total_all_ms']:.1f} ms")
PY
