#!/usr/bin/env bash
# Exercises the wrapper scripts for real: a stand-in worker (test/support's fake worker) behind the
# Kubernetes API simulator (test/support/kube-sim, what `npm run kube-sim` runs), and a stand-in
# docker (test/support/fake-docker). Checks every wrapper's --help, that verify passes on a healthy
# deployment and fails on a crash-looping one, a deploy --dry-run, a build-and-push with the token on
# docker login's stdin only, and that exit codes come through (1, 2, 5). Cleans up what it starts.
# The last line is "N passed, M failed"; the exit code is 1 when anything failed.
# Windows cannot run the stand-in docker (a Node script) as `docker`, so the .ps1 twin checks
# build-and-push with --dry-run and usage errors only; this script also runs it against the stand-in.
#
# Usage: scripts/test-verification-scripts.sh
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SCRIPTS="$ROOT/scripts"
WORK="$(mktemp -d)"
PASSED=0
FAILED=0
PIDS=()

cleanup() {
  for pid in "${PIDS[@]+"${PIDS[@]}"}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]+"${PIDS[@]}"}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# expect CODE NAME COMMAND...: runs COMMAND, counts a pass when it exits with CODE.
expect() {
  local want="$1" name="$2" got=0
  shift 2
  "$@" >"$WORK/out" 2>"$WORK/err" || got=$?
  if [ "$got" -eq "$want" ]; then
    PASSED=$((PASSED + 1))
    echo "ok   $name (exit $got)"
  else
    FAILED=$((FAILED + 1))
    echo "FAIL $name: exit $got, expected $want"
    tail -n 15 "$WORK/err" "$WORK/out" | sed 's/^/     /'
  fi
}

# expect_text PATTERN NAME: the last command's stdout+stderr match PATTERN (grep -E).
expect_text() {
  if grep -Eq -- "$1" "$WORK/out" "$WORK/err"; then
    PASSED=$((PASSED + 1))
    echo "ok   $2"
  else
    FAILED=$((FAILED + 1))
    echo "FAIL $2: no match for /$1/"
  fi
}

# start_background VAR NAME PATTERN COMMAND...: starts COMMAND in ROOT in the background (stopped by
# cleanup), waits for a line "PATTERN <value>" in its output and sets the variable VAR to the value.
start_background() {
  local var="$1" name="$2" pattern="$3" value=""
  shift 3
  # the file exists before the loop reads it: the background shell opens it only when it runs
  : >"$WORK/$name.log"
  (cd "$ROOT" && exec "$@") >"$WORK/$name.log" 2>&1 &
  PIDS+=("$!")
  for _ in $(seq 1 300); do
    value="$(sed -n "s/^ *$pattern //p" "$WORK/$name.log")"
    value="${value%%$'\n'*}"
    if [ -n "$value" ]; then
      printf -v "$var" '%s' "$value"
      return 0
    fi
    sleep 0.1
  done
  echo "$name did not start (waited 30 s for \"$pattern\"):" >&2
  cat "$WORK/$name.log" >&2
  return 1
}

if [ ! -f "$ROOT/dist/deploy/cli/main.js" ]; then
  echo "building the CLI first (dist/ is missing)"
  "$SCRIPTS/verify-deployment.sh" --help >/dev/null
fi

echo "== --help of every wrapper"
expect 0 "verify-deployment.sh --help" "$SCRIPTS/verify-deployment.sh" --help
expect_text "Usage: mobius-deploy verify" "verify-deployment.sh --help shows verify's help"
expect 0 "deploy-preview-worker.sh --help" "$SCRIPTS/deploy-preview-worker.sh" --help
expect_text "Usage: mobius-deploy deploy" "deploy-preview-worker.sh --help shows deploy's help"
expect 0 "build-and-push.sh --help" "$SCRIPTS/build-and-push.sh" --help
expect_text "Usage: mobius-deploy build-push" "build-and-push.sh --help shows build-push's help"

echo "== usage errors come through as exit 2"
expect 2 "verify-deployment.sh --no-such-option" "$SCRIPTS/verify-deployment.sh" --no-such-option
expect 2 "deploy-preview-worker.sh without an image" "$SCRIPTS/deploy-preview-worker.sh" -n production
expect 2 "build-and-push.sh with a bad tag" "$SCRIPTS/build-and-push.sh" --image-tag "bad tag" --owner example

echo "== verify against the simulator with a stand-in worker behind the pod proxy"
STARTER="$WORK/fake-worker.mjs"
echo "const m = await import('file://$ROOT/test/support/cli.ts'); const w = await m.startFakeWorker(); console.log('fake worker: ' + w.url);" >"$STARTER"
start_background WORKER_URL worker "fake worker:" node --import tsx "$STARTER"
start_background HEALTHY sim-healthy "kubeconfig:" node --import tsx test/support/kube-sim/main.ts \
  --scenario healthy --ready-delay 50 --proxy-target "$WORKER_URL"
expect 0 "verify-deployment.sh on a healthy deployment" \
  "$SCRIPTS/verify-deployment.sh" -n production --kubeconfig "$HEALTHY"
expect_text "Verification passed" "verify says it passed"
expect 0 "verify-deployment.sh -o json" "$SCRIPTS/verify-deployment.sh" -n production --kubeconfig "$HEALTHY" -o json
expect_text '"passed": *true|"ok": *true|"failed": *0' "verify -o json reports the result"

start_background CRASHLOOP sim-crashloop "kubeconfig:" node --import tsx test/support/kube-sim/main.ts \
  --scenario crashloop --ready-delay 50 --proxy-target "$WORKER_URL"
expect 1 "verify-deployment.sh on a crash-looping rollout" \
  "$SCRIPTS/verify-deployment.sh" -n production --kubeconfig "$CRASHLOOP"
expect_text "CrashLoopBackOff|crash" "verify names the crash loop"

cat >"$WORK/unreachable.yaml" <<'KUBECONFIG'
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
KUBECONFIG
expect 5 "verify-deployment.sh with an unreachable cluster" \
  "$SCRIPTS/verify-deployment.sh" -n production --kubeconfig "$WORK/unreachable.yaml"

echo "== deploy --dry-run against the simulator"
start_background EMPTY sim-empty "kubeconfig:" node --import tsx test/support/kube-sim/main.ts --scenario empty
expect 0 "deploy-preview-worker.sh --dry-run" \
  "$SCRIPTS/deploy-preview-worker.sh" --env production --image-tag 1.2.3 --dry-run --kubeconfig "$EMPTY"
expect_text "would create Deployment/preview-worker" "the dry run lists the Deployment"

echo "== build-and-push with a stand-in docker"
TOKEN="ghp_scriptTestToken0123456789"
expect 0 "build-and-push.sh --push" env PATH="$ROOT/test/support/fake-docker:$PATH" \
  FAKE_DOCKER_LOG="$WORK/docker.log" GHCR_TOKEN="$TOKEN" \
  "$SCRIPTS/build-and-push.sh" --image-tag 1.2.3 --owner Example-Org --push
expect_text "digest: +sha256:" "build-and-push prints the digest"
if grep -q "\"stdin\":\"$TOKEN" "$WORK/docker.log" && ! grep -q "\"argv\":\[[^]]*$TOKEN" "$WORK/docker.log" &&
  ! grep -q "$TOKEN" "$WORK/out" "$WORK/err"; then
  PASSED=$((PASSED + 1))
  echo "ok   the token went to docker login's stdin only and was never printed"
else
  FAILED=$((FAILED + 1))
  echo "FAIL the token leaked to a command line or the output"
fi
expect 2 "build-and-push.sh with the Docker daemon down" env PATH="$ROOT/test/support/fake-docker:$PATH" \
  FAKE_DOCKER_DAEMON_DOWN=1 "$SCRIPTS/build-and-push.sh" --image-tag 1.2.3 --owner example
expect 0 "build-and-push.sh --dry-run" "$SCRIPTS/build-and-push.sh" --image-tag 1.2.3 --owner example --dry-run
expect_text "docker buildx build" "the dry run prints the buildx command"

echo "$PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
