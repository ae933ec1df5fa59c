#!/usr/bin/env pwsh
# Build the worker image with docker buildx and (with --push) push it to GHCR (mobius-deploy build-push).
# A thin wrapper: every argument goes to `mobius-deploy build-push`, and its exit code is this script's
# (see `build-and-push.ps1 --help` and docs/CLI.md). No logic lives here; the .sh twin is line-for-line the same.
#
# Usage: scripts/build-and-push.ps1 --image-tag 1.4.2 [--push] [--platform linux/amd64,linux/arm64] [--owner ORG] ...
$ErrorActionPreference = 'Stop'
$Root = Split-Path -Parent $PSScriptRoot
if (-not (Test-Path (Join-Path $Root 'dist/deploy/cli/main.js'))) {
  [Console]::Error.WriteLine("mobius-deploy is not built yet: building it in $Root (npm ci, npm run build)")
  if (-not (Test-Path (Join-Path $Root 'node_modules'))) { Push-Location $Root; npm ci --no-audit --no-fund 2>&1 | ForEach-Object { [Console]::Error.WriteLine($_) }; $code = $LASTEXITCODE; Pop-Location; if ($code -ne 0) { exit $code } }
  Push-Location $Root; npm run build --silent 2>&1 | ForEach-Object { [Console]::Error.WriteLine($_) }; $code = $LASTEXITCODE; Pop-Location; if ($code -ne 0) { exit $code }
}
& node (Join-Path $Root 'cli/mobius-deploy.js') build-push @args; exit $LASTEXITCODE
