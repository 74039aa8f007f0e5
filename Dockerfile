# Keyhold: the API (`keyhold serve`) or, with another command, the vault (`keyhold vault serve`).
# No build step: tsx runs the TypeScript. The code itself needs only Node 20.19+.

# Scalar's browser script for /docs, taken alone from the version in package-lock.json
# (its package is a dev dependency with ~250 MB of dependencies; /docs needs this one file).
FROM node:22-bookworm-slim AS scalar
WORKDIR /scalar
COPY package-lock.json ./
RUN npm pack --silent "@scalar/api-reference@$(node -p "require('./package-lock.json').packages['node_modules/@scalar/api-reference'].version")" \
 && tar -xzf scalar-api-reference-*.tgz package/package.json package/dist/browser/standalone.js

# Production dependencies, exactly as package-lock.json records them.
FROM node:22-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
COPY patches ./patches
# No install scripts, but Keyhold's patches to dependencies (patches/, see README "Patched dependencies").
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npx --no-install patch-package --error-on-fail

FROM node:22-bookworm-slim
ENV NODE_ENV=production HOST=0.0.0.0 PORT=8787 VAULT_PORT=8788 KEYHOLD_DATA_DIR=/data
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=scalar /scalar/package/package.json ./node_modules/@scalar/api-reference/package.json
COPY --from=scalar /scalar/package/dist/browser/standalone.js ./node_modules/@scalar/api-reference/dist/browser/standalone.js
COPY package.json tsconfig.json ./
COPY bin ./bin
COPY drizzle ./drizzle
COPY src ./src
# The migrated template new embedded databases start from (what npm install's postinstall builds).
RUN node bin/keyhold.mjs prepare
# The embedded database and vault files (when DATABASE_URL / VAULT_DATABASE_URL are unset): owner-only, as Keyhold requires.
RUN mkdir -p -m 700 /data && chown node:node /data
VOLUME ["/data"]
USER node
EXPOSE 8787 8788
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8787)+'/v1/liveness').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "bin/keyhold.mjs", "serve"]
