#!/usr/bin/env python3
"""Plugin management benchmark of a real `patchart serve`, over real HTTP.

    python3 bench/plugins_bench.py --plugin my_chart.wasm --key my_chart \
        [--export EXPORT.xlsx] [--binary target/release/patchart] [--runs 10] \
        [--starts 5] [--json]

Measures, each as a median of its runs:

  (a) server start with all built-in plugins: from spawning `serve` to the
      first 200 of /healthz. "cold" starts use a fresh data dir, so every
      plugin is compiled (empty compile cache); "warm" restarts the same data
      dir, so compiled code comes from the cache.
  (b) upload to first task served by the new build: from just before
      `POST /api/plugins/` to the moment `GET /api/jobs/<id>/` shows the
      one-chart job naming the new key as SUCCESS, with the task's
      plugin_sha256 equal to the uploaded build. Each run uploads new bytes
      (the component with a custom section appended, so the server has never
      compiled it) after retiring the previous run's build; the job is polled
      every 2 ms.

`--plugin` is any plugin component (built from plugins/template, for
example). Only 127.0.0.1 is contacted. Needs requests.
"""
import argparse
import hashlib
import json
import os
import shutil
import statistics
import sys
import tempfile
import time

import requests

from benchserver import Server


def leb128(n):
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def rebuilt(wasm, i):
    """The component with a custom section appended: same plugin, new bytes
    (and hash), so the server has never compiled it."""
    name = b"patchart-bench"
    payload = leb128(len(name)) + name + str(i).encode()
    return wasm + b"\x00" + leb128(len(payload)) + payload


def starts(binary, runs):
    cold, warm = [], []
    for _ in range(runs):
        d = tempfile.mkdtemp(prefix="patchart-start-")
        try:
            s = Server(binary, d)
            cold.append(s.start_s)
            s.stop()
            s = Server(binary, d, need_token=False)
            warm.append(s.start_s)
            s.stop()
        finally:
            shutil.rmtree(d, ignore_errors=True)
    return cold, warm


def uploads(binary, plugin, key, runs, export):
    d = tempfile.mkdtemp(prefix="patchart-upload-")
    s = Server(binary, d)
    http = requests.Session()
    http.headers["Authorization"] = f"Bearer {s.token}"
    try:
        dataset_id = make_dataset(http, s.base, export)
        total, upload_only = [], []
        version = None
        for i in range(1, runs + 1):
            wasm = rebuilt(plugin, i)
            sha = hashlib.sha256(wasm).hexdigest()
            if version:
                # The previous build has this version; retire it (untimed).
                http.delete(f"{s.base}/api/plugins/{key}/{version}/").raise_for_status()
            t0 = time.perf_counter()
            r = http.post(s.base + "/api/plugins/", files={"file": ("p.wasm", wasm)})
            if r.status_code != 201:
                sys.exit(f"upload failed: {r.status_code} {r.text}")
            version = r.json()["plugin"]["version"]
            t_up = time.perf_counter()
            r = http.post(s.base + "/api/jobs/", json={
                "dataset_id": dataset_id,
                "images": [{"algorithm_key": key, "output_format": "both"}]})
            if r.status_code != 201:
                sys.exit(f"job failed: {r.status_code} {r.text}")
            job_id = r.json()["job_id"]
            while True:
                job = http.get(f"{s.base}/api/jobs/{job_id}/").json()
                if job["status"] not in ("PENDING", "RUNNING"):
                    break
                time.sleep(0.002)
            t_done = time.perf_counter()
            task = job["image_tasks"][0]
            if job["status"] != "SUCCESS" or task["plugin_sha256"] != sha:
                sys.exit(f"the job did not run on the new build: {json.dumps(job)[:600]}")
            total.append(t_done - t0)
            upload_only.append(t_up - t0)
        return upload_only, total
    finally:
        s.stop()
        shutil.rmtree(d, ignore_errors=True)


def make_dataset(http, base, export):
    """Uploads the export through a one-chart job; returns its dataset id."""
    data = open(export, "rb").read()
    r = http.post(base + "/api/jobs/", data={
        "source_type": "espacenet_excel",
        "images": json.dumps([{"algorithm_key": "top_patent_countries", "output_format": "svg"}]),
    }, files={"source_data": (os.path.basename(export), data)})
    if r.status_code != 201:
        sys.exit(f"dataset upload failed: {r.status_code} {r.text}")
    return r.json()["dataset_id"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default="target/release/patchart")
    ap.add_argument("--plugin", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--export", default="../shared/data/espacenet/Filters_20250331_1141.xlsx",
                    help="an Espacenet export to chart")
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--starts", type=int, default=5)
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    plugin = open(a.plugin, "rb").read()
    cold, warm = starts(a.binary, a.starts)
    upload_only, total = uploads(a.binary, plugin, a.key, a.runs, a.export)
    ms = lambda xs: round(statistics.median(xs) * 1000, 1)  # noqa: E731
    out = {
        "start_cold_ms": ms(cold), "start_warm_ms": ms(warm),
        "upload_ms": ms(upload_only), "upload_to_first_task_ms": ms(total),
        "plugin_bytes": len(plugin), "runs": a.runs, "starts": a.starts,
        "raw": {"cold": cold, "warm": warm, "upload": upload_only, "total": total},
    }
    if a.json:
        print(json.dumps(out))
    else:
        print(f"server start, cold (compile all built-ins): {out['start_cold_ms']} ms median of {a.starts}")
        print(f"server start, warm (compile cache):         {out['start_warm_ms']} ms median of {a.starts}")
        print(f"upload ({len(plugin)} bytes, validated + smoke render): {out['upload_ms']} ms median of {a.runs}")
        print(f"upload -> first task done on the new build: {out['upload_to_first_task_ms']} ms median of {a.runs}")


if __name__ == "__main__":
    main()
