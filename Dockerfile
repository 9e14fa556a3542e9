# The Berth operator image: `docker build -t berth:0.1.0 .`, then `berth run --kube` in a pod
# (see helm/berth). Build stage: compile dist/ and the dashboard with the dev dependencies;
# runtime stage: Node, the compiled code, the CRD and the production dependencies only.

FROM node:20-bookworm AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /src/package.json ./
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY --from=build /src/web/dist ./web/dist
COPY --from=build /src/bin ./bin
# src/api/schema.ts reads the CRD at run time: it is the validation schema.
COPY --from=build /src/crds ./crds
# The image's `node` user (uid 1000); numeric so that runAsNonRoot can verify it.
USER 1000:1000
EXPOSE 7420
ENTRYPOINT ["node", "bin/berth.js"]
CMD ["run", "--kube", "--http", "0.0.0.0:7420"]
