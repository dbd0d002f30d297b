#!/usr/bin/env bash
# make bench-collector: the CSP collector (decode, filter, aggregate, flush
# to SQLite) against a bare net/http handler that reads and discards the same
# bodies, on loopback, in one run. Each server runs in its own process (its
# peak RSS is its own); the generator alternates the two over several rounds
# and reports the median round of each, because the machine is shared.
#
#   scripts/bench-collector.sh                 the figures we record
#   BENCH_COLLECTOR_ROUNDS=5 ...               rounds (default 5)
#   BENCH_COLLECTOR_DURATION=3s ...            measuring time per round and server
#   BENCH_COLLECTOR_WORKERS=16 ...             concurrent connections
#   BENCH_COLLECTOR_MAX=500000 ...             cap on requests per round and server
#   scripts/bench-collector.sh -cpuprofile /tmp/bp   each server's CPU profile, /tmp/bp-MODE-ROUND.prof
#   scripts/bench-collector.sh -shed           shedding a flood (every request 429):
#                                              bare, closing each refused connection, keeping it
#
# Bounded: at most ROUNDS x 2 x (1s warm-up + DURATION), and MAX requests
# each. docs/PERFORMANCE.md ("Collector") keeps the latest output.
set -euo pipefail
cd "$(dirname "$0")/.."
GO=${GO:-go}
work=$(mktemp -d /tmp/skimwatch-bench-collector.XXXXXX)
trap 'rm -rf "$work"' EXIT
$GO build -o "$work/benchcmd" ./internal/collector/benchcmd
echo "command: scripts/bench-collector.sh ($(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg))"
"$work/benchcmd" \
  -rounds "${BENCH_COLLECTOR_ROUNDS:-5}" \
  -duration "${BENCH_COLLECTOR_DURATION:-3s}" \
  -workers "${BENCH_COLLECTOR_WORKERS:-16}" \
  -max-requests "${BENCH_COLLECTOR_MAX:-500000}" "$@"
