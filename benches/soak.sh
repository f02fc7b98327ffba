#!/usr/bin/env bash
# The server soak: `benches/soak.sh [SECONDS]` (default 300) runs the ignored `soak` test of
# tests/serve_hostile.rs against the real binary — good requests, connection churn, slow
# clients and a hot reload every 10 s — and prints requests, reloads, worst latency and the
# server's RSS before and after (figures go to docs/RELIABILITY.md).
set -euo pipefail
cd "$(dirname "$0")/.."
RECSYS_SOAK_SECS=${1:-300} cargo test --release --test serve_hostile -- --ignored --nocapture soak 2>&1 \
  | grep -E "^soak:|test result|panicked"
