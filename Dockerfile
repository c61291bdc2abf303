# One image for every service; docker-compose.yml picks the command (./bin/etml <service>).
# Node 24 runs the TypeScript sources directly, so there is no build step.
FROM node:24-slim
WORKDIR /app
RUN npm install --global pnpm@10.34.8
# Dependencies first, from the lockfile alone, so a code change reuses this layer.
COPY pnpm-lock.yaml pnpm-workspace.yaml ./
RUN pnpm fetch --prod
COPY . .
RUN pnpm install --offline --frozen-lockfile --prod
USER node
CMD ["./bin/etml", "--help"]
