#!/usr/bin/env pwsh
# Deploy an image of the Mobius Preview Worker safely (mobius-deploy deploy: lock, apply, rollout watch, verify, automatic rollback).
# A thin wrapper: every argument goes to `mobius-deploy deploy`, and its exit code is this script's
# (see `deploy-preview-worker.ps1 --help` and docs/CLI.md). No logic lives here; the .sh twin is line-for-line the same.
#
# Usage: scripts/deploy-preview-worker.ps1 --env staging --image-tag 1.4.2 [--dry-run] [--reason TEXT] ...
$ErrorActionPreference = 'Stop'
$Root = Split-Path -Parent $PSScriptRoot
if (-not (Test-Path (Join-Path $Root 'dist/deploy/cli/main.js'))) {
  [Console]::Error.WriteLine("mobius-deploy is not built yet: building it in $Root (npm ci, npm run build)")
  if (-not (Test-Path (Join-Path $Root 'node_modules'))) { Push-Location $Root; npm ci --no-audit --no-fund 2>&1 | ForEach-Object { [Console]::Error.WriteLine($_) }; $code = $LASTEXITCODE; Pop-Location; if ($code -ne 0) { exit $code } }
  Push-Location $Root; npm run build --silent 2>&1 | ForEach-Object { [Console]::Error.WriteLine($_) }; $code = $LASTEXITCODE; Pop-Location; if ($code -ne 0) { exit $code }
}
& node (Join-Path $Root 'cli/mobius-deploy.js') deploy @args; exit $LASTEXITCODE
