# syntax=docker/dockerfile:1
# The ccsync worker image (used by docker-compose.yml): `npm run worker` on Node 20.
# Only the folders the worker needs are copied, so the host's node_modules, .tools and .data never
# end up in the image (no .dockerignore needed).

# Dependencies, built where compilers exist (better-sqlite3 falls back to node-gyp without a prebuild).
FROM node:20-bookworm AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund && npm cache clean --force

FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    CCSYNC_TASK_QUEUE=ccsync \
    CCSYNC_CONNECTIONS=/config/connections.yaml
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json package-lock.json tsconfig.json ./
COPY core ./core
COPY workflows ./workflows
COPY activities ./activities
COPY sources ./sources
COPY destinations ./destinations
COPY workers ./workers
COPY cli ./cli
USER node
# docker-compose runs this with `init: true`, so SIGTERM reaches the worker and it drains gracefully.
CMD ["npm", "run", "worker"]
