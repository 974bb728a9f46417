"""`patchart serve` as a child process for the benchmarks (standard library
only): a free loopback port, the admin token it prints once on a fresh data
dir, the time from spawn to the first healthy /healthz, and SIGTERM to stop."""
import math
import os
import queue
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pct(xs, p):
    """Nearest-rank percentile (p in 0..100) of a non-empty list."""
    s = sorted(xs)
    return s[max(0, min(len(s) - 1, math.ceil(p / 100 * len(s)) - 1))]


class Server:
    """Starts `<binary> serve` on `data_dir`. `token` is the admin token when
    the data dir (or the shared database of `args`' --database-url) was fresh
    (None on a restart, or on the second node of a database); `start_s` is
    the seconds from spawn to healthy."""

    def __init__(self, binary, data_dir, need_token=True, timeout_s=120, extra_args=()):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = open(os.path.join(data_dir, "server.stderr"), "a")
        t0 = time.perf_counter()
        self.proc = subprocess.Popen(
            [binary, "serve", "--data-dir", data_dir, "--bind", f"127.0.0.1:{self.port}", *extra_args],
            stdout=subprocess.PIPE, stderr=self.log, text=True)
        # A reader thread drains stdout (so the child never blocks on a full
        # pipe) and hands lines over, so the wait below is bounded in time.
        lines = queue.Queue()
        threading.Thread(target=lambda: [lines.put(x) for x in self.proc.stdout] + [lines.put(None)],
                         daemon=True).start()
        self.token, want_token = None, False
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                self.stop()
                raise RuntimeError(f"server did not print 'ready:' within {timeout_s} s")
            if line is None:
                raise RuntimeError(f"server exited early (rc {self.proc.wait()}), see {self.log.name}")
            line = line.strip()
            if want_token:
                self.token, want_token = line, False
            elif "its token (shown once" in line:
                want_token = True
            elif line.startswith("ready:"):
                break
        if need_token and not self.token:
            self.stop()
            raise RuntimeError("no admin token on stdout (is the data dir fresh?)")
        while True:
            try:
                with urllib.request.urlopen(self.base + "/healthz", timeout=5) as r:
                    if r.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.002)
        self.start_s = time.perf_counter() - t0

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
