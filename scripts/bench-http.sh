#!/usr/bin/env bash
# HTTP load benchmark of kinde-rs: guarded routes vs the same route without auth.
#
#   scripts/bench-http.sh
#
# Builds `bench-app` (package kinde-examples) in release mode, starts it on loopback
# against its embedded local Kinde server (axum and actix-web on two ports, one
# process), signs in once with curl to get a session cookie, then drives each path with
# wrk (installed with apt-get if missing) and prints requests/s, p50 and p99 of the
# guarded route next to /plain under the same load (same headers, same wrk settings),
# with the ratio. See BENCHMARKS.md for what each row means.
#
# Rows, per adapter:
#   bearer warm   /bearer, the same valid token on every request   vs /plain with that header
#   session       /session, one signed-in session (memory store)   vs /plain with that cookie
#   session/layer /session again, vs /session-plain: the same route behind the same session
#                 layer without auth (what auth adds to a session app's request)
#   bearer cold   /bearer, a different valid token per request     vs /plain with the same script
#
# Knobs (environment): ADAPTERS="axum actix", ROWS="warm session cold", DURATION=1 (s per run),
# PAIRS=15 (alternating runs of /plain and the guarded route; the ratio is the median of
# the pairs' ratios, req/s and latencies the medians of each route's runs), COLD_DURATION=3,
# THREADS=2, CONNECTIONS=32, WARMUP=2, COLD_TOKENS=100000, AXUM_PORT=38091,
# ACTIX_PORT=38092, WORKERS (server threads per adapter; default: all cores).
# On a small machine wrk and the app share the cores: the ratios are what to read,
# the absolute numbers depend on the machine.
#
# Redis mode (REDIS=1): starts a redis-server of its own (installed with apt-get if
# missing; a free port, a temporary directory, no persistence) and runs bench-app with
# REDIS_URL, so the session rows keep their sessions in Redis as several instances
# would. The session row's target is then 0.50; each guarded run also measures Redis's
# CPU (its own process time over the run's wall time, in cores), and after the rows a
# counted run reports Redis commands per session request (INFO commandstats, reset
# before the run). Default rows in this mode: "session". REDIS_CLIENT_CACHE=1 as well:
# bench-app's Redis connections use client-side caching (kinde_core::redis::ClientSideCache).
set -euo pipefail

ADAPTERS=${ADAPTERS:-"axum actix"}
REDIS=${REDIS:-0}
if [[ $REDIS == 1 ]]; then
    ROWS_TO_RUN=${ROWS:-"session"}
else
    ROWS_TO_RUN=${ROWS:-"warm session cold"}
fi
DURATION=${DURATION:-1}
PAIRS=${PAIRS:-15}
COLD_DURATION=${COLD_DURATION:-3}
THREADS=${THREADS:-2}
CONNECTIONS=${CONNECTIONS:-32}
WARMUP=${WARMUP:-2}
COLD_TOKENS=${COLD_TOKENS:-100000}
AXUM_PORT=${AXUM_PORT:-38091}
ACTIX_PORT=${ACTIX_PORT:-38092}

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LUA="$ROOT/scripts/bench/tokens.lua"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/kinde-bench.XXXXXX")
APP_PID=""
REDIS_PID=""

cleanup() {
    for pid in "$APP_PID" "$REDIS_PID"; do
        if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then
            kill "$pid" 2>/dev/null || true
            wait "$pid" 2>/dev/null || true
        fi
    done
    rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

log() { printf '==> %s\n' "$*" >&2; }

# --- load generator -------------------------------------------------------------------
if ! command -v wrk >/dev/null 2>&1; then
    log "installing wrk (apt-get)"
    SUDO=""
    [[ $(id -u) -ne 0 ]] && SUDO="sudo"
    if command -v apt-get >/dev/null 2>&1; then
        $SUDO apt-get update -qq && $SUDO apt-get install -y -qq wrk >/dev/null
    fi
    command -v wrk >/dev/null 2>&1 || {
        echo "wrk is required (Debian/Ubuntu: apt-get install wrk; macOS: brew install wrk)" >&2
        exit 1
    }
fi
command -v curl >/dev/null 2>&1 || { echo "curl is required" >&2; exit 1; }

# --- Redis (REDIS=1) --------------------------------------------------------------------
if [[ $REDIS == 1 ]]; then
    if ! command -v redis-server >/dev/null 2>&1; then
        log "installing redis-server (apt-get)"
        SUDO=""
        [[ $(id -u) -ne 0 ]] && SUDO="sudo"
        $SUDO apt-get update -qq && $SUDO apt-get install -y -qq redis-server >/dev/null
    fi
    REDIS_PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --dir "$WORK" --save "" \
        --appendonly no >"$WORK/redis.log" 2>&1 &
    REDIS_PID=$!
    for _ in $(seq 1 100); do
        redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break
        sleep 0.1
    done
    redis-cli -p "$REDIS_PORT" ping >/dev/null || { cat "$WORK/redis.log" >&2; exit 1; }
    export REDIS_URL="redis://127.0.0.1:$REDIS_PORT"
    log "redis-server on $REDIS_URL (pid $REDIS_PID)"
fi
CLK_TCK=$(getconf CLK_TCK)

# redis_ticks: Redis's CPU time so far (user + system), in clock ticks.
redis_ticks() {
    awk '{ print $14 + $15 }' "/proc/$REDIS_PID/stat"
}

# --- build and start ------------------------------------------------------------------
log "building bench-app (release)"
(cd "$ROOT" && cargo build --release --quiet -p kinde-examples --bin bench-app)
BIN="$ROOT/target/release/bench-app"

APP_ARGS=(--out "$WORK")
[[ " $ROWS_TO_RUN " == *" cold "* ]] && APP_ARGS+=(--cold-tokens "$COLD_TOKENS")
[[ " $ADAPTERS " == *" axum "* ]] && APP_ARGS+=(--axum-port "$AXUM_PORT")
[[ " $ADAPTERS " == *" actix "* ]] && APP_ARGS+=(--actix-port "$ACTIX_PORT")
[[ -n "${WORKERS:-}" ]] && APP_ARGS+=(--workers "$WORKERS")

log "starting bench-app (minting $COLD_TOKENS distinct tokens for the cold row first)"
"$BIN" "${APP_ARGS[@]}" >"$WORK/app.log" 2>&1 &
APP_PID=$!
for _ in $(seq 1 1200); do
    [[ -f "$WORK/ready" ]] && break
    kill -0 "$APP_PID" 2>/dev/null || { cat "$WORK/app.log" >&2; exit 1; }
    sleep 0.25
done
[[ -f "$WORK/ready" ]] || { echo "bench-app did not start in 300 s" >&2; exit 1; }
sed 's/^/    /' "$WORK/app.log" >&2
TOKEN=$(cat "$WORK/token")

port_of() { if [[ $1 == axum ]]; then echo "$AXUM_PORT"; else echo "$ACTIX_PORT"; fi; }

# Sign in once through /login -> local Kinde (automatic login) -> /callback; print the
# session cookie's value.
sign_in() {
    local base=$1 jar="$WORK/jar.$2" authorize callback status value
    authorize=$(curl -sS -c "$jar" -b "$jar" -o /dev/null -w '%{redirect_url}' "$base/login")
    callback=$(curl -sS -o /dev/null -w '%{redirect_url}' "$authorize")
    status=$(curl -sS -c "$jar" -b "$jar" -o /dev/null -w '%{http_code}' "$callback")
    [[ $status == 303 ]] || { echo "sign-in failed at the callback ($status)" >&2; exit 1; }
    value=$(awk '$6 == "kinde_session" { print $7 }' "$jar")
    [[ -n $value ]] || { echo "no session cookie after sign-in" >&2; exit 1; }
    echo "$value"
}

# expect_ok URL HEADER...: one request must answer 200 before a path is measured.
expect_ok() {
    local url=$1 status
    shift
    local args=()
    for h in "$@"; do args+=(-H "$h"); done
    status=$(curl -sS -o /dev/null -w '%{http_code}' "${args[@]}" "$url")
    [[ $status == 200 ]] || { echo "$url answered $status, expected 200" >&2; exit 1; }
}

# to_ms VALUE: wrk's "812.00us" / "2.37ms" / "1.02s" in milliseconds.
to_ms() {
    awk -v v="$1" 'BEGIN {
        if (v ~ /us$/) { sub(/us$/, "", v); printf "%.2f", v / 1000 }
        else if (v ~ /ms$/) { sub(/ms$/, "", v); printf "%.2f", v }
        else if (v ~ /m$/) { sub(/m$/, "", v); printf "%.2f", v * 60000 }
        else { sub(/s$/, "", v); printf "%.2f", v * 1000 }
    }'
}

# run NAME SECONDS URL WRK-ARGS...: run wrk, check every response was 2xx, and set
# RPS, P50, P99, REQS.
run() {
    local name=$1 secs=$2 url=$3
    shift 3
    local out="$WORK/wrk.$name.txt"
    wrk -t "$THREADS" -c "$CONNECTIONS" -d "${secs}s" --latency "$url" "$@" >"$out" 2>&1 || {
        cat "$out" >&2
        exit 1
    }
    if grep -qE 'Non-2xx|Socket errors' "$out"; then
        echo "$name: errors during the run:" >&2
        cat "$out" >&2
        exit 1
    fi
    RPS=$(awk '/^Requests\/sec:/ { printf "%.0f", $2 }' "$out")
    P50=$(to_ms "$(awk '$1 == "50%" { print $2 }' "$out")")
    P99=$(to_ms "$(awk '$1 == "99%" { print $2 }' "$out")")
    REQS=$(awk '/requests in/ { print $1 }' "$out")
}

ROWS=()
COUNTS=()

# median N...: the median of the numbers given.
median() {
    printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.4f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# measure ADAPTER ROW TARGET BASELINE-PATH GUARDED-PATH SECONDS \
#         WRK-ARGS-FOR-BASELINE :: WRK-ARGS-FOR-GUARDED
# (wrk arguments go after the URL: a script's own arguments follow its `--`)
measure() {
    local adapter=$1 row=$2 target=$3 baseline=$4 path=$5 secs=$6
    shift 6
    local plain_args=() guarded_args=()
    while [[ $1 != :: ]]; do plain_args+=("$1"); shift; done
    shift
    guarded_args=("$@")
    local base="http://127.0.0.1:$(port_of "$adapter")"
    # The cold row's tokens are used once: its guarded route runs once, not in pairs.
    local pairs=$PAIRS
    [[ $row == "bearer cold" ]] && pairs=1
    log "$adapter / $row: warm-up ${WARMUP}s each, then $pairs × (${secs}s $baseline, ${secs}s $path)"
    wrk -t "$THREADS" -c "$CONNECTIONS" -d "${WARMUP}s" "$base$baseline" "${plain_args[@]}" >/dev/null
    # The cold row's guarded path is not warmed up: its tokens must stay unseen.
    if [[ $row != "bearer cold" ]]; then
        wrk -t "$THREADS" -c "$CONNECTIONS" -d "${WARMUP}s" "$base$path" "${guarded_args[@]}" >/dev/null
    fi
    # Short runs of the baseline and the guarded route, alternating: each pair ran under
    # nearly the same machine conditions, so its ratio is the measurement, and the
    # median over the pairs discards the pairs a burst of other load skewed (on a
    # shared machine throughput drifts by tens of percent over minutes).
    local prps=() pp50=() pp99=() grps=() gp50=() gp99=() ratios=() cpus=() i
    for ((i = 1; i <= pairs; i++)); do
        run "$adapter-${row//[ \/]/-}-baseline-$i" "$secs" "$base$baseline" "${plain_args[@]}"
        prps+=("$RPS") pp50+=("$P50") pp99+=("$P99")
        local plain_rps=$RPS
        local ticks=""
        [[ -n $REDIS_PID ]] && ticks=$(redis_ticks)
        run "$adapter-${row//[ \/]/-}-guarded-$i" "$secs" "$base$path" "${guarded_args[@]}"
        if [[ -n $REDIS_PID ]]; then
            cpus+=("$(awk -v a="$ticks" -v b="$(redis_ticks)" -v hz="$CLK_TCK" -v s="$secs" 'BEGIN { printf "%.3f", (b - a) / hz / s }')")
        fi
        grps+=("$RPS") gp50+=("$P50") gp99+=("$P99")
        ratios+=("$(awk -v g="$RPS" -v p="$plain_rps" 'BEGIN { printf "%.4f", g / p }')")
    done
    local note=""
    if [[ $row == "bearer cold" ]] && ((REQS + CONNECTIONS >= COLD_TOKENS)); then
        note=" (tokens ran out: raise COLD_TOKENS)"
    fi
    local ratio lo hi met
    ratio=$(printf '%.2f' "$(median "${ratios[@]}")")
    lo=$(printf '%s\n' "${ratios[@]}" | sort -g | head -1)
    hi=$(printf '%s\n' "${ratios[@]}" | sort -g | tail -1)
    met=$(awk -v r="$ratio" -v t="$target" 'BEGIN { if (t == "-") print "report"; else if (r + 0 >= t + 0) print "yes"; else print "NO" }')
    ((pairs > 1)) && note+=" (pairs $(printf '%.2f' "$lo")–$(printf '%.2f' "$hi"))"
    ((${#cpus[@]} > 0)) && note+=" (Redis $(printf '%.2f' "$(median "${cpus[@]}")") core)"
    ROWS+=("$adapter|$row|$baseline|$(printf '%.0f' "$(median "${prps[@]}")")|$(median "${pp50[@]}")|$(median "${pp99[@]}")|||")
    ROWS+=("$adapter|$row|$path|$(printf '%.0f' "$(median "${grps[@]}")")|$(median "${gp50[@]}")|$(median "${gp99[@]}")|$ratio|$target|$met$note")
}

for adapter in $ADAPTERS; do
    base="http://127.0.0.1:$(port_of "$adapter")"
    cookie="kinde_session=$(sign_in "$base" "$adapter")"
    bearer="Authorization: Bearer $TOKEN"
    accept="Accept: application/json"
    expect_ok "$base/plain"
    expect_ok "$base/bearer" "$bearer" "$accept"
    expect_ok "$base/session" "Cookie: $cookie" "$accept"
    expect_ok "$base/session-plain" "Cookie: $cookie" "$accept"

    if [[ " $ROWS_TO_RUN " == *" warm "* ]]; then
        measure "$adapter" "bearer warm" 0.90 /plain /bearer "$DURATION" \
            -H "$bearer" -H "$accept" :: -H "$bearer" -H "$accept"
    fi
    if [[ " $ROWS_TO_RUN " == *" session "* ]]; then
        session_target=0.80
        [[ $REDIS == 1 ]] && session_target=0.50
        measure "$adapter" "session" "$session_target" /plain /session "$DURATION" \
            -H "Cookie: $cookie" -H "$accept" :: -H "Cookie: $cookie" -H "$accept"
        measure "$adapter" "session/layer" "$session_target" /session-plain /session "$DURATION" \
            -H "Cookie: $cookie" -H "$accept" :: -H "Cookie: $cookie" -H "$accept"
        if [[ $REDIS == 1 ]]; then
            # Redis commands per warm session request, counted by Redis itself.
            redis-cli -p "$REDIS_PORT" config resetstat >/dev/null
            run "$adapter-session-counted" "$DURATION" "$base/session" \
                -H "Cookie: $cookie" -H "$accept"
            COUNTS+=("$adapter|$REQS|$(redis-cli -p "$REDIS_PORT" info commandstats |
                awk -F'[:,=]' '/^cmdstat_/ { sub(/^cmdstat_/, "", $1); printf "%s %s;", $1, $3 }')")
        fi
    fi
    if [[ " $ROWS_TO_RUN " == *" cold "* ]]; then
        measure "$adapter" "bearer cold" - /plain /bearer "$COLD_DURATION" \
            -s "$LUA" -- "$WORK/cold-tokens" "$THREADS" wrap \
            :: -s "$LUA" -- "$WORK/cold-tokens" "$THREADS"
    fi
done

CORES=$(nproc 2>/dev/null || echo "?")
MEM=$(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo 2>/dev/null || echo "?")
echo
echo "kinde-rs HTTP benchmark: $CORES cores, $MEM, wrk -t$THREADS -c$CONNECTIONS, median of $PAIRS alternating pairs of ${DURATION}s runs (cold: ${COLD_DURATION}s, guarded once), wrk and the app on the same machine"
[[ $REDIS == 1 ]] && echo "Redis mode: sessions and refreshes in a local redis-server; client-side caching: $([[ ${REDIS_CLIENT_CACHE:-0} == 1 ]] && echo on || echo off)"
echo
printf '| %-6s | %-13s | %-14s | %9s | %8s | %8s | %5s | %6s | %-25s |\n' \
    adapter row route "req/s" "p50 ms" "p99 ms" ratio target met
printf '|%s|%s|%s|%s|%s|%s|%s|%s|%s|\n' -------- --------------- ---------------- ----------: ---------: ---------: ------: -------: ---------------------------
for r in "${ROWS[@]}"; do
    IFS='|' read -r a row route rps p50 p99 ratio target met <<<"$r"
    printf '| %-6s | %-13s | %-14s | %9s | %8s | %8s | %5s | %6s | %-25s |\n' \
        "$a" "$row" "$route" "$rps" "$p50" "$p99" "$ratio" "$(if [[ -z $target || $target == - ]]; then echo "$target"; else echo "≥ $target"; fi)" "$met"
done

if ((${#COUNTS[@]} > 0)); then
    echo
    echo "Redis commands per /session request (INFO commandstats over one ${DURATION}s run, reset before it):"
    echo
    for c in "${COUNTS[@]}"; do
        IFS='|' read -r a reqs stats <<<"$c"
        printf '%s: %s requests;' "$a" "$reqs"
        IFS=';' read -ra entries <<<"$stats"
        for e in "${entries[@]}"; do
            [[ -z $e ]] && continue
            read -r cmd calls <<<"$e"
            printf ' %s %s (%s a request)' "$cmd" "$calls" "$(awk -v c="$calls" -v r="$reqs" 'BEGIN { printf "%.3f", c / r }')"
        done
        echo
    done
fi
