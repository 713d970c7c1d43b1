#!/usr/bin/env bash
# Coverage-guided fuzzing of kinde-rs's parsers of untrusted input, on the stable
# toolchain: cargo-fuzz with libFuzzer and `--sanitizer none` (no nightly needed).
#
#   scripts/fuzz.sh                      # every target for 60 s
#   scripts/fuzz.sh 3600 token           # one target for an hour
#   scripts/fuzz.sh runs=10000000        # every target for ten million executions
#
# Prints each target's executions and whether it found a crash (its input is then in
# fuzz/artifacts/<target>/: keep it as a regression test). The corpus grows in
# fuzz/corpus/<target>/ (not committed). Exits 1 if any target crashed.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v cargo-fuzz >/dev/null 2>&1 || cargo install cargo-fuzz --locked

budget="${1:-60}"
shift || true
if [ $# -gt 0 ]; then
  targets=("$@")
else
  mapfile -t targets < <(cargo fuzz list)
fi
case "$budget" in
  runs=*) limit="-runs=${budget#runs=}" ;;
  *) limit="-max_total_time=$budget" ;;
esac

failed=0
for target in "${targets[@]}"; do
  log="$(mktemp)"
  started=$SECONDS
  if cargo fuzz run --sanitizer none -O "$target" -- "$limit" -print_final_stats=1 >"$log" 2>&1; then
    verdict="no crash"
  else
    verdict="CRASH (see fuzz/artifacts/$target/)"
    failed=1
  fi
  execs="$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -oE '[0-9]+$' | tail -1 || true)"
  printf '%-16s %12s executions in %5ss  %s\n' "$target" "${execs:-?}" "$((SECONDS - started))" "$verdict"
  if [ "$verdict" != "no crash" ]; then tail -40 "$log"; fi
  rm -f "$log"
done
exit "$failed"
