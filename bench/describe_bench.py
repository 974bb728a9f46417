#!/usr/bin/env python3
"""Chart descriptions on a fresh server with no configuration (the `facts`
provider), over real HTTP. Python standard library only.

    python3 bench/describe_bench.py --export EXPORT.xlsx \
        [--binary target/release/patchart] [--runs 50] [--show CHART|all]

It starts `<binary> serve` on a fresh temporary data dir and a free loopback
port, charts every built-in algorithm of the export once per locale (en, es),
then times
descriptions end to end: from just before `POST /api/ai/describe/` to the
first `GET /api/description-tasks/<id>/` that reads SUCCESS (polled back to
back, so the figure includes the polling). It reports the median and p95 of
--runs descriptions of `top_patent_countries` per locale, the server-side
time (created_at -> finished_at), and prints the paragraph of the --show
chart(s) in en and es, each of the chart drawn in that locale. Only 127.0.0.1 is contacted.
"""
import argparse
import json
import statistics
import tempfile
import time
import urllib.request
import uuid
from datetime import datetime

from benchserver import Server, pct



def call(srv, method, path, body=None, content_type="application/json"):
    req = urllib.request.Request(srv.base + path, method=method, data=body,
                                 headers={"Authorization": f"Bearer {srv.token}",
                                          "Content-Type": content_type})
    with urllib.request.urlopen(req) as r:
        return r.status, json.loads(r.read() or b"null")


def post_job(srv, export_bytes, charts, locale):
    boundary = uuid.uuid4().hex
    parts = []
    for name, value in [("source_type", "espacenet_excel"),
                        ("images", json.dumps([{"algorithm_key": k, "params": {}} for k in charts])),
                        ("visualization_config", json.dumps({"locale": locale}))]:
        parts.append(f"--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n".encode())
    parts.append(f"--{boundary}\r\nContent-Disposition: form-data; name=\"source_data\"; "
                 f"filename=\"export.xlsx\"\r\nContent-Type: application/octet-stream\r\n\r\n".encode()
                 + export_bytes + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    _, body = call(srv, "POST", "/api/jobs/", b"".join(parts), f"multipart/form-data; boundary={boundary}")
    job_id = body["job_id"]
    while True:
        _, job = call(srv, "GET", f"/api/jobs/{job_id}/")
        if job["status"] not in ("PENDING", "RUNNING"):
            return job
        time.sleep(0.05)


def describe(srv, task_id, locale):
    """One description, timed end to end; returns (ms, task)."""
    t0 = time.perf_counter()
    status, accepted = call(srv, "POST", "/api/ai/describe/",
                            json.dumps({"image_task_id": task_id, "locale": locale}).encode())
    assert status == 202, accepted
    path = accepted["status_url"]
    while True:
        _, d = call(srv, "GET", path)
        if d["status"] not in ("PENDING", "RUNNING"):
            return (time.perf_counter() - t0) * 1000, d


def server_ms(d):
    parse = lambda s: datetime.fromisoformat(s.replace("Z", "+00:00"))  # noqa: E731
    return (parse(d["finished_at"]) - parse(d["created_at"])).total_seconds() * 1000


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--export", required=True)
    ap.add_argument("--binary", default="target/release/patchart")
    ap.add_argument("--runs", type=int, default=50)
    ap.add_argument("--show", default="top_patent_countries")
    args = ap.parse_args()
    export_bytes = open(args.export, "rb").read()
    with tempfile.TemporaryDirectory() as data_dir:
        srv = Server(args.binary, data_dir)
        try:
            _, algos = call(srv, "GET", "/api/algorithms/")
            charts = [a["key"] for a in algos]
            # Charts drawn in each locale, each described in its own.
            tasks = {}
            for locale in ("en", "es"):
                job = post_job(srv, export_bytes, charts, locale)
                tasks[locale] = {t["algorithm_key"]: t for t in job["image_tasks"]}
            _, models = call(srv, "GET", "/api/ai/models/")
            print(f"providers: {[p['name'] for p in models['providers']]}, chain {models['chain']}")
            for locale in ("en", "es"):
                target = tasks[locale]["top_patent_countries"]["id"]
                wall, inside = [], []
                for _ in range(args.runs):
                    ms, d = describe(srv, target, locale)
                    assert d["status"] == "SUCCESS" and d["provider_used"] == "facts", d
                    wall.append(ms)
                    inside.append(server_ms(d))
                print(f"top_patent_countries [{locale}] {args.runs} descriptions: "
                      f"end to end median {statistics.median(wall):.1f} ms, p95 {pct(wall, 95):.1f} ms; "
                      f"server-side median {statistics.median(inside):.1f} ms")
            shown = charts if args.show == "all" else [args.show]
            for key in shown:
                for locale in ("en", "es"):
                    task = tasks[locale][key]
                    if task["status"] != "SUCCESS":
                        print(f"\n{key} [{locale}]: chart {task['status']}")
                        continue
                    _, d = describe(srv, task["id"], locale)
                    print(f"\n{key} [{locale}] ({d['provider_used']}:{d['model_used']}):\n{d['result_text']}")
        finally:
            srv.stop()


if __name__ == "__main__":
    main()
