#!/usr/bin/env python3
"""One node on SQLite, one on PostgreSQL, three on one PostgreSQL: job time
and queue throughput, over real HTTP and WebSocket, in one run.

    python3 bench/cluster_bench.py --export EXPORT.xlsx \
        --database-url postgres://postgres@127.0.0.1:5432/test \
        [--binary target/release/patchart] [--runs 10] [--tasks 2000] [--json]

Each setup gets fresh data dirs (and a scratch database on the server of
--database-url, dropped afterwards):

  sqlite      one node, the embedded default
  postgres-1  one node on PostgreSQL (the server's default workers: two per core)
  postgres-3  three nodes on one PostgreSQL database, 2 workers each

and is measured twice:

  (a) the 8-chart job: a multipart upload of the export with the eight
      charts of the replaced system, timed from just before the POST to the
      terminal `job_status_changed` event on the job's WebSocket. Every run
      has its own width, so no chart comes from the result cache. With
      several nodes, jobs are posted round-robin and followed on the next
      node.
  (b) queue throughput: `tasks` tasks of a trivial plugin (the test suite's
      `hostile_variant`, uploaded first), 50 per job, all posted at once over
      the nodes, each with its own params; from the first POST until every
      job is terminal. Reported as tasks claimed, run and recorded per second.

After each, every task is checked through the API: a task not SUCCESS is
counted as lost, one with more than one attempt as doubled.
Needs aiohttp and websockets (pip install aiohttp websockets) and psql.
"""
import argparse
import asyncio
import datetime
import glob
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid

import aiohttp

from api_bench import CHARTS, Client, JOB_TIMEOUT_S
from benchserver import Server, pct

PER_JOB = 50


def psql(admin_url, sql):
    subprocess.run(["psql", "-q", "-v", "ON_ERROR_STOP=1", admin_url, "-c", sql],
                   check=True, capture_output=True)


class Setup:
    """`nodes` servers on SQLite (database_url None) or a scratch database."""

    def __init__(self, binary, nodes, admin_url=None, workers=None):
        self.admin_url, self.db = admin_url, None
        self.dirs = [tempfile.mkdtemp(prefix="patchart-cluster-bench-") for _ in range(nodes)]
        args = []
        if admin_url:
            self.db = f"bench_{uuid.uuid4().hex[:12]}"
            psql(admin_url, f"CREATE DATABASE {self.db}")
            base = admin_url.rsplit("/", 1)[0]
            args += ["--database-url", f"{base}/{self.db}"]
        if workers:
            args += ["--workers", str(workers)]
        args += ["--max-active-jobs", "1000"]
        # The first node creates the admin; the others start on its database.
        self.servers = [Server(binary, self.dirs[0], extra_args=args)]
        self.servers += [Server(binary, d, need_token=False, extra_args=args) for d in self.dirs[1:]]
        for s in self.servers[1:]:
            s.token = self.servers[0].token

    def stop(self):
        for s in self.servers:
            s.stop()
        if self.db:
            psql(self.admin_url, f"DROP DATABASE {self.db} WITH (FORCE)")


def check(jobs):
    """(succeeded, lost, doubled) over the tasks of finished job views."""
    ok = lost = doubled = 0
    for j in jobs:
        for t in j["image_tasks"]:
            ok += t["status"] == "SUCCESS"
            lost += t["status"] != "SUCCESS"
            doubled += t.get("attempts", 1) > 1
    return ok, lost, doubled


async def eight_chart_jobs(clients, runs, width0):
    times, posts, views = [], [], []
    for i in range(runs):
        post, follow = clients[i % len(clients)], clients[(i + 1) % len(clients)]
        config = {"width": width0 + i}
        t0 = time.perf_counter()
        job_id = await post.post_job(CHARTS, config)
        posts.append(time.perf_counter() - t0)
        await asyncio.wait_for(follow.wait_terminal(job_id), JOB_TIMEOUT_S)
        times.append(time.perf_counter() - t0)
        views.append(await post.job(job_id))
    ok, lost, doubled = check(views)
    return {"runs": runs, "times_s": times, "median_s": statistics.median(times), "p90_s": pct(times, 90),
            "post_median_s": statistics.median(posts),
            "tasks_success": ok, "lost": lost, "doubled": doubled}


async def upload_plugin(session, srv, wasm):
    form = aiohttp.FormData()
    form.add_field("file", wasm, filename="variant.wasm")
    async with session.post(f"{srv.base}/api/plugins/", data=form,
                            headers={"Authorization": f"Bearer {srv.token}"}) as r:
        body = await r.text()
        if r.status not in (200, 201):
            raise RuntimeError(f"plugin upload -> {r.status}: {body}")


async def wait_listed(session, servers, key):
    """Until every node lists `key` (an upload reaches the others within a
    second, through the database)."""
    for srv in servers:
        for _ in range(500):
            async with session.get(f"{srv.base}/api/algorithms/",
                                   headers={"Authorization": f"Bearer {srv.token}"}) as r:
                if any(a["key"] == key for a in await r.json()):
                    break
            await asyncio.sleep(0.01)
        else:
            raise RuntimeError(f"{key} never listed on {srv.base}")


async def queue_throughput(session, clients, tasks, salt):
    # A dataset to post JSON jobs on (outside the timed span).
    first = clients[0]
    warm = await first.post_job(["top_patent_countries"], {"width": 777})
    await first.wait_terminal(warm)
    dataset = (await first.job(warm))["dataset"]["id"]
    jobs = (tasks + PER_JOB - 1) // PER_JOB

    async def post(j):
        c = clients[j % len(clients)]
        images = [{"algorithm_key": "variant_probe", "output_format": "svg",
                   "params": {"n": f"{salt}-{j}-{i}"}}
                  for i in range(min(PER_JOB, tasks - j * PER_JOB))]
        async with session.post(f"{c.srv.base}/api/jobs/", json={"dataset_id": dataset, "images": images},
                                headers=c.auth) as r:
            body = await r.json()
            if r.status != 201:
                raise RuntimeError(f"POST -> {r.status}: {body}")
            return body["job_id"]

    t0 = time.perf_counter()
    ids = await asyncio.gather(*(post(j) for j in range(jobs)))
    posted = time.perf_counter() - t0
    await asyncio.gather(*(clients[(k + 1) % len(clients)].wait_terminal(i) for k, i in enumerate(ids)))
    wall = time.perf_counter() - t0
    views = [await first.job(i) for i in ids]
    ok, lost, doubled = check(views)
    # The server's own span, first task started to last one ended: what
    # the workers took, without the client's posting and WebSocket reads.
    stamps = [(t["started_at"], t["finished_at"]) for j in views for t in j["image_tasks"]
              if t.get("started_at") and t.get("finished_at")]
    span = None
    if stamps:
        parse = datetime.datetime.fromisoformat
        span = (max(parse(f) for _, f in stamps) - min(parse(s) for s, _ in stamps)).total_seconds()
    return {"tasks": tasks, "wall_s": wall, "posted_s": posted, "server_span_s": span,
            "tasks_per_s": ok / wall, "tasks_success": ok, "lost": lost, "doubled": doubled}


async def measure(setup, export, runs, tasks, wasm, repeats):
    timeout = aiohttp.ClientTimeout(total=JOB_TIMEOUT_S * 4)
    async with aiohttp.ClientSession(timeout=timeout,
                                     connector=aiohttp.TCPConnector(limit=200)) as session:
        clients = [Client(s, session, export) for s in setup.servers]
        # Warm-up: compile caches, and on PostgreSQL the pool's connections
        # each preparing the statements (the first few jobs after a start
        # took half as long again as the rest).
        for w in range(3):
            await clients[0].run_job(CHARTS, {"width": 900 + w})
        res = {"job": await eight_chart_jobs(clients, runs, 960)}
        await upload_plugin(session, setup.servers[0], wasm)
        await wait_listed(session, setup.servers, "variant_probe")
        rounds = [await queue_throughput(session, clients, tasks, r) for r in range(repeats)]
        rates = [r["tasks_per_s"] for r in rounds]
        res["queue"] = {"rounds": rounds, "median_tasks_per_s": statistics.median(rates),
                        "lost": sum(r["lost"] for r in rounds),
                        "doubled": sum(r["doubled"] for r in rounds)}
        return res


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--export", required=True)
    ap.add_argument("--database-url", required=True,
                    help="a PostgreSQL server database whose user may create databases")
    ap.add_argument("--binary", default="target/release/patchart")
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--tasks", type=int, default=2000)
    ap.add_argument("--repeats", type=int, default=3, help="queue rounds per setup")
    ap.add_argument("--setups", default="sqlite,postgres-1,postgres-3",
                    help="which setups to run, comma-separated (profiling one)")
    ap.add_argument("--workers", type=int, default=None,
                    help="workers per node (default: the server's, one per core on SQLite and two on "
                         "PostgreSQL; 2 per node with three nodes)")
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    with open(a.export, "rb") as f:
        export = f.read()
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    wasm_path = sorted(glob.glob(os.path.join(root, "target/wasm/wasm32-wasip2/*/hostile_variant.wasm")))
    if not wasm_path:
        sys.exit("hostile_variant.wasm not built: run cargo build first")
    with open(wasm_path[0], "rb") as f:
        wasm = f.read()
    binary = os.path.abspath(a.binary)
    results = {}
    for name, nodes, url, workers in [("sqlite", 1, None, None),
                                      ("postgres-1", 1, a.database_url, None),
                                      ("postgres-3", 3, a.database_url, 2)]:
        if name not in a.setups.split(","):
            continue
        # The last setup's writes (thousands of tasks' rows and files)
        # reach the disk now, not during this one's timings.
        os.sync()
        setup = Setup(binary, nodes, url, a.workers or workers)
        try:
            results[name] = asyncio.run(measure(setup, export, a.runs, a.tasks, wasm, a.repeats))
        finally:
            setup.stop()
    if a.json:
        print(json.dumps(results, indent=2))
        return
    base = results.get("sqlite", next(iter(results.values())))["job"]["median_s"]
    print("setup        8-chart job median   p90      vs sqlite   queue tasks/s (median)  lost  doubled")
    for name, r in results.items():
        j, q = r["job"], r["queue"]
        print(f"{name:<12} {j['median_s'] * 1e3:9.1f} ms   {j['p90_s'] * 1e3:8.1f} ms  "
              f"{j['median_s'] / base:6.2f}x    {q['median_tasks_per_s']:10.0f}            "
              f"{q['lost'] + j['lost']:4d}  {q['doubled'] + j['doubled']:4d}")


if __name__ == "__main__":
    main()
