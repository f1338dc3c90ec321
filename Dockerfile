# Multi-stage build: pack the npm package in a full image, install that same tarball in a slim one, run as non-root.
# The package bundles its JavaScript and Node 24 brings node:sqlite, so the runtime image compiles nothing.
FROM node:24-bookworm AS build
WORKDIR /app
COPY package.json package-lock.json ./
# Scripts skipped: the only one is better-sqlite3's compile, a Node 20 fallback this image never uses.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY . .
RUN npm pack && mv runware-mcp-server-*.tgz /tmp/runware-mcp-server.tgz

FROM node:24-bookworm-slim
ENV NODE_ENV=production RUNWARE_MCP_DATA_DIR=/data HOST=0.0.0.0 PORT=8787
COPY --from=build /tmp/runware-mcp-server.tgz /tmp/
RUN npm install -g --no-audit --no-fund /tmp/runware-mcp-server.tgz && rm /tmp/runware-mcp-server.tgz \
  && mkdir -p /data && chown node:node /data && chmod 700 /data
USER node
VOLUME ["/data"]
EXPOSE 8787
HEALTHCHECK --interval=30s --timeout=3s CMD node -e "fetch('http://127.0.0.1:'+process.env.PORT+'/healthz').then(r=>process.exit(r.ok?0:1)).catch(()=>process.exit(1))"
CMD ["runware-mcp-server", "serve"]
