#!/usr/bin/env bash
# Check that the Mobius Preview Worker is rolled out and serving (mobius-deploy verify).
# A thin wrapper: every argument goes to `mobius-deploy verify`, and its exit code is this script's
# (see `verify-deployment.sh --help` and docs/CLI.md). No logic lives here; the .ps1 twin is line-for-line the same.
#
# Usage: scripts/verify-deployment.sh --env production [-o json] [--smoke] ...
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [ ! -f "$ROOT/dist/deploy/cli/main.js" ]; then
  echo "mobius-deploy is not built yet: building it in $ROOT (npm ci, npm run build)" >&2
  if [ ! -d "$ROOT/node_modules" ]; then (cd "$ROOT" && npm ci --no-audit --no-fund) >&2; fi
  (cd "$ROOT" && npm run build --silent) >&2
fi
exec node "$ROOT/cli/mobius-deploy.js" verify "$@"
