#!/usr/bin/env python3
"""End-to-end benchmark of the patchart server over real HTTP and WebSocket.

    python3 bench/api_bench.py --export EXPORT.xlsx \
        [--binary target/release/patchart] [--runs 20] [--json]

It starts `<binary> serve` on a fresh temporary data dir and a free loopback
port, reads the admin token from its stdout, runs one warm-up job (which also
fills the compiled-plugin cache), then measures:

  (a) job latency: an 8-chart job (multipart upload of the export), timed from
      just before the POST to the receipt of the terminal WebSocket event
      (`job_status_changed` with a terminal status). "rendered" runs use a
      distinct visualization_config each ({"width": 960 + i}) so the result
      cache never answers; "cached" runs repeat the warm-up's config, so every
      chart is a result-cache hit.
  (b) throughput: 8 concurrent clients submit 1-chart jobs back to back for
      ~15 s (each with an unused width, so no cache hits); reported as
      SUCCESS charts per second of wall time.
  (c) GET /api/jobs/<id>/ latency under 200 concurrent connections: `wrk`
      (-t2 -c200 -d10s --latency) when installed, else an aiohttp fallback.

The server is stopped with SIGTERM at the end. Needs: aiohttp, websockets
(pip install aiohttp websockets). Only 127.0.0.1 is contacted.
"""
import argparse
import asyncio
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid

import aiohttp
import websockets

from benchserver import Server, pct

CHARTS = ["top_patent_countries", "top_patent_applicants", "top_patent_inventors",
          "patent_evolution", "patent_cumulative", "patent_trends_cumulative",
          "patent_forecast", "cpc_treemap"]
TERMINAL = {"SUCCESS", "PARTIAL_SUCCESS", "FAILED", "CANCELLED"}
JOB_TIMEOUT_S = 120          # one job may not take longer than this
THROUGHPUT_S = 15.0          # (b) submission window
THROUGHPUT_CLIENTS = 8
GET_SECONDS, GET_CONNS = 10, 200


class Client:
    """The three API calls the benchmark needs."""

    def __init__(self, srv, session, export_bytes):
        self.srv, self.session, self.export = srv, session, export_bytes
        self.auth = {"Authorization": f"Bearer {srv.token}"}

    async def post_job(self, charts, config):
        form = aiohttp.FormData()
        form.add_field("source_type", "espacenet_excel")
        form.add_field("source_data", self.export, filename="export.xlsx",
                       content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        form.add_field("images", json.dumps(
            [{"algorithm_key": k, "params": {}, "output_format": "both"} for k in charts]))
        form.add_field("idempotency_key", f"bench-{uuid.uuid4()}")
        form.add_field("visualization_config", json.dumps(config))
        async with self.session.post(f"{self.srv.base}/api/jobs/", data=form,
                                     headers=self.auth) as r:
            body = await r.json()
            if r.status not in (200, 201):
                raise RuntimeError(f"POST /api/jobs/ -> {r.status}: {body}")
            return body["job_id"]

    async def wait_terminal(self, job_id):
        """Follow the job's WebSocket until the terminal status event; return the status."""
        url = f"ws://127.0.0.1:{self.srv.port}/ws/jobs/{job_id}/?token={self.srv.token}"
        async with websockets.connect(url, max_size=None, open_timeout=10) as ws:
            async for msg in ws:
                ev = json.loads(msg)
                status = (ev.get("payload") or {}).get("status")
                if ev.get("event_type") == "job_status_changed" and status in TERMINAL:
                    return status
        raise RuntimeError(f"WebSocket of job {job_id} closed before a terminal event")

    async def job(self, job_id):
        async with self.session.get(f"{self.srv.base}/api/jobs/{job_id}/", headers=self.auth) as r:
            return await r.json()

    async def run_job(self, charts, config):
        """POST + follow; returns (seconds, job status)."""
        t0 = time.perf_counter()
        job_id = await self.post_job(charts, config)
        status = await asyncio.wait_for(self.wait_terminal(job_id), JOB_TIMEOUT_S)
        return time.perf_counter() - t0, status, job_id


def task_counts(job):
    tasks = job.get("image_tasks", [])
    return (sum(t["status"] == "SUCCESS" for t in tasks),
            sum(bool(t.get("cache_hit")) for t in tasks), len(tasks))


async def latency(c, runs, config_for):
    """(a) `runs` sequential 8-chart jobs; returns a summary dict."""
    times, ok, hits, total = [], 0, 0, 0
    for i in range(runs):
        dt, status, job_id = await c.run_job(CHARTS, config_for(i))
        times.append(dt)
        s, h, n = task_counts(await c.job(job_id))   # outside the timed span
        ok, hits, total = ok + (status == "SUCCESS"), hits + h, total + n
    return {"runs": runs, "median_s": statistics.median(times), "p90_s": pct(times, 90),
            "min_s": min(times), "max_s": max(times), "jobs_success": ok,
            "cache_hit_tasks": hits, "tasks": total}


async def throughput(c, widths):
    """(b) 8 clients, 1-chart jobs back to back for THROUGHPUT_S; charts/s."""
    jobs = []
    t0 = time.perf_counter()
    deadline = t0 + THROUGHPUT_S

    async def client(n):
        while time.perf_counter() < deadline:
            w = next(widths, None)
            if w is None:                     # out of distinct widths: stop early
                return
            _, _, job_id = await c.run_job([CHARTS[n % len(CHARTS)]], {"width": w})
            jobs.append(job_id)

    await asyncio.gather(*(client(n) for n in range(THROUGHPUT_CLIENTS)))
    wall = time.perf_counter() - t0           # in-flight jobs finish inside `wall`
    ok = hits = 0
    for j in jobs:
        s, h, _ = task_counts(await c.job(j))
        ok, hits = ok + s, hits + h
    return {"clients": THROUGHPUT_CLIENTS, "jobs": len(jobs), "charts_success": ok,
            "cache_hit_tasks": hits, "wall_s": wall, "charts_per_s": ok / wall}


def parse_wrk_ms(v):
    m = re.match(r"([\d.]+)(us|ms|s)", v)
    return float(m.group(1)) * {"us": 1e-3, "ms": 1.0, "s": 1e3}[m.group(2)]


def get_latency_wrk(srv, job_id):
    out = subprocess.run(
        ["wrk", "-t2", f"-c{GET_CONNS}", f"-d{GET_SECONDS}s", "--latency", "--timeout", "5s",
         "-H", f"Authorization: Bearer {srv.token}", f"{srv.base}/api/jobs/{job_id}/"],
        capture_output=True, text=True, timeout=GET_SECONDS + 60).stdout
    lat = dict(re.findall(r"^\s+(50|90|99)%\s+(\S+)", out, re.M))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    return {"tool": "wrk", "p50_ms": parse_wrk_ms(lat["50"]), "p90_ms": parse_wrk_ms(lat["90"]),
            "p99_ms": parse_wrk_ms(lat["99"]),
            "requests_per_s": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
            "non_2xx": int(non2xx.group(1)) if non2xx else 0,
            "socket_errors": errors.group(1) if errors else None}


async def get_latency_aiohttp(srv, job_id):
    """Fallback for (c): 200 connections, each looping GETs for GET_SECONDS."""
    lats, bad = [], 0
    conn = aiohttp.TCPConnector(limit=GET_CONNS)
    async with aiohttp.ClientSession(connector=conn) as s:
        url, hdr = f"{srv.base}/api/jobs/{job_id}/", {"Authorization": f"Bearer {srv.token}"}
        t_end = time.perf_counter() + GET_SECONDS

        async def worker():
            nonlocal bad
            while time.perf_counter() < t_end:
                t = time.perf_counter()
                async with s.get(url, headers=hdr) as r:
                    await r.read()
                    bad += r.status != 200
                lats.append((time.perf_counter() - t) * 1e3)

        await asyncio.gather(*(worker() for _ in range(GET_CONNS)))
    return {"tool": "aiohttp", "p50_ms": pct(lats, 50), "p90_ms": pct(lats, 90),
            "p99_ms": pct(lats, 99), "requests_per_s": len(lats) / GET_SECONDS, "non_2xx": bad}


async def bench(srv, export, runs):
    timeout = aiohttp.ClientTimeout(total=JOB_TIMEOUT_S)
    async with aiohttp.ClientSession(timeout=timeout,
                                     connector=aiohttp.TCPConnector(limit=64)) as session:
        c = Client(srv, session, export)
        cached_cfg = {"width": 900}
        t_warm, status, warm_job = await c.run_job(CHARTS, cached_cfg)   # warm-up
        if status != "SUCCESS":
            raise RuntimeError(f"warm-up job ended {status}: {await c.job(warm_job)}")
        res = {"warmup_s": t_warm}
        res["latency_rendered"] = await latency(c, runs, lambda i: {"width": 960 + i})
        res["latency_cached"] = await latency(c, runs, lambda i: cached_cfg)
        # widths not used above, so every throughput chart is rendered for real
        widths = iter(range(max(1000, 960 + runs), 4097))
        res["throughput"] = await throughput(c, widths)
    if shutil.which("wrk"):
        res["get_job"] = get_latency_wrk(srv, warm_job)
    else:
        res["get_job"] = await get_latency_aiohttp(srv, warm_job)
    return res


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--export", required=True, help="an Espacenet .xlsx export")
    ap.add_argument("--binary", default="target/release/patchart")
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    a = ap.parse_args()
    with open(a.export, "rb") as f:
        export = f.read()
    data_dir = tempfile.mkdtemp(prefix="patchart-bench-")
    srv = Server(os.path.abspath(a.binary), data_dir)
    try:
        res = asyncio.run(bench(srv, export, max(1, a.runs)))
    finally:
        srv.stop()
        shutil.rmtree(data_dir, ignore_errors=True)
    res["export"] = os.path.basename(a.export)
    if a.json:
        print(json.dumps(res, indent=2))
        return
    lr, lc, tp, g = res["latency_rendered"], res["latency_cached"], res["throughput"], res["get_job"]
    print(f"patchart API bench ({res['export']}, {lr['runs']} runs, warm-up {res['warmup_s']:.3f} s)")
    for name, l in (("rendered", lr), ("cached  ", lc)):
        print(f"  (a) 8-chart job, {name}: median {l['median_s'] * 1e3:8.1f} ms  "
              f"p90 {l['p90_s'] * 1e3:8.1f} ms  (jobs SUCCESS {l['jobs_success']}/{l['runs']}, "
              f"cache-hit tasks {l['cache_hit_tasks']}/{l['tasks']})")
    print(f"  (b) throughput, {tp['clients']} clients x 1-chart jobs: {tp['charts_per_s']:.1f} charts/s "
          f"({tp['charts_success']} SUCCESS charts in {tp['wall_s']:.1f} s, "
          f"cache hits {tp['cache_hit_tasks']})")
    print(f"  (c) GET /api/jobs/<id>/ x{GET_CONNS} conns ({g['tool']}): p50 {g['p50_ms']:.2f} ms  "
          f"p99 {g['p99_ms']:.2f} ms  ({g['requests_per_s']:.0f} req/s, non-2xx {g['non_2xx']})")


if __name__ == "__main__":
    sys.exit(main())
