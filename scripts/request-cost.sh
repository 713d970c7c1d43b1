#!/usr/bin/env bash
# Instructions per request of the bench routes, counted by callgrind: a figure that the
# machine's load cannot move, unlike requests/s (see BENCHMARKS.md).
#
#   scripts/request-cost.sh
#
# Builds `examples/examples/request_cost.rs` in release mode and runs it under
# `valgrind --tool=callgrind` (installed with apt-get if missing) once per adapter and
# route: it signs in to an in-process bench app (the routers of scripts/bench-http.sh,
# without sockets), warms it up, then sends N requests of one route; only those requests
# are counted. Prints instructions per request and what each guarded route adds, then
# the cold path: instructions per verification of a new token, kinde vs raw jsonwebtoken.
# Knobs: ADAPTERS="axum actix", N=1000, VERIFY_N=200.
# What it does not count: the kernel's share of a real HTTP request (sockets, wake-ups),
# which scripts/bench-http.sh includes. Under valgrind, SHA-256 runs without the CPU's
# SHA extensions, so actix-session's cookie signature counts more than it costs.
set -euo pipefail

ADAPTERS=${ADAPTERS:-"axum actix"}
N=${N:-1000}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
log() { printf '==> %s\n' "$*" >&2; }

if ! command -v valgrind >/dev/null 2>&1; then
    log "installing valgrind (apt-get)"
    SUDO=""
    [[ $(id -u) -ne 0 ]] && SUDO="sudo"
    $SUDO apt-get update -qq && $SUDO apt-get install -y -qq valgrind >/dev/null
fi

log "building request_cost and verify_cost (release)"
(cd "$ROOT" && cargo build --release --quiet -p kinde-examples --example request_cost --example verify_cost)
BIN="$ROOT/target/release/examples/request_cost"

# per_request ADAPTER ROUTE: instructions per request.
per_request() {
    local total
    total=$(valgrind --tool=callgrind --callgrind-out-file=/dev/null --collect-atstart=no \
        --toggle-collect='request_cost::measured*' "$BIN" "$1" "$2" "$N" 2>&1 |
        awk '/Collected :/ { print $4 }')
    [[ -n $total ]] || { echo "callgrind run of $1 $2 failed" >&2; exit 1; }
    echo $((total / N))
}

echo
echo "kinde-rs request cost: instructions per request (callgrind, $N requests, in-process)"
echo
printf '| %-6s | %-14s | %12s | %14s | %20s |\n' adapter route "instructions" "vs /plain" "vs /session-plain"
printf '|%s|%s|%s|%s|%s|\n' -------- ---------------- -------------: ---------------: ---------------------:
for adapter in $ADAPTERS; do
    log "$adapter"
    declare -A cost=()
    for route in /plain /bearer /session-plain /session; do
        cost[$route]=$(per_request "$adapter" "$route")
    done
    for route in /plain /bearer /session-plain /session; do
        plus=""
        [[ $route != /plain ]] && plus="+$((cost[$route] - cost[/plain]))"
        layer=""
        [[ $route == /session ]] && layer="+$((cost[$route] - cost[/session-plain]))"
        printf '| %-6s | %-14s | %12s | %14s | %20s |\n' "$adapter" "$route" "${cost[$route]}" "$plus" "$layer"
    done
    unset cost
done

# The cold path: instructions per verification of a token seen for the first time
# (examples/examples/verify_cost.rs), against a raw jsonwebtoken decode of the same token.
VERIFY_N=${VERIFY_N:-200}
verify_cost() {
    local total
    total=$(valgrind --tool=callgrind --callgrind-out-file=/dev/null --collect-atstart=no \
        --toggle-collect='verify_cost::measured*' "$ROOT/target/release/examples/verify_cost" \
        "$1" "$VERIFY_N" 2>&1 | awk '/Collected :/ { print $4 }')
    [[ -n $total ]] || { echo "callgrind run of verify_cost $1 failed" >&2; exit 1; }
    echo $((total / VERIFY_N))
}
log "cold verification"
raw=$(verify_cost raw)
kinde=$(verify_cost kinde)
echo
echo "cold verification, instructions per token ($VERIFY_N tokens): raw jsonwebtoken decode $raw," \
    "kinde verify_access_token (cache off) $kinde: $(awk -v a="$kinde" -v b="$raw" 'BEGIN { printf "%.3f", a / b }')x (target <= 1.15x)"
