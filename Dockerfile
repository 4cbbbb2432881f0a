# One image definition, three targets: collector and web run on Node (TypeScript via tsx),
# the worker runs on Bun (the binary ships in the npm `bun` package, so no second toolchain).
FROM node:20-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
COPY common/package.json common/
COPY drizzle/package.json drizzle/
COPY collector/package.json collector/
COPY worker/package.json worker/
COPY web/package.json web/
COPY sdk-otel/package.json sdk-otel/
RUN npm ci --no-audit --no-fund

FROM deps AS build
COPY . .
RUN npm run build -w @codewarden/web

FROM build AS collector
ENV NODE_ENV=production HOST=0.0.0.0 COLLECTOR_PORT=4318
EXPOSE 4318
USER node
CMD ["node_modules/.bin/tsx", "collector/src/main.ts"]

FROM build AS web
ENV NODE_ENV=production HOST=0.0.0.0 WEB_PORT=3000
EXPOSE 3000
USER node
CMD ["node_modules/.bin/tsx", "web/server/main.ts"]

FROM build AS worker
ENV NODE_ENV=production
USER node
CMD ["node_modules/.bin/bun", "worker/src/main.ts"]
