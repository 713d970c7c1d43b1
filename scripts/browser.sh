#!/usr/bin/env bash
# The browser suite: the demo apps in headless Chromium, driven through WebDriver
# (examples/tests/browser). Installs Debian's chromium and chromium-driver when missing
# (nothing is downloaded at run time), and runs the suite under scripts/interop.sh with
# oidc-provider's own login pages (so it needs node and npm too), for the tests that
# sign in there.
#
#   scripts/browser.sh                 # every browser test
#   scripts/browser.sh two_tabs        # the tests whose name contains `two_tabs`
#
# CHROMIUM and CHROMEDRIVER name other binaries (default: chromium and chromedriver on
# PATH). A failing step names the folder with a screenshot of every step up to it
# (target/browser-screenshots/<test>/).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v "${CHROMIUM:-chromium}" >/dev/null 2>&1 \
  || ! command -v "${CHROMEDRIVER:-chromedriver}" >/dev/null 2>&1; then
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver
fi
# The tests take absolute paths.
CHROMIUM="$(command -v "${CHROMIUM:-chromium}")"
CHROMEDRIVER="$(command -v "${CHROMEDRIVER:-chromedriver}")"
export CHROMIUM CHROMEDRIVER
"$CHROMIUM" --version
"$CHROMEDRIVER" --version

# Built first, so the apps' start-up is not a build; two tests at a time on two cores.
cargo test -p kinde-examples --test browser --no-run
printf -v filter '%q' "${1:-}"
INTEROP_INTERACTIVE=1 bash scripts/interop.sh \
  "cargo test -p kinde-examples --test browser -- --ignored --test-threads=2 $filter"
