#!/usr/bin/env python3
"""Abuse and load scenarios against `patchart serve` on loopback.

    python3 bench/abuse.py --export EXPORT.xlsx [--binary target/release/patchart]
        [--only load,ws,slowloris,soak,cached] [--load-seconds 120]
        [--soak-seconds 600] [--soak-warmup-seconds 120] [--json]

Each scenario starts its own server on a fresh data dir (bench/benchserver.py)
and prints its figures:

  load       200 concurrent clients (200 users: each has the server's per-user
             limit of active jobs to itself) create a one-chart job from a
             stored dataset and read it back, for --load-seconds; a client
             told 429 (its 20 jobs still running) waits 0.2 s. Figures:
             p50/p99 of accepted creates and of reads, answers by status
             (zero 5xx expected), and after the run every task created is
             followed to its end: a task that never ends is lost (zero
             expected).
  ws         1,000 WebSocket subscribers (`?after=0&close_when_complete=true`)
             on one job of 40 charts, opened while 15 jobs queued before it
             keep the workers busy, so it starts and runs with all of them
             attached. Each must receive the job's whole event log, in order,
             exactly as GET /api/jobs/<id>/events/ pages it afterwards.
  slowloris  500 connections that stall (a third send nothing, a third half a
             request head, a third a head and half a JSON body) while a normal
             client keeps asking: its p50/p99 and failures, then when the
             server closed each stalled connection (default read timeouts).
  soak       a warm-up (--soak-warmup-seconds, 120) and then --soak-seconds
             of the same steady load (16 clients, each on one keep-alive
             connection of its own, create + read + list, paced to 40
             iterations/s in all); resident memory (VmRSS, and its anonymous
             part) and open descriptors of the server sampled every 5 s.
             Figures: both at the end of the warm-up and at the end. The
             warm-up is what the server's bounded caches take to fill at
             this load (SQLite's page caches, the cache of job details, the
             plugin slots kept warm): 60 s was seen to be short of it, with
             RSS still rising 15-20 % in the second minute and flat after.
  cached     wrk -t2 -c64 -d10s on /healthz, on an ended job's detail (200,
             served from the cache of serialized bodies) and on the same
             detail with its ETag (304), one after the other on one server.

Needs aiohttp and websockets (pip install aiohttp websockets) and, for
`cached`, wrk. Only 127.0.0.1 is contacted.
"""
import argparse
import asyncio
import json
import os
import random
import re
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time

import aiohttp
import websockets

from benchserver import Server, pct

TERMINAL = {"SUCCESS", "PARTIAL_SUCCESS", "FAILED", "CANCELLED"}
CHEAP = ["top_patent_countries", "top_patent_applicants", "top_patent_inventors"]


def raise_fd_limit():
    """Sockets for 1,000 subscribers on each side; the server inherits it."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 20000)), hard))


def ms(xs, p):
    return round(pct(xs, p) * 1e3, 2) if xs else None


class Api:
    def __init__(self, srv, session, token=None):
        self.srv, self.s = srv, session
        self.auth = {"Authorization": f"Bearer {token or srv.token}"}

    async def call(self, method, path, **kw):
        """(status, body, seconds); a connection failure is status 0."""
        t0 = time.perf_counter()
        try:
            async with self.s.request(method, self.srv.base + path, headers=self.auth, **kw) as r:
                body = await r.read()
                dt = time.perf_counter() - t0
                try:
                    return r.status, json.loads(body) if body else None, dt
                except ValueError:
                    return r.status, None, dt
        except (aiohttp.ClientError, asyncio.TimeoutError) as e:
            return 0, str(e), time.perf_counter() - t0

    async def upload(self, export):
        form = aiohttp.FormData()
        form.add_field("source_data", export, filename="export.xlsx")
        st, body, _ = await self.call("POST", "/api/datasets/", data=form)
        if st not in (200, 201):
            raise RuntimeError(f"upload -> {st}: {body}")
        return body["id"]

    async def create(self, dataset, images, config=None):
        return await self.call("POST", "/api/jobs/", json={
            "dataset_id": dataset, "images": images, "visualization_config": config or {}})

    async def ended(self, job_id, timeout_s=600):
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            st, job, _ = await self.call("GET", f"/api/jobs/{job_id}/")
            if st == 200 and job["status"] in TERMINAL:
                return job
            await asyncio.sleep(0.2)
        return None

    async def events(self, job_id):
        out, after = [], 0
        while True:
            st, page, _ = await self.call("GET", f"/api/jobs/{job_id}/events/?after={after}&limit=500")
            if st != 200:
                raise RuntimeError(f"events -> {st}: {page}")
            out += [e["event_id"] for e in page["results"]]
            if not page["next"]:
                return out
            after = out[-1]


def session(limit):
    return aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=limit),
                                 timeout=aiohttp.ClientTimeout(total=120))


def server(binary, *args):
    data_dir = tempfile.mkdtemp(prefix="patchart-abuse-")
    return Server(binary, data_dir, extra_args=args), data_dir


def stop(srv, data_dir):
    srv.stop()
    shutil.rmtree(data_dir, ignore_errors=True)


# ---- load ----------------------------------------------------------------

async def load(binary, export, seconds, clients=200):
    srv, data_dir = server(binary)
    try:
        async with session(clients + 8) as s:
            admin = Api(srv, s)
            dataset = await admin.upload(export)
            tokens = []
            for i in range(clients):
                st, t, _ = await admin.call("POST", "/api/tokens/", json={"user": f"load-{i}"})
                tokens.append(t["secret"])
            users = [Api(srv, s, t) for t in tokens]
            # Each user is given the dataset by uploading the same bytes.
            await asyncio.gather(*(u.upload(export) for u in users))
            creates, reads, statuses, jobs = [], [], {}, []
            deadline = time.monotonic() + seconds

            def count(kind, st):
                statuses[f"{kind} {st}"] = statuses.get(f"{kind} {st}", 0) + 1

            async def client(n, api):
                rng = random.Random(n)
                while time.monotonic() < deadline:
                    images = [{"algorithm_key": rng.choice(CHEAP), "output_format": "svg",
                               "params": {"top_n": rng.randint(5, 15)}}]
                    st, body, dt = await api.create(dataset, images, {"width": rng.choice([800, 900, 1000])})
                    count("create", st)
                    if st in (200, 201):
                        creates.append(dt)
                        jobs.append((api, body["job_id"], len(body["image_tasks"])))
                        st, _, dt = await api.call("GET", f"/api/jobs/{body['job_id']}/")
                        count("read", st)
                        if st == 200:
                            reads.append(dt)
                    elif st == 429:
                        await asyncio.sleep(0.2)   # at the user's limit: let some end

            t0 = time.perf_counter()
            await asyncio.gather(*(client(i, u) for i, u in enumerate(users)))
            wall = time.perf_counter() - t0
            # Every task created must end (the queue drains after the load).
            t_drain = time.perf_counter()
            tasks = ended_ok = 0
            lost = []
            sem = asyncio.Semaphore(32)

            async def follow(api, job_id, n):
                nonlocal tasks, ended_ok
                async with sem:
                    job = await api.ended(job_id)
                tasks += n
                if job is None:
                    lost.append(job_id)
                    return
                done = [t for t in job["image_tasks"] if t["status"] in TERMINAL]
                ended_ok += len(done)
                if len(done) != n or len(job["image_tasks"]) != n:
                    lost.append(job_id)

            await asyncio.gather(*(follow(*j) for j in jobs))
            five = sum(v for k, v in statuses.items() if k.split()[1].startswith("5"))
            return {"clients": clients, "seconds": round(wall, 1), "jobs_created": len(jobs),
                    "create_p50_ms": ms(creates, 50), "create_p99_ms": ms(creates, 99),
                    "read_p50_ms": ms(reads, 50), "read_p99_ms": ms(reads, 99),
                    "answered_per_s": round(sum(statuses.values()) / wall, 1),
                    "statuses": dict(sorted(statuses.items())), "answers_5xx": five,
                    "tasks_created": tasks, "tasks_ended": ended_ok, "jobs_lost": len(lost),
                    "drain_s": round(time.perf_counter() - t_drain, 1)}
    finally:
        stop(srv, data_dir)


# ---- ws ------------------------------------------------------------------

async def ws_fanout(binary, export, subscribers=1000, charts=40, blockers=15):
    srv, data_dir = server(binary)
    try:
        async with session(16) as s:
            api = Api(srv, s)
            dataset = await api.upload(export)
            keys = ["cpc_treemap", "patent_forecast", "top_patent_applicants", "patent_trends_cumulative"]
            images = [{"algorithm_key": keys[i % len(keys)], "output_format": "both"} for i in range(charts)]
            # Jobs queued ahead keep the workers busy while the subscribers
            # connect, so the job they follow starts and runs under them.
            for width in range(1100, 1100 + blockers):
                st, body, _ = await api.create(dataset, images, {"width": width})
                if st != 201:
                    raise RuntimeError(f"create -> {st}: {body}")
            st, job, _ = await api.create(dataset, images, {"width": 1099})
            if st != 201:
                raise RuntimeError(f"create -> {st}: {job}")
            job_id = job["job_id"]
            url = f"ws://127.0.0.1:{srv.port}/ws/jobs/{job_id}/?token={srv.token}&after=0&close_when_complete=true"
            t0 = time.perf_counter()
            opened = asyncio.Event()
            connected = 0

            async def subscriber():
                nonlocal connected
                got = []
                async with websockets.connect(url, max_size=None, open_timeout=60,
                                              ping_interval=None, close_timeout=5) as ws:
                    connected += 1
                    if connected == subscribers:
                        opened.set()
                    async for msg in ws:
                        got.append(json.loads(msg)["event_id"])
                return got, time.perf_counter()

            runs = [asyncio.create_task(subscriber()) for _ in range(subscribers)]
            await asyncio.wait_for(opened.wait(), 120)
            connect_s = time.perf_counter() - t0
            _, at_open, _ = await api.call("GET", f"/api/jobs/{job_id}/")
            results = await asyncio.gather(*runs, return_exceptions=True)
            final = await api.ended(job_id)
            log = await api.events(job_id)
            failed = [r for r in results if isinstance(r, BaseException)]
            ok = [r for r in results if not isinstance(r, BaseException)]
            complete = sum(1 for got, _ in ok if got == log)
            end = max(t for _, t in ok) if ok else t0
            return {"subscribers": subscribers, "connected_in_s": round(connect_s, 2),
                    "job_status_when_all_connected": at_open["status"],
                    "job_progress_when_all_connected": at_open["progress_total"],
                    "job_final_status": final and final["status"], "events_in_log": len(log),
                    "subscribers_with_every_event_in_order": complete,
                    "subscribers_failed": len(failed),
                    "first_failure": repr(failed[0]) if failed else None,
                    "last_close_after_s": round(end - t0, 2)}
    finally:
        stop(srv, data_dir)


# ---- slowloris -------------------------------------------------------------

def stall(port, kind, token):
    s = socket.create_connection(("127.0.0.1", port))
    if kind == 1:
        s.sendall(b"GET /api/jobs/ HTTP/1.1\r\nHost: 127.0.0.1\r\n")
    elif kind == 2:
        s.sendall((f"POST /api/tokens/ HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n"
                   "Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"user\": \"sl").encode())
    s.setblocking(False)
    return s


async def closed_at(sock, t0, limit_s):
    loop = asyncio.get_running_loop()
    deadline = t0 + limit_s
    while time.perf_counter() < deadline:
        try:
            data = await asyncio.wait_for(loop.sock_recv(sock, 4096), deadline - time.perf_counter())
        except (asyncio.TimeoutError, ConnectionError):
            break
        if not data:
            return time.perf_counter() - t0
    return None


async def slowloris(binary, export, idle=500, probe_s=20):
    srv, data_dir = server(binary)
    try:
        async with session(4) as s:
            api = Api(srv, s)
            dataset = await api.upload(export)
            st, job, _ = await api.create(dataset, [{"algorithm_key": "top_patent_countries"}])
            await api.ended(job["job_id"])
            t0 = time.perf_counter()
            socks = [(i % 3, stall(srv.port, i % 3, srv.token)) for i in range(idle)]
            open_s = time.perf_counter() - t0
            lat, failures = [], 0
            t_probe = time.perf_counter()
            while time.perf_counter() - t_probe < probe_s:
                for path in ("/healthz", f"/api/jobs/{job['job_id']}/"):
                    st, _, dt = await api.call("GET", path)
                    failures += st != 200
                    lat.append(dt)
            closes = await asyncio.gather(*(closed_at(sk, t0, 120) for _, sk in socks))
            by_kind = {}
            for (kind, sk), at in zip(socks, closes):
                sk.close()
                name = ["silent", "half head", "half body"][kind]
                by_kind.setdefault(name, []).append(at)
            summary = {}
            for name, ats in by_kind.items():
                done = [a for a in ats if a is not None]
                summary[name] = {"connections": len(ats), "still_open_after_120_s": len(ats) - len(done),
                                 "closed_after_s_min": round(min(done), 1) if done else None,
                                 "closed_after_s_max": round(max(done), 1) if done else None}
            return {"stalled_connections": idle, "opened_in_s": round(open_s, 2),
                    "probe_requests": len(lat), "probe_failures": failures,
                    "probe_p50_ms": ms(lat, 50), "probe_p99_ms": ms(lat, 99), "closed": summary}
    finally:
        stop(srv, data_dir)


# ---- soak ------------------------------------------------------------------

def proc_figures(pid):
    """(VmRSS in MiB, open descriptors, descriptors by kind, RSS parts in MiB)."""
    with open(f"/proc/{pid}/status") as f:
        status = f.read()
    rss = int(re.search(r"VmRSS:\s+(\d+) kB", status).group(1))
    parts = {k: round(int(v) / 1024, 1) for k, v in re.findall(r"(RssAnon|RssFile|RssShmem):\s+(\d+) kB", status)}
    kinds = {}
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        kind = target.split(":")[0] if ":" in target else os.path.basename(target)
        kinds[kind] = kinds.get(kind, 0) + 1
    return rss / 1024, sum(kinds.values()), kinds, parts


def largest_mappings(pid, n=6):
    """The server's n mappings with the most resident memory: (MiB, what),
    `what` naming the file or, for anonymous ones, the reserved size (the
    allocator's arenas are 1 GiB each, the plugin pool is far larger)."""
    rows, cur = [], None
    with open(f"/proc/{pid}/smaps") as f:
        for line in f:
            m = re.match(r"^([0-9a-f]+)-([0-9a-f]+) \S+ \S+ \S+ \S+\s*(.*)$", line)
            if m:
                size = (int(m.group(2), 16) - int(m.group(1), 16)) >> 20
                cur = [0, m.group(3) or f"anonymous, {size} MiB reserved at {m.group(1)}"]
                rows.append(cur)
            elif line.startswith("Rss:") and cur is not None:
                cur[0] = round(int(line.split()[1]) / 1024, 1)
    return sorted((r for r in rows if r[0] > 0), reverse=True)[:n]


async def soak(binary, export, seconds, warmup_s, clients=16, rate=40.0):
    srv, data_dir = server(binary)
    try:
        async with session(1) as s:
            dataset = await Api(srv, s).upload(export)
        # One keep-alive connection per client, for the whole run: the
        # server's sockets are then a constant the run can check, not a
        # client pool's size at the moment of sampling.
        sessions = [session(1) for _ in range(clients)]
        try:
            deadline = time.monotonic() + warmup_s + seconds
            samples, statuses, lat = [], {}, []
            t0 = time.monotonic()

            async def sampler():
                while time.monotonic() < deadline:
                    rss, fds, kinds, parts = proc_figures(srv.proc.pid)
                    samples.append((time.monotonic() - t0, rss, fds, kinds, parts))
                    await asyncio.sleep(5)

            async def client(n):
                api = Api(srv, sessions[n])
                rng = random.Random(n)
                period = clients / rate
                next_at = time.monotonic() + rng.random() * period
                while time.monotonic() < deadline:
                    await asyncio.sleep(max(0.0, next_at - time.monotonic()))
                    next_at += period
                    images = [{"algorithm_key": rng.choice(CHEAP), "output_format": "svg"}]
                    st, body, dt = await api.create(dataset, images, {"width": rng.choice([800, 900, 1000])})
                    statuses[st] = statuses.get(st, 0) + 1
                    lat.append(dt)
                    if st in (200, 201):
                        for path in (f"/api/jobs/{body['job_id']}/", "/api/jobs/?page=1&page_size=20"):
                            st, _, dt = await api.call("GET", path)
                            statuses[st] = statuses.get(st, 0) + 1
                            lat.append(dt)

            mappings = {}

            async def mapper():
                await asyncio.sleep(warmup_s)
                mappings["after_warmup"] = largest_mappings(srv.proc.pid)
                await asyncio.sleep(max(0.0, deadline - time.monotonic() - 3))
                mappings["end"] = largest_mappings(srv.proc.pid)

            await asyncio.gather(sampler(), mapper(), *(client(i) for i in range(clients)))
            warm = next((x for x in samples if x[0] >= warmup_s), samples[0])
            last = samples[-1]
            return {"warmup_seconds": warmup_s, "seconds": seconds, "requests": len(lat), "statuses": statuses,
                    "p50_ms": ms(lat, 50), "p99_ms": ms(lat, 99),
                    "rss_mib_after_warmup": round(warm[1], 1), "rss_mib_end": round(last[1], 1),
                    "rss_mib_max": round(max(x[1] for x in samples), 1),
                    "rss_change_pct": round((last[1] - warm[1]) / warm[1] * 100, 1),
                    "fds_after_warmup": warm[2], "fds_end": last[2],
                    "fds_max": max(x[2] for x in samples),
                    "fds_by_kind_after_warmup": warm[3], "fds_by_kind_end": last[3],
                    "rss_parts_after_warmup": warm[4], "rss_parts_end": last[4],
                    "rss_mib_each_minute": [round(x[1], 1) for x in samples[::12]],
                    "rss_anon_mib_each_minute": [x[4].get("RssAnon") for x in samples[::12]],
                    "largest_mappings_mib": mappings,
                    "sockets_each_minute": [x[3].get("socket") for x in samples[::12]]}
        finally:
            for c in sessions:
                await c.close()
    finally:
        stop(srv, data_dir)


# ---- cached ----------------------------------------------------------------

def wrk(url, token, seconds=10, conns=64, etag=None):
    cmd = ["wrk", "-t2", f"-c{conns}", f"-d{seconds}s", "--latency", "-H", f"Authorization: Bearer {token}"]
    if etag:
        cmd += ["-H", f"If-None-Match: {etag}"]
    out = subprocess.run(cmd + [url], capture_output=True, text=True, timeout=seconds + 60).stdout
    non = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    lat = dict(re.findall(r"^\s+(50|99)%\s+(\S+)", out, re.M))
    return {"requests_per_s": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
            "p50": lat.get("50"), "p99": lat.get("99"), "non_2xx_3xx": int(non.group(1)) if non else 0}


async def cached(binary, export):
    if not shutil.which("wrk"):
        return {"skipped": "wrk is not installed"}
    srv, data_dir = server(binary)
    try:
        async with session(4) as s:
            api = Api(srv, s)
            dataset = await api.upload(export)
            st, job, _ = await api.create(dataset, [{"algorithm_key": k} for k in CHEAP])
            job_id = job["job_id"]
            await api.ended(job_id)
            async with s.get(f"{srv.base}/api/jobs/{job_id}/", headers=api.auth) as r:
                etag = r.headers["ETag"]
        detail = f"{srv.base}/api/jobs/{job_id}/"
        health = wrk(f"{srv.base}/healthz", srv.token)
        full = wrk(detail, srv.token)
        revalidated = wrk(detail, srv.token, etag=etag)
        base = health["requests_per_s"]
        return {"healthz": health, "detail_200": full, "detail_304": revalidated,
                "detail_200_vs_healthz": round(full["requests_per_s"] / base, 2),
                "detail_304_vs_healthz": round(revalidated["requests_per_s"] / base, 2)}
    finally:
        stop(srv, data_dir)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--export", required=True, help="an Espacenet .xlsx export")
    ap.add_argument("--binary", default="target/release/patchart")
    ap.add_argument("--only", default="load,ws,slowloris,soak,cached")
    ap.add_argument("--load-seconds", type=int, default=120)
    ap.add_argument("--soak-seconds", type=int, default=600)
    ap.add_argument("--soak-warmup-seconds", type=int, default=120)
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    a = ap.parse_args()
    raise_fd_limit()
    with open(a.export, "rb") as f:
        export = f.read()
    binary = os.path.abspath(a.binary)
    runs = {
        "cached": lambda: cached(binary, export),
        "ws": lambda: ws_fanout(binary, export),
        "slowloris": lambda: slowloris(binary, export),
        "load": lambda: load(binary, export, a.load_seconds),
        "soak": lambda: soak(binary, export, a.soak_seconds, a.soak_warmup_seconds),
    }
    res = {}
    for name in a.only.split(","):
        res[name] = asyncio.run(runs[name]())
        if not a.json:
            print(f"{name}: {json.dumps(res[name], indent=2)}", flush=True)
    if a.json:
        print(json.dumps(res, indent=2))


if __name__ == "__main__":
    sys.exit(main())
