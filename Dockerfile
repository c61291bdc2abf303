# One image for every service; docker-compose.yml picks the command (./bin/etml <service>).
FROM node:24-slim
WORKDIR /app
RUN npm install --global pnpm@10.34.8
COPY package.json pnpm-lock.yaml pnpm-workspace.yaml ./
COPY packages ./packages
COPY services ./services
COPY test/package.json ./test/package.json
RUN pnpm install --frozen-lockfile
COPY . .
USER node
CMD ["./bin/etml", "--help"]
