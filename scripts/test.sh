#!/usr/bin/env bash
# Runs Pond's whole test suite (unit, integration on SQLite and PostgreSQL, browser tests in Chromium).
# Installs what the tests need when it is missing: a PostgreSQL server (the tests start their own
# throwaway cluster), Debian's Chromium with CJK fonts, zbar (reads QR codes back), and the console's npm
# packages (restored by the build), and SciPy (the reference for the experiment statistics). The CJK fonts are also what invitation posters are drawn with (Pond.Tests checks them).
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
[ -x /usr/bin/chromium ] || missing+=(chromium)
dpkg -s fonts-noto-cjk >/dev/null 2>&1 || missing+=(fonts-noto-cjk)
command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)
command -v zbarimg >/dev/null 2>&1 || missing+=(zbar-tools)
# SciPy is the reference the experiment statistics are checked against (Debian's python3, not a pyenv one).
/usr/bin/python3 -c 'import scipy' >/dev/null 2>&1 || missing+=(python3-scipy)
if [ ${#missing[@]} -gt 0 ]; then
  echo "Installing test prerequisites: ${missing[*]}"
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# A distribution's PostgreSQL package starts a cluster of its own; the tests never use it.

log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
dotnet test Pond.sln -c Release --nologo 2>&1 | tee "$log" || status=$?

# One closing line for people and CI: the totals over both test projects.
total() { grep -E '^(Passed|Failed)! ' "$log" | grep -oE "$1: +[0-9]+" | awk '{s += $2} END {print s + 0}'; }
passed=$(total Passed)
failed=$(total Failed)
skipped=$(total Skipped)
projects=$(grep -cE '^(Passed|Failed)! ' "$log" || true)
echo
echo "tests: ${passed:-0} passed, ${failed:-0} failed, ${skipped:-0} skipped"
if [ "${projects:-0}" -lt 2 ]; then
  echo "Expected results from both test projects, got ${projects:-0}." >&2
  status=1
fi
if [ "${CI:-}" = "true" ] && [ "${skipped:-0}" != "0" ]; then
  echo "CI=true: skipped tests are failures." >&2
  status=1
fi
exit $status
