# syntax=docker/dockerfile:1
#
# One image per Feedmesh service, or the trainer job, from one Dockerfile:
#
#   docker build --build-arg SERVICE=ranker -t feedmesh/ranker:dev .
#
# SERVICE names a folder of services/ (feed-gateway, candidate-generation, feature-store,
# ranker, search, notification, trainer). The image runs `node services/$SERVICE/dist/main.js`
# as uid 65532 (the manifests' runAsUser) on a distroless Node.js 20 base: no shell, no
# package manager, nothing written outside the volumes the manifests mount.
#
# The workspace is installed and compiled once, before SERVICE is read, so building all seven
# images reuses those layers and only the last two stages differ.

ARG NODE_IMAGE=node:20-bookworm-slim
ARG RUNTIME_IMAGE=gcr.io/distroless/nodejs20-debian12:nonroot

FROM ${NODE_IMAGE} AS build
WORKDIR /src
ENV CI=true
# The lockfile alone decides what is downloaded: this layer survives source changes.
COPY package.json pnpm-lock.yaml pnpm-workspace.yaml ./
RUN npx -y pnpm@12.4.2 fetch
COPY . .
RUN npx -y pnpm@12.4.2 install --frozen-lockfile --offline
# Generates the contracts (buf + ts-proto, local plugin) and compiles every package.
RUN npm run build

FROM build AS deploy
ARG SERVICE
RUN test -n "$SERVICE" && test -f "services/$SERVICE/dist/main.js" \
  || { echo "SERVICE must name a folder of services/ with a main.ts, got '$SERVICE'" >&2; exit 1; }
# The service's own files and its production dependencies only, the workspace libraries
# among them, in a node_modules of its own.
RUN npx -y pnpm@12.4.2 --filter "@feedmesh/$SERVICE" deploy --prod "/out/services/$SERVICE"

FROM ${RUNTIME_IMAGE}
ARG SERVICE
ENV NODE_ENV=production
COPY --from=deploy /out /app
WORKDIR /app/services/${SERVICE}
USER 65532:65532
# The base image's entrypoint is node itself; exec form, so no shell is involved.
CMD ["dist/main.js"]
