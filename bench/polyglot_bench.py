#!/usr/bin/env python3
"""Plugins in Rust, Python and JavaScript side by side (not a test).

    python3 bench/polyglot_bench.py [--binary target/debug/patchart] \\
        [--export EXPORT.xlsx] [--iterations 50] [--starts 3] [--json]

One run measures, per language (the Rust starter, i.e. plugins/template;
the Python example plugins/examples/applicant_concentration; the
JavaScript example plugins/examples/ipc_sections), each plugin built with
`patchart plugin build` first:

  size           bytes of the component;
  first compile  wall time of `patchart --no-cache plugin validate`: the
                 component compiled by Cranelift, instantiated, `info()`;
  instantiate, render
                 medians of `patchart bench --plugin` (a fresh store and
                 instance per render, then the plugin's `render` call),
                 warm, on the export;
  server start   spawn to the moment /api/algorithms lists all three
                 plugins from the watched plugins directory: "cold" with a
                 fresh data dir (empty compile cache), "warm" restarting it.

Only 127.0.0.1 is contacted. Needs the toolchains `plugin build` runs.
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

from benchserver import Server

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run(*cmd, cwd=None):
    r = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{r.stdout}{r.stderr}")
    return r.stdout


def algorithms(base, token):
    req = urllib.request.Request(base + "/api/algorithms/", headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(req, timeout=5) as r:
        return {a["key"] for a in json.load(r)}


def server_start(binary, plugins_dir, keys, data_dir, token=None):
    """Seconds from spawn until every key is listed; the admin token."""
    t0 = time.perf_counter()
    s = Server(binary, data_dir, need_token=token is None, extra_args=("--plugins-dir", plugins_dir))
    token = token or s.token
    try:
        while not keys <= algorithms(s.base, token):
            time.sleep(0.002)
        return time.perf_counter() - t0, token
    finally:
        s.stop()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default=os.path.join(ROOT, "target/debug/patchart"))
    ap.add_argument("--export", default=os.path.join(ROOT, "..", "shared/data/espacenet/Filters_20250331_1141.xlsx"))
    ap.add_argument("--iterations", type=int, default=50)
    ap.add_argument("--starts", type=int, default=3)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    binary = os.path.abspath(args.binary)
    work = tempfile.mkdtemp(prefix="patchart-polyglot-")
    try:
        run(binary, "plugin", "new", "--lang", "rust", os.path.join(work, "rust_template"))
        plugins = [
            ("Rust (template)", "rust_template", os.path.join(work, "rust_template")),
            ("Python (applicant_concentration)", "applicant_concentration",
             os.path.join(ROOT, "plugins/examples/applicant_concentration")),
            ("JavaScript (ipc_sections)", "ipc_sections", os.path.join(ROOT, "plugins/examples/ipc_sections")),
        ]
        plugins_dir = os.path.join(work, "plugins")
        os.makedirs(plugins_dir)
        rows = []
        for lang, key, src in plugins:
            wasm = os.path.join(plugins_dir, f"{key}.wasm")
            t = time.perf_counter()
            run(binary, "plugin", "build", src, "--out", wasm)
            build_s = time.perf_counter() - t
            t = time.perf_counter()
            run(binary, "--no-cache", "plugin", "validate", wasm)
            compile_s = time.perf_counter() - t
            out = run(binary, "--cache-dir", os.path.join(work, "cache"), "bench", "--input", args.export,
                      "--algorithm", key, "--plugin", wasm, "--iterations", str(args.iterations), "--json")
            b = json.loads(out)
            rows.append({"language": lang, "key": key, "bytes": os.path.getsize(wasm), "build_s": build_s,
                         "first_compile_s": compile_s, "bench": b})
        keys = {k for _, k, _ in plugins}
        cold, warm = [], []
        for _ in range(args.starts):
            d = tempfile.mkdtemp(prefix="patchart-start-", dir=work)
            c, token = server_start(binary, plugins_dir, keys, d)
            cold.append(c)
            w, _ = server_start(binary, plugins_dir, keys, d, token)
            warm.append(w)
        result = {"plugins": rows, "server_start_cold_s": statistics.median(cold),
                  "server_start_warm_s": statistics.median(warm), "starts": args.starts}
        if args.json:
            print(json.dumps(result, indent=2))
            return
        print("| plugin | size | build | first compile | instantiate (median) | render (median) |")
        print("|---|---:|---:|---:|---:|---:|")
        for r in rows:
            b = r["bench"]
            print(f"| {r['language']} | {r['bytes'] / 1e6:.2f} MB | {r['build_s']:.1f} s | "
                  f"{r['first_compile_s']:.2f} s | {b['instantiate_ms']:.3f} ms | {b['plugin_render_ms']:.2f} ms |")
        print(f"\nserver start with the three in the plugins directory (median of {args.starts}): "
              f"cold {result['server_start_cold_s']:.2f} s, warm {result['server_start_warm_s']:.3f} s")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
