# The service's image: a build stage, a lean runtime stage, and a stage holding the debug symbols.
# Needs BuildKit (the default since Docker 23; on Debian's docker.io 20.10 set DOCKER_BUILDKIT=1,
# and COMPOSE_DOCKER_CLI_BUILD=1 for docker-compose 1.29). See docs/docker.md.
#
# Behind a TLS-intercepting proxy, hand the build its CA bundle as a secret; it is mounted for the
# crates.io download only and never stored in a layer:
#   DOCKER_BUILDKIT=1 docker build --secret id=cacert,src=/etc/ssl/certs/ca-certificates.crt .

FROM rust:1.95-slim-bookworm AS build
WORKDIR /src
# The image's gcc is all aws-lc-sys needs (its cc builder: no cmake, no clang).
COPY Cargo.toml Cargo.lock ./
# Build settings (aws-lc without its CPU-jitter entropy source: see .cargo/config.toml).
COPY .cargo ./.cargo
# Dependencies first, against stub sources: these layers are rebuilt only when the manifest, the
# lockfile or the build settings change, not on every change under src/.
RUN mkdir -p src benches \
    && echo 'fn main() {}' >src/main.rs && : >src/lib.rs && echo 'fn main() {}' >benches/micro.rs
RUN --mount=type=secret,id=cacert \
    if [ -s /run/secrets/cacert ]; then export CARGO_HTTP_CAINFO=/run/secrets/cacert; fi; \
    cargo fetch --locked
RUN cargo build --release --locked --offline --bin mcp-oauth
COPY src ./src
# Cargo.toml declares this bench target: the manifest does not load without it.
COPY benches/micro.rs ./benches/micro.rs
COPY migrations ./migrations
# Page templates and the stylesheet are compiled into the binary.
COPY templates ./templates
COPY static ./static
# Forget the stub build of this crate (copied files may be older than it), then build for real.
# The release profile keeps line tables (file:line in backtraces); they go to a separate,
# compressed file, and the shipped binary keeps its symbol table and a debuglink to that file.
RUN rm -rf target/release/.fingerprint/mcp-oauth-* \
    && cargo build --release --locked --offline --bin mcp-oauth \
    && mkdir /out \
    && objcopy --only-keep-debug --compress-debug-sections=zlib \
         target/release/mcp-oauth /out/mcp-oauth.debug \
    && objcopy --strip-debug --add-gnu-debuglink=/out/mcp-oauth.debug \
         target/release/mcp-oauth /out/mcp-oauth

# `docker build --target debug-symbols -o type=local,dest=symbols .` writes symbols/mcp-oauth.debug
# for the binary the same build produced (same build id; see docs/docker.md).
FROM scratch AS debug-symbols
COPY --from=build /out/mcp-oauth.debug /

# Runtime: Debian slim, the binary, a non-root user, the data volume.
FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates \
    && apt-get clean && rm -rf /var/lib/apt/lists/* \
    && groupadd --gid 10001 mcp \
    && useradd --uid 10001 --gid 10001 --home-dir /var/lib/mcp-oauth --no-create-home --no-log-init \
         --shell /usr/sbin/nologin mcp \
    && install -d -o 10001 -g 10001 -m 0750 /var/lib/mcp-oauth /var/lib/mcp-oauth/data
COPY --from=build /out/mcp-oauth /usr/local/bin/mcp-oauth
USER 10001:10001
WORKDIR /var/lib/mcp-oauth
# SQLite's default database (sqlite://data/mcp-oauth.db) lands in this directory, owned by the
# service user, so a fresh named volume mounted here is writable.
VOLUME /var/lib/mcp-oauth/data
# Listen on the container's interfaces (reached only through published ports or the container
# network); metrics too, so a scraper can reach them once 9464 is published.
ENV MCP_OAUTH__SERVER__BIND=0.0.0.0:5000 \
    MCP_OAUTH__METRICS__BIND=0.0.0.0:9464 \
    MCP_OAUTH__SERVER__LOG_FORMAT=json
EXPOSE 5000 9464
# Follows MCP_OAUTH__SERVER__BIND (0.0.0.0 / :: are probed on loopback) and passes only on an
# HTTP 200 status line from /healthz. Plain HTTP: with in-process TLS, override it (docs/docker.md).
HEALTHCHECK --interval=10s --timeout=5s --start-period=20s --retries=3 CMD bash -c '\
  bind=${MCP_OAUTH__SERVER__BIND:-127.0.0.1:5000}; port=${bind##*:}; host=${bind%:*}; \
  host=${host#[}; host=${host%]}; \
  case $host in 0.0.0.0|"") host=127.0.0.1 ;; ::) host=::1 ;; esac; \
  exec 3<>"/dev/tcp/$host/$port" || exit 1; \
  printf "GET /healthz HTTP/1.0\r\nHost: localhost\r\n\r\n" >&3; \
  read -r -t 4 proto status rest <&3; [ "$status" = 200 ]'
# The service drains for server.shutdown_timeout_secs (10 s) on SIGTERM: give `docker stop`
# longer than that (`--stop-timeout 30`; compose sets stop_grace_period).
STOPSIGNAL SIGTERM
# Any subcommand runs as given (`docker run IMAGE clients list`); `serve` applies pending
# migrations before it listens (database.migrate_on_start).
ENTRYPOINT ["mcp-oauth"]
CMD ["serve"]
