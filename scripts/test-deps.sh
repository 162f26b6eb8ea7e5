#!/usr/bin/env bash
# Provisions the Debian packages `npm test` needs. Run by `npm test` (its `pretest` step) and by
# .ci/run, so the two cannot drift apart.
#
# - python3     `python3 -m http.server` as a replica nobody here wrote
# - prometheus  the prometheus metric provider against a real server ($PROMETHEUS_BIN or /usr/bin/prometheus)
# - bubblewrap  the job sandbox (bwrap)
# - chromium    the dashboard's browser tests, driven by playwright-core ($CHROMIUM_PATH or /usr/bin/chromium)
#
# Installs what is missing with apt-get when it can (as root, or with passwordless sudo); otherwise
# prints the exact command to run and exits 1 before any test runs. Nothing missing: exits 0 at once.
set -euo pipefail

need=()
command -v python3 >/dev/null 2>&1 || need+=(python3)
[ -x "${PROMETHEUS_BIN:-/usr/bin/prometheus}" ] || need+=(prometheus)
command -v bwrap >/dev/null 2>&1 || need+=(bubblewrap)
[ -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ] || need+=(chromium)
[ ${#need[@]} -eq 0 ] && exit 0

command_line="sudo apt-get update && sudo apt-get install -y ${need[*]}"
if ! command -v apt-get >/dev/null 2>&1; then
  echo "npm test needs these Debian packages: ${need[*]} (apt-get not found: install their equivalents, then run npm test again)" >&2
  exit 1
fi
if [ "$(id -u)" -eq 0 ]; then
  sudo=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  sudo=(sudo -n)
else
  echo "npm test needs these Debian packages: ${need[*]}. Install them, then run npm test again:" >&2
  echo "  $command_line" >&2
  exit 1
fi
echo "npm test: installing the Debian packages it needs: ${need[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
if ! { "${sudo[@]}" apt-get update -qq && "${sudo[@]}" apt-get install -y -qq "${need[@]}"; }; then
  echo "installing ${need[*]} failed; run it yourself, then npm test again:" >&2
  echo "  $command_line" >&2
  exit 1
fi
