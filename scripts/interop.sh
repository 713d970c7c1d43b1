#!/usr/bin/env bash
# Run commands against a loopback OpenID provider (panva/oidc-provider) configured to look like Kinde.
#
#   scripts/interop.sh                         # default: the kinde-core interop test
#   scripts/interop.sh scripts/interop/smoke.sh
#   scripts/interop.sh 'cargo test -p kinde-core --features testing --test interop_oidc_provider -- --ignored'
#
# Each argument is one command, run with `bash -c` in the repo root, in order; the first failure stops.
# Exports KINDE_INTEROP_ISSUER, KINDE_INTEROP_CLIENT_ID, KINDE_INTEROP_CLIENT_SECRET, KINDE_INTEROP_AUDIENCE.
# Env: INTEROP_PORT (default 0 = any free port), INTEROP_REDIRECT_URIS, INTEROP_ACCESS_TTL, ... (see server.mjs).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
DIR="$ROOT/scripts/interop"

if [[ ! -d "$DIR/node_modules/oidc-provider" ]]; then
  echo "interop: installing oidc-provider into $DIR/node_modules" >&2
  (cd "$DIR" && npm install --no-audit --no-fund --loglevel=error >&2)
fi

export INTEROP_CLIENT_ID="${INTEROP_CLIENT_ID:-interop-client}"
export INTEROP_CLIENT_SECRET="${INTEROP_CLIENT_SECRET:-interop-secret}"
export INTEROP_AUDIENCE="${INTEROP_AUDIENCE:-interop-api}"

LOGDIR="$(mktemp -d)"
OUT="$LOGDIR/server.out"
LOG="$LOGDIR/server.log"
SERVER_PID=""

cleanup() {
  local rc=$?
  if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  if [[ $rc -ne 0 && -s "$LOG" ]]; then
    echo "---- interop server log ----" >&2
    cat "$LOG" >&2
  fi
  rm -rf "$LOGDIR"
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

PORT="${INTEROP_PORT:-0}" node "$DIR/server.mjs" >"$OUT" 2>"$LOG" &
SERVER_PID=$!

ISSUER=""
for _ in $(seq 1 300); do
  if line="$(grep -m1 '^READY ' "$OUT" 2>/dev/null)"; then
    ISSUER="${line#READY }"
    break
  fi
  if ! kill -0 "$SERVER_PID" 2>/dev/null; then
    echo "interop: server exited before READY" >&2
    exit 1
  fi
  sleep 0.1
done
if [[ -z "$ISSUER" ]]; then
  echo "interop: server not READY after 30 s" >&2
  exit 1
fi

export KINDE_INTEROP_ISSUER="$ISSUER"
export KINDE_INTEROP_CLIENT_ID="$INTEROP_CLIENT_ID"
export KINDE_INTEROP_CLIENT_SECRET="$INTEROP_CLIENT_SECRET"
export KINDE_INTEROP_AUDIENCE="$INTEROP_AUDIENCE"
echo "interop: oidc-provider $(node -p "require('$DIR/node_modules/oidc-provider/package.json').version") ready at $ISSUER (pid $SERVER_PID)" >&2

if [[ $# -eq 0 ]]; then
  set -- "cargo test -p kinde-core --features testing --test interop_oidc_provider -- --ignored --nocapture"
fi

for cmd in "$@"; do
  echo "interop: \$ $cmd" >&2
  bash -c "$cmd"
done
