#!/usr/bin/env bash
# Runs the admin console's browser tests (playwright-core driving Debian's Chromium, node --test).
#
#   GATEHOUSE_BIN=/path/to/gatehouse e2e/run.sh
#
# The gatehouse binary must already be built (this script never builds it). Default:
# $CARGO_TARGET_DIR/debug/gatehouse, else target/debug/gatehouse at the repository root.
# Screenshots go to artifacts/screenshots/, server logs to artifacts/e2e-logs/,
# downloaded exports to artifacts/downloads/ (artifacts/ is at the repository root).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
caller_pwd="$(pwd)"

# The binary under test, as an absolute path (a relative one is taken from the caller's cwd).
if [[ -n "${GATEHOUSE_BIN:-}" ]]; then
  bin="$GATEHOUSE_BIN"
elif [[ -n "${CARGO_TARGET_DIR:-}" ]]; then
  bin="$CARGO_TARGET_DIR/debug/gatehouse"
else
  bin="$here/../target/debug/gatehouse"
fi
[[ "$bin" == /* ]] || bin="$caller_pwd/$bin"
if [[ ! -x "$bin" ]]; then
  echo "e2e: no executable gatehouse binary at $bin; build it first (cargo build --bin gatehouse) or set GATEHOUSE_BIN" >&2
  exit 1
fi
export GATEHOUSE_BIN="$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")"

# Debian's Chromium (playwright's own browser downloads are not used).
if [[ ! -x /usr/bin/chromium ]]; then
  echo "e2e: installing chromium with apt-get" >&2
  sudo=()
  [[ "$(id -u)" == 0 ]] || sudo=(sudo)
  "${sudo[@]}" apt-get update
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y chromium
fi

cd "$here"

# node_modules from the lockfile, when missing or older than package.json / package-lock.json.
stamp=node_modules/.package-lock.json
if [[ ! -f "$stamp" || package-lock.json -nt "$stamp" || package.json -nt "$stamp" ]]; then
  npm ci --no-audit --no-fund
fi

# Failure screenshots of an earlier run would only mislead.
rm -f ../artifacts/screenshots/failure-*.png

echo "e2e: $("$GATEHOUSE_BIN" version 2>/dev/null || echo "gatehouse (version unknown)") at $GATEHOUSE_BIN; node $(node --version); $(/usr/bin/chromium --version 2>/dev/null | head -n1)"
npm test
