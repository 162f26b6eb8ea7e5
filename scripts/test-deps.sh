#!/usr/bin/env bash
# Provisions the Debian packages `npm test` needs. Run by `npm test` (its `pretest` step) and by
# .ci/run, so the two cannot drift apart.
#
# - python3     `python3 -m http.server` as a replica nobody here wrote
# - prometheus  the prometheus metric provider against a real server ($PROMETHEUS_BIN or /usr/bin/prometheus)
# - bubblewrap  the job sandbox (bwrap)
# - chromium    the dashboard's browser tests, driven by playwright-core ($CHROMIUM_PATH or /usr/bin/chromium)
# - postgresql  the PostgreSQL store and the highly available control plane: a server at 127.0.0.1:5432
#               that user postgres reaches without a password (or $CUTOVER_TEST_POSTGRES_URL); a
#               stopped cluster is started, one installed here is set to trust loopback connections
#
# Installs what is missing with apt-get when it can (as root, or with passwordless sudo); otherwise
# prints the exact command to run and exits 1 before any test runs. Nothing missing: exits 0 at once.
set -euo pipefail

need=()
command -v python3 >/dev/null 2>&1 || need+=(python3)
[ -x "${PROMETHEUS_BIN:-/usr/bin/prometheus}" ] || need+=(prometheus)
command -v bwrap >/dev/null 2>&1 || need+=(bubblewrap)
[ -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ] || need+=(chromium)
postgres_up() { [ -n "${CUTOVER_TEST_POSTGRES_URL:-}" ] || pg_isready -q -h 127.0.0.1 -p 5432 >/dev/null 2>&1; }
start_postgres() {
  postgres_up && return 0
  if command -v pg_ctlcluster >/dev/null 2>&1; then
    for version in $(ls /etc/postgresql 2>/dev/null); do
      pg_ctlcluster --skip-systemctl-redirect "$version" main start >/dev/null 2>&1 || true
    done
  fi
  for _ in $(seq 1 30); do postgres_up && return 0; sleep 1; done
  return 1
}
installed_postgres=0
if ! postgres_up && ! start_postgres; then
  if ! command -v pg_ctlcluster >/dev/null 2>&1; then need+=(postgresql); installed_postgres=1; fi
fi
[ ${#need[@]} -eq 0 ] && { postgres_up || { echo "npm test needs PostgreSQL at 127.0.0.1:5432 (or CUTOVER_TEST_POSTGRES_URL); it is installed but does not start" >&2; exit 1; }; exit 0; }

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
if [ "$installed_postgres" -eq 1 ]; then
  # A new cluster asks loopback clients for a password: the tests connect as postgres without one.
  for hba in /etc/postgresql/*/main/pg_hba.conf; do
    "${sudo[@]}" sed -i '1i host all postgres 127.0.0.1/32 trust' "$hba"
  done
  for version in $(ls /etc/postgresql); do
    "${sudo[@]}" pg_ctlcluster --skip-systemctl-redirect "$version" main restart >/dev/null 2>&1 || true
  done
fi
postgres_up || start_postgres || {
  echo "npm test needs PostgreSQL at 127.0.0.1:5432 (or CUTOVER_TEST_POSTGRES_URL); it does not start" >&2
  exit 1
}
