# syntax=docker/dockerfile:1
#
# The Mobius Preview Worker image.
#
#   docker build \
#     --build-arg VERSION=1.4.2 \
#     --build-arg REVISION="$(git rev-parse HEAD)" \
#     --build-arg CREATED="$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
#     -t ghcr.io/mobius-org/mobius-preview-worker:1.4.2 .
#
# Runs as the numeric non-root user 10001:10001 and writes only to /tmp (HOME, TMPDIR, the npm cache) and
# DATA_DIR=/data, so it works with readOnlyRootFilesystem: true (Kubernetes mounts an emptyDir at /tmp and
# the shared ReadWriteMany volume at /data; see src/deploy/manifests/workload.ts).
# Checked without a Docker engine by test/unit/dockerfile.test.ts (paths, user, labels, lint rules), and built
# and run as the production Deployment runs it by `npm run test:image` (podman; README "Testing the container image").

# Pinned by tag; the same Node.js version as CI. Override with --build-arg NODE_IMAGE=... to update.
ARG NODE_IMAGE=node:20.20.2-bookworm-slim

# ---- build: compile TypeScript (src/ -> dist/) with the dev dependencies --------------------------------
FROM ${NODE_IMAGE} AS build
# The CA bundle of a TLS-intercepting proxy between the build and the npm registry, for npm; empty (and
# unused) on GitHub. npm run test:image passes it with the bundle mounted read-only; it is no layer's content.
ARG NODE_EXTRA_CA_CERTS
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY build ./build
RUN npm run build

# ---- runtime: production dependencies, the compiled worker, ffmpeg and the bundled fonts ---------------
FROM ${NODE_IMAGE} AS runtime

# ffmpeg for mp4 previews. Debian versions are not pinned: bookworm only ships security fixes, which we want.
# ffmpeg's libavdevice links libGL, and through it apt brings Mesa's DRI drivers (libgl1-mesa-dri, which
# links libllvm15, which links libz3-4): 160 MiB that only an OpenGL context would dlopen(), which encoding
# PNG frames to H.264 never makes. Two data packages go too: keyboard maps for SDL windows (xkb-data) and
# the MIME database (shared-mime-info), read by GLib only to guess file types. No library is removed that
# ffmpeg links (npm run test:image renders an mp4 in the image); the image stays under 600 MB.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends ffmpeg \
    && dpkg --purge --force-depends libgl1-mesa-dri libllvm15 libz3-4 xkb-data shared-mime-info \
    && rm -rf /var/lib/apt/lists/*

# The numeric user the pod's securityContext also names (runAsUser/runAsGroup 10001).
RUN groupadd --system --gid 10001 worker \
    && useradd --system --uid 10001 --gid 10001 --home-dir /tmp --no-create-home --shell /usr/sbin/nologin worker

# glibc malloc tuning: the renderer's pixel buffers are native memory; fewer arenas and an eager
# trim keep peak RSS at concurrency 2 near 220 MiB instead of 250-290 MiB (npm run bench:worker).
ENV NODE_ENV=production \
    HOME=/tmp \
    TMPDIR=/tmp \
    NPM_CONFIG_CACHE=/tmp/.npm \
    NPM_CONFIG_UPDATE_NOTIFIER=false \
    DATA_DIR=/data \
    PORT=3000 \
    HOST=0.0.0.0 \
    MALLOC_ARENA_MAX=2 \
    MALLOC_MMAP_THRESHOLD_=131072 \
    MALLOC_TRIM_THRESHOLD_=131072

WORKDIR /app
COPY package.json package-lock.json ./
# As in the build stage: only for npm ci below, never in the image's environment.
ARG NODE_EXTRA_CA_CERTS
# Install scripts are not needed (native modules ship prebuilt binaries), so none run. The toolkit's own
# dependencies (the mobius-deploy CLI runs on operators' machines, never in this image) are taken out
# again with what only they need (73 MiB, mostly @kubernetes/client-node); package.json and the lock
# stay as they are. test/unit/dockerfile.test.ts checks that the worker imports none of them.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
    && npm uninstall --no-save --ignore-scripts --no-audit --no-fund \
       @kubernetes/client-node commander js-yaml yaml \
    && npm cache clean --force \
    && rm -rf /tmp/.npm
COPY --from=build /app/dist ./dist
COPY assets/fonts ./assets/fonts

# What this build is, last: a new commit or version then rebuilds only these layers, not ffmpeg's or
# node_modules'. NODE_IMAGE is declared again to be readable in this stage (a global ARG is not).
ARG NODE_IMAGE
ARG VERSION=0.0.0-dev
ARG REVISION=unknown
ARG CREATED=1970-01-01T00:00:00Z
ARG SOURCE=https://github.com/mobius-org/mobius-preview-worker

# /data is where the artifact volume is mounted; owned by the worker so a plain `docker run` works too.
# This RUN comes after the ARGs on purpose: a RUN's cache key holds the build args' values, so a new
# VERSION or REVISION rebuilds it and the LABEL and ENV after it. Builders that key LABEL and ENV by their
# unexpanded text (buildah 1.28, Debian bookworm's, which npm run test:image uses) would otherwise reuse
# a layer with the previous build's labels.
RUN mkdir -p /data && chown 10001:10001 /data

LABEL org.opencontainers.image.title="mobius-preview-worker" \
      org.opencontainers.image.description="Mobius Preview Worker: BullMQ render service for deterministic previews" \
      org.opencontainers.image.licenses="MIT" \
      org.opencontainers.image.vendor="Mobius" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${CREATED}" \
      org.opencontainers.image.source="${SOURCE}" \
      org.opencontainers.image.base.name="${NODE_IMAGE}"

# The worker reports both as preview_worker_build_info{version,revision}.
ENV GIT_COMMIT=${REVISION} \
    PREVIEW_WORKER_VERSION=${VERSION}

USER 10001:10001
EXPOSE 3000
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/livez').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "dist/worker/main.js"]
