#!/usr/bin/env pwsh
# Check that the Mobius Preview Worker is rolled out and serving (mobius-deploy verify).
# A thin wrapper: every argument goes to `mobius-deploy verify`, and its exit code is this script's
# (see `verify-deployment.ps1 --help` and docs/CLI.md). No logic lives here; the .sh twin is line-for-line the same.
#
# Usage: scripts/verify-deployment.ps1 --env production [-o json] [--smoke] ...
$ErrorActionPreference = 'Stop'
$Root = Split-Path -Parent $PSScriptRoot
if (-not (Test-Path (Join-Path $Root 'dist/deploy/cli/main.js'))) {
  [Console]::Error.WriteLine("mobius-deploy is not built yet: building it in $Root (npm ci, npm run build)")
  if (-not (Test-Path (Join-Path $Root 'node_modules'))) { Push-Location $Root; npm ci --no-audit --no-fund 2>&1 | ForEach-Object { [Console]::Error.WriteLine($_) }; $code = $LASTEXITCODE; Pop-Location; if ($code -ne 0) { exit $code } }
  Push-Location $Root; npm run build --silent 2>&1 | ForEach-Object { [Console]::Error.WriteLine($_) }; $code = $LASTEXITCODE; Pop-Location; if ($code -ne 0) { exit $code }
}
& node (Join-Path $Root 'cli/mobius-deploy.js') verify @args; exit $LASTEXITCODE
