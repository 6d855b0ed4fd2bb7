# Build stage: compile the release binary.
FROM rust:1.95-slim-bookworm AS build
WORKDIR /src
RUN apt-get update && apt-get install -y --no-install-recommends cmake clang pkg-config && rm -rf /var/lib/apt/lists/*
COPY Cargo.toml Cargo.lock ./
# Build settings (aws-lc without its CPU-jitter entropy source: see .cargo/config.toml).
COPY .cargo ./.cargo
COPY src ./src
COPY migrations ./migrations
# Page templates and the stylesheet are compiled into the binary.
COPY templates ./templates
COPY static ./static
RUN cargo build --release --locked --bin mcp-oauth

# Runtime stage: a small image running as a non-root user.
FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home /var/lib/mcp-oauth --create-home mcp
COPY --from=build /src/target/release/mcp-oauth /usr/local/bin/mcp-oauth
USER mcp
WORKDIR /var/lib/mcp-oauth
ENV MCP_OAUTH__SERVER__BIND=0.0.0.0:5000 \
    MCP_OAUTH__SERVER__LOG_FORMAT=json
EXPOSE 5000
HEALTHCHECK --interval=10s --timeout=3s --retries=5 \
  CMD bash -c 'exec 3<>/dev/tcp/127.0.0.1/5000 && printf "GET /healthz HTTP/1.0\r\n\r\n" >&3 && grep -q "200" <&3'
# `serve` applies pending migrations before it listens (database.migrate_on_start).
ENTRYPOINT ["mcp-oauth"]
CMD ["serve"]
