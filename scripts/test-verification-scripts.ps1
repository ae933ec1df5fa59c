#!/usr/bin/env pwsh
# Exercises the wrapper scripts for real: a stand-in worker (test/support's fake worker) behind the
# Kubernetes API simulator (test/support/kube-sim, what `npm run kube-sim` runs), and a stand-in
# docker (test/support/fake-docker). Checks every wrapper's --help, that verify passes on a healthy
# deployment and fails on a crash-looping one, a deploy --dry-run, a build-and-push with the token on
# docker login's stdin only, and that exit codes come through (1, 2, 5). Cleans up what it starts.
# The last line is "N passed, M failed"; the exit code is 1 when anything failed.
# Windows cannot run the stand-in docker (a Node script) as `docker`, so here build-and-push is
# checked with --dry-run and usage errors only; the .sh twin also runs it against the stand-in.
#
# Usage: scripts/test-verification-scripts.ps1
$ErrorActionPreference = 'Stop'
$Root = Split-Path -Parent $PSScriptRoot
$Scripts = Join-Path $Root 'scripts'
$Work = Join-Path ([System.IO.Path]::GetTempPath()) ('verification-scripts-' + [guid]::NewGuid().ToString('N'))
New-Item -ItemType Directory -Path $Work | Out-Null
$script:Passed = 0
$script:Failed = 0
$script:Processes = @()

# Expect CODE NAME SCRIPT ARGS: runs scripts/SCRIPT with ARGS, counts a pass when it exits with CODE.
function Expect([int]$Want, [string]$Name, [string]$Script, [string[]]$Arguments) {
  & (Join-Path $Scripts $Script) @Arguments > (Join-Path $Work 'out') 2> (Join-Path $Work 'err')
  $got = $LASTEXITCODE
  if ($got -eq $Want) {
    $script:Passed++
    Write-Output "ok   $Name (exit $got)"
  } else {
    $script:Failed++
    Write-Output "FAIL ${Name}: exit $got, expected $Want"
    Get-Content (Join-Path $Work 'err'), (Join-Path $Work 'out') -Tail 15 | ForEach-Object { Write-Output "     $_" }
  }
}

# ExpectText PATTERN NAME: the last command's stdout+stderr match PATTERN (a regular expression).
function ExpectText([string]$Pattern, [string]$Name) {
  $text = (Get-Content -Raw (Join-Path $Work 'out')) + (Get-Content -Raw (Join-Path $Work 'err'))
  if ($text -match $Pattern) {
    $script:Passed++
    Write-Output "ok   $Name"
  } else {
    $script:Failed++
    Write-Output "FAIL ${Name}: no match for /$Pattern/"
  }
}

# StartBackground NAME PATTERN NODE-ARGS: starts node with NODE-ARGS in ROOT in the background
# (stopped by the cleanup), waits for a line "PATTERN <value>" in its output and returns the value.
function StartBackground([string]$Name, [string]$Pattern, [string[]]$NodeArgs) {
  $log = Join-Path $Work "$Name.log"
  $quoted = $NodeArgs | ForEach-Object { '"' + $_ + '"' }
  $process = Start-Process -FilePath 'node' -ArgumentList $quoted -WorkingDirectory $Root -NoNewWindow -PassThru `
    -RedirectStandardOutput $log -RedirectStandardError "$log.err"
  $script:Processes += $process
  for ($i = 0; $i -lt 300; $i++) {
    if (Test-Path $log) {
      $match = Select-String -Path $log -Pattern ('^\s*' + [regex]::Escape($Pattern) + ' (\S+)') | Select-Object -First 1
      if ($match) { return $match.Matches[0].Groups[1].Value }
    }
    Start-Sleep -Milliseconds 100
  }
  Get-Content $log, "$log.err" -ErrorAction SilentlyContinue | ForEach-Object { [Console]::Error.WriteLine($_) }
  throw "$Name did not start (waited 30 s for `"$Pattern`")"
}

try {
  if (-not (Test-Path (Join-Path $Root 'dist/deploy/cli/main.js'))) {
    Write-Output 'building the CLI first (dist/ is missing)'
    & (Join-Path $Scripts 'verify-deployment.ps1') --help > $null
  }

  Write-Output '== --help of every wrapper'
  Expect 0 'verify-deployment.ps1 --help' 'verify-deployment.ps1' @('--help')
  ExpectText 'Usage: mobius-deploy verify' "verify-deployment.ps1 --help shows verify's help"
  Expect 0 'deploy-preview-worker.ps1 --help' 'deploy-preview-worker.ps1' @('--help')
  ExpectText 'Usage: mobius-deploy deploy' "deploy-preview-worker.ps1 --help shows deploy's help"
  Expect 0 'build-and-push.ps1 --help' 'build-and-push.ps1' @('--help')
  ExpectText 'Usage: mobius-deploy build-push' "build-and-push.ps1 --help shows build-push's help"

  Write-Output '== usage errors come through as exit 2'
  Expect 2 'verify-deployment.ps1 --no-such-option' 'verify-deployment.ps1' @('--no-such-option')
  Expect 2 'deploy-preview-worker.ps1 without an image' 'deploy-preview-worker.ps1' @('-n', 'production')
  Expect 2 'build-and-push.ps1 with a bad tag' 'build-and-push.ps1' @('--image-tag', 'bad tag', '--owner', 'example')

  Write-Output '== verify against the simulator with a stand-in worker behind the pod proxy'
  $starter = Join-Path $Work 'fake-worker.mjs'
  $cliUrl = ([System.Uri](Join-Path $Root 'test/support/cli.ts')).AbsoluteUri
  Set-Content -Path $starter -Value "const m = await import('$cliUrl'); const w = await m.startFakeWorker(); console.log('fake worker: ' + w.url);"
  $workerUrl = StartBackground 'worker' 'fake worker:' @('--import', 'tsx', $starter)
  $healthy = StartBackground 'sim-healthy' 'kubeconfig:' @('--import', 'tsx', 'test/support/kube-sim/main.ts', '--scenario', 'healthy', '--ready-delay', '50', '--proxy-target', $workerUrl)
  Expect 0 'verify-deployment.ps1 on a healthy deployment' 'verify-deployment.ps1' @('-n', 'production', '--kubeconfig', $healthy)
  ExpectText 'Verification passed' 'verify says it passed'
  Expect 0 'verify-deployment.ps1 -o json' 'verify-deployment.ps1' @('-n', 'production', '--kubeconfig', $healthy, '-o', 'json')
  ExpectText '"passed": *true|"ok": *true|"failed": *0' 'verify -o json reports the result'

  $crashloop = StartBackground 'sim-crashloop' 'kubeconfig:' @('--import', 'tsx', 'test/support/kube-sim/main.ts', '--scenario', 'crashloop', '--ready-delay', '50', '--proxy-target', $workerUrl)
  Expect 1 'verify-deployment.ps1 on a crash-looping rollout' 'verify-deployment.ps1' @('-n', 'production', '--kubeconfig', $crashloop)
  ExpectText 'CrashLoopBackOff|crash' 'verify names the crash loop'

  $unreachable = Join-Path $Work 'unreachable.yaml'
  Set-Content -Path $unreachable -Value @'
apiVersion: v1
kind: Config
clusters:
  - name: nowhere
    cluster:
      server: http://127.0.0.1:9
contexts:
  - name: nowhere
    context:
      cluster: nowhere
      user: nobody
current-context: nowhere
users:
  - name: nobody
    user:
      token: not-a-secret
'@
  Expect 5 'verify-deployment.ps1 with an unreachable cluster' 'verify-deployment.ps1' @('-n', 'production', '--kubeconfig', $unreachable)

  Write-Output '== deploy --dry-run against the simulator'
  $empty = StartBackground 'sim-empty' 'kubeconfig:' @('--import', 'tsx', 'test/support/kube-sim/main.ts', '--scenario', 'empty')
  Expect 0 'deploy-preview-worker.ps1 --dry-run' 'deploy-preview-worker.ps1' @('--env', 'production', '--image-tag', '1.2.3', '--dry-run', '--kubeconfig', $empty)
  ExpectText 'would create Deployment/preview-worker' 'the dry run lists the Deployment'

  Write-Output '== build-and-push without docker (dry run)'
  Expect 0 'build-and-push.ps1 --dry-run' 'build-and-push.ps1' @('--image-tag', '1.2.3', '--owner', 'example', '--dry-run')
  ExpectText 'docker buildx build' 'the dry run prints the buildx command'
} finally {
  foreach ($process in $script:Processes) { Stop-Process -Id $process.Id -Force -ErrorAction SilentlyContinue }
  Remove-Item -Recurse -Force $Work -ErrorAction SilentlyContinue
}

Write-Output "$($script:Passed) passed, $($script:Failed) failed"
if ($script:Failed -ne 0) { exit 1 }
exit 0
