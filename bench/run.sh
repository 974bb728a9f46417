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
