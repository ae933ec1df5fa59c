#!/usr/bin/env bash
# Build the worker image with docker buildx and (with --push) push it to GHCR (mobius-deploy build-push).
# A thin wrapper: every argument goes to `mobius-deploy build-push`, and its exit code is this script's
# (see `build-and-push.sh --help` and docs/CLI.md). No logic lives here; the .ps1 twin is line-for-line the same.
#
# Usage: scripts/build-and-push.sh --image-tag 1.4.2 [--push] [--platform linux/amd64,linux/arm64] [--owner ORG] ...
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [ ! -f "$ROOT/dist/deploy/cli/main.js" ]; then
  echo "mobius-deploy is not built yet: building it in $ROOT (npm ci, npm run build)" >&2
  if [ ! -d "$ROOT/node_modules" ]; then (cd "$ROOT" && npm ci --no-audit --no-fund) >&2; fi
  (cd "$ROOT" && npm run build --silent) >&2
fi
exec node "$ROOT/cli/mobius-deploy.js" build-push "$@"
