#!/usr/bin/env bash
# The web console's weight: every file compiled into the binary
# (host/console/), raw and gzipped, against the 200 KB budget; with a
# server's base URL, also how long loopback takes to serve each one.
# First render in a real browser is noted by tests/console.rs
# ("console first render …": DOMContentLoaded and the console's own
# `patchart:rendered` mark, in ms).
#   bench/console_size.sh [http://127.0.0.1:8000]
set -euo pipefail
cd "$(dirname "$0")/../host/console"
total=0
gz=0
for f in *; do
    n=$(wc -c <"$f")
    z=$(gzip -9c "$f" | wc -c)
    total=$((total + n))
    gz=$((gz + z))
    printf '%-14s %7d B  %6d B gzip\n' "$f" "$n" "$z"
done
printf '%-14s %7d B  %6d B gzip  (budget 204800 B)\n' total "$total" "$gz"
if [ -n "${1:-}" ]; then
    for path in / /console/app.js /console/app.css /console/i18n.js /console/run.js; do
        curl -s -o /dev/null -w "%{http_code} %{time_total}s ${path}\n" "$1$path"
    done
fi
