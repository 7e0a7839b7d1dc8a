# item-store: multi-stage build. Pinned to the Node 24 LTS major; override with --build-arg NODE_IMAGE=...
# Works with the legacy builder and BuildKit alike (no BuildKit-only syntax).
ARG NODE_IMAGE=node:24-bookworm-slim

# --- build: all dependencies, compile TypeScript to dist/
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# --- deps: production dependencies only, in their own stage so npm's cache never reaches the final image
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

# --- run
FROM ${NODE_IMAGE}
ENV NODE_ENV=production HOST=0.0.0.0 PORT=8000
WORKDIR /app
# Owned by root and read-only for the app user: the process cannot rewrite its own code.
COPY package.json ./
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY public ./public
USER node
EXPOSE 8000
# Ready = the database answers; node's own fetch, so the image needs no curl/wget.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8000)+'/readyz',{signal:AbortSignal.timeout(4000)}).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# Exec form: node gets SIGTERM directly (the server handles it; it needs no init as PID 1).
# The heap flags are package.json's start script's (docs/performance.md: why, and what they cost).
CMD ["node", "--max-semi-space-size=2", "--max-old-space-size=128", "dist/server.js"]
