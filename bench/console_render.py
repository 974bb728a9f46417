#!/usr/bin/env python3
"""The web console's first render in headless Chromium, against a release
server on loopback (no proxy): the time from navigation start to the
console's own `patchart:rendered` mark (the page drawn from the API's
answers), and to DOMContentLoaded.

    python3 bench/console_render.py [--binary target/release/patchart] [--runs 20]

Drives Debian's `chromium` through `chromedriver` over the WebDriver HTTP
protocol (standard library only). The first load of a fresh browser is
reported apart ("cold": nothing cached); the others are reloads of `/` in
the same browser, whose cache may hold the console's files.
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import tempfile
import time
import urllib.request

from benchserver import Server, free_port, pct

MEASURE = (
    "const n = performance.getEntriesByType('navigation')[0];"
    "const m = performance.getEntriesByName('patchart:rendered')[0];"
    "return m ? {dcl: n.domContentLoadedEventEnd, rendered: m.startTime} : null;"
)


class Driver:
    def __init__(self, port):
        self.base = f"http://127.0.0.1:{port}"
        caps = {"capabilities": {"alwaysMatch": {"goog:chromeOptions": {
            "binary": shutil.which("chromium"),
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu",
                     "--window-size=1280,900"]}}}}
        self.session = self.call("POST", "/session", caps)["sessionId"]

    def call(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.base + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=60) as r:
            return json.loads(r.read())["value"]

    def go(self, url):
        self.call("POST", f"/session/{self.session}/url", {"url": url})

    def js(self, script):
        return self.call("POST", f"/session/{self.session}/execute/sync",
                         {"script": script, "args": []})

    def rendered(self):
        for _ in range(500):
            m = self.js(MEASURE)
            if m:
                return m
            time.sleep(0.01)
        raise RuntimeError("the console never marked patchart:rendered")

    def quit(self):
        self.call("DELETE", f"/session/{self.session}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--binary", default="target/release/patchart")
    ap.add_argument("--runs", type=int, default=20)
    a = ap.parse_args()
    if not shutil.which("chromium") or not shutil.which("chromedriver"):
        raise SystemExit("needs chromium and chromedriver (apt-get install chromium chromium-driver)")
    data = tempfile.mkdtemp(prefix="patchart-console-bench-")
    srv = Server(os.path.abspath(a.binary), data)
    port = free_port()
    drv_proc = subprocess.Popen(["chromedriver", f"--port={port}"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(200):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/status", timeout=1)
                break
            except OSError:
                time.sleep(0.05)
        d = Driver(port)
        try:
            # The sign-in takes any API token and redirects to the console.
            d.go(f"{srv.base}/login?token={srv.token}")
            cold = d.rendered()
            warm = []
            for _ in range(a.runs):
                d.go(f"{srv.base}/")
                warm.append(d.rendered())
        finally:
            d.quit()
    finally:
        drv_proc.terminate()
        srv.stop()
        shutil.rmtree(data, ignore_errors=True)
    r = [m["rendered"] for m in warm]
    dcl = [m["dcl"] for m in warm]
    print(f"cold (fresh browser, after the sign-in redirect): rendered {cold['rendered']:.1f} ms, "
          f"DOMContentLoaded {cold['dcl']:.1f} ms")
    print(f"reloads ({len(r)}): rendered median {statistics.median(r):.1f} ms, p90 {pct(r, 90):.1f} ms; "
          f"DOMContentLoaded median {statistics.median(dcl):.1f} ms")


if __name__ == "__main__":
    main()
