#!/usr/bin/env bash
# Base images for the Docker smoke test when no image registry is reachable (as on the CI
# machines): for each tag the Dockerfile and docker-compose.yml name, try a real pull first; only
# when that fails and the tag is absent, build a STAND-IN from Debian packages under the same tag.
#
# Stand-ins (labelled org.mcp-oauth.stand-in=true, so `docker image inspect` tells them apart):
#   debian:bookworm-slim      debootstrap --variant=minbase bookworm, imported as an image
#   rust:1.95-slim-bookworm   that image + gcc/libc6-dev (as upstream's slim) + this host's rustc
#                             1.95 toolchain copied in (rustup downloads are not relied on)
#   postgres:16               Debian bookworm's PostgreSQL **15** behind an entrypoint that honours
#                             POSTGRES_USER / POSTGRES_PASSWORD / POSTGRES_DB like upstream's
#                             (initialises on a Unix socket only, then listens on TCP)
# Jaeger has no Debian package and no stand-in: docker-compose.yml keeps it in the optional
# `tracing` profile.
#
# A stand-in is built once and then reused (the daemon's images persist between CI runs); a
# successful pull always replaces it. Usage: docker-standins.sh [TAG...] (default: all three).
set -euo pipefail
DOCKER=${DOCKER:-docker}
LABEL=org.mcp-oauth.stand-in
PULL_TIMEOUT=${PULL_TIMEOUT:-60}

log() { printf 'stand-ins: %s\n' "$*"; }

# Real image when the registry answers; else the tag as it is (real or stand-in); else "missing".
pull_or_keep() {
  local tag=$1
  if timeout "$PULL_TIMEOUT" "$DOCKER" pull -q "$tag" >/dev/null 2>&1; then
    log "$tag: pulled the real image"
    return 0
  fi
  if "$DOCKER" image inspect "$tag" >/dev/null 2>&1; then
    local kind=real
    [ "$("$DOCKER" image inspect -f "{{index .Config.Labels \"$LABEL\"}}" "$tag")" = true ] && kind=stand-in
    log "$tag: registry unreachable, using the $kind image already here"
    return 0
  fi
  return 1
}

build_debian() {
  command -v debootstrap >/dev/null || {
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap
  }
  local root
  root=$(mktemp -d /var/tmp/standin-debian.XXXXXX)
  debootstrap --variant=minbase bookworm "$root" http://deb.debian.org/debian >/dev/null
  # The same sources as the official image (updates and security, not just the release).
  rm -f "$root/etc/apt/sources.list"
  cat >"$root/etc/apt/sources.list.d/debian.sources" <<'EOF'
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
  rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/* "$root"/var/log/*.log
  tar -C "$root" -c . | "$DOCKER" import \
    --change "LABEL $LABEL=true" \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["bash"]' - debian:bookworm-slim >/dev/null
  rm -rf "$root"
}

build_rust() {
  local sysroot version ctx
  sysroot=$(rustc --print sysroot)
  version=$(rustc --version | awk '{print $2}')
  case $version in
    1.95.*) ;;
    *) echo "stand-ins: rust:1.95-slim-bookworm needs a host rustc 1.95, found $version" >&2; return 1 ;;
  esac
  # Hard links (no copy) of the parts cargo and rustc need; docs stay out of the context.
  ctx=$(mktemp -d /var/tmp/standin-rust.XXXXXX)
  mkdir "$ctx/toolchain"
  for part in bin lib libexec etc; do
    [ -e "$sysroot/$part" ] && { cp -al "$sysroot/$part" "$ctx/toolchain/" 2>/dev/null || cp -a "$sysroot/$part" "$ctx/toolchain/"; }
  done
  cat >"$ctx/Dockerfile" <<EOF
FROM debian:bookworm-slim
LABEL $LABEL=true
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates gcc libc6-dev \\
    && rm -rf /var/lib/apt/lists/*
ENV RUSTUP_HOME=/usr/local/rustup CARGO_HOME=/usr/local/cargo \\
    PATH=/usr/local/cargo/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \\
    RUST_VERSION=$version
COPY toolchain /usr/local/rustup/toolchains/$version-x86_64-unknown-linux-gnu
RUN mkdir -p /usr/local/cargo/bin \\
    && for b in /usr/local/rustup/toolchains/$version-x86_64-unknown-linux-gnu/bin/*; do \\
         ln -s "\$b" /usr/local/cargo/bin/; done \\
    && cargo --version && rustc --version
EOF
  "$DOCKER" build -q -t rust:1.95-slim-bookworm "$ctx" >/dev/null
  rm -rf "$ctx"
}

build_postgres() {
  local ctx
  ctx=$(mktemp -d /var/tmp/standin-postgres.XXXXXX)
  cat >"$ctx/docker-entrypoint.sh" <<'EOF'
#!/bin/bash
# Stand-in for the official postgres image's entrypoint: the same variables, the same
# two phases (initialise on a Unix socket only, then serve on TCP).
set -euo pipefail
: "${PGDATA:=/var/lib/postgresql/data}" "${POSTGRES_USER:=postgres}" "${POSTGRES_DB:=$POSTGRES_USER}"
if [ "$(id -u)" = 0 ]; then
  mkdir -p "$PGDATA" /var/run/postgresql
  chown -R postgres:postgres "$PGDATA" /var/run/postgresql
  chmod 700 "$PGDATA"
  exec setpriv --reuid=postgres --regid=postgres --init-groups "$0" "$@"
fi
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  [ -n "${POSTGRES_PASSWORD:-}" ] || { echo "POSTGRES_PASSWORD is not set" >&2; exit 1; }
  initdb -D "$PGDATA" -U "$POSTGRES_USER" --pwfile=<(printf '%s\n' "$POSTGRES_PASSWORD") \
    --auth-local=trust --auth-host=scram-sha-256 >/dev/null
  echo "host all all all scram-sha-256" >>"$PGDATA/pg_hba.conf"
  pg_ctl -D "$PGDATA" -w -o "-c listen_addresses=''" start >/dev/null
  if [ "$POSTGRES_DB" != postgres ]; then
    psql -v ON_ERROR_STOP=1 -U "$POSTGRES_USER" -d postgres -qc "CREATE DATABASE \"$POSTGRES_DB\""
  fi
  pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
  echo "stand-in postgres: initialised $PGDATA"
fi
[ "${1:-}" = postgres ] && shift
exec postgres -D "$PGDATA" -c listen_addresses='*' "$@"
EOF
  cat >"$ctx/Dockerfile" <<EOF
FROM debian:bookworm-slim
LABEL $LABEL=true
RUN apt-get update && apt-get install -y --no-install-recommends postgresql-15 \\
    && rm -rf /var/lib/apt/lists/* \\
    && rm -rf /var/lib/postgresql/15 /etc/postgresql/15/main
ENV PATH=/usr/lib/postgresql/15/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \\
    PGDATA=/var/lib/postgresql/data
COPY docker-entrypoint.sh /usr/local/bin/
RUN chmod 755 /usr/local/bin/docker-entrypoint.sh
VOLUME /var/lib/postgresql/data
STOPSIGNAL SIGINT
EXPOSE 5432
ENTRYPOINT ["docker-entrypoint.sh"]
EOF
  "$DOCKER" build -q -t postgres:16 "$ctx" >/dev/null
  rm -rf "$ctx"
}

tags=("$@")
[ ${#tags[@]} -gt 0 ] || tags=(debian:bookworm-slim rust:1.95-slim-bookworm postgres:16)
for tag in "${tags[@]}"; do
  pull_or_keep "$tag" && continue
  start=$SECONDS
  case $tag in
    debian:bookworm-slim) build_debian ;;
    rust:1.95-slim-bookworm) pull_or_keep debian:bookworm-slim || build_debian; build_rust ;;
    postgres:16) pull_or_keep debian:bookworm-slim || build_debian; build_postgres ;;
    *) echo "stand-ins: no stand-in for $tag" >&2; exit 1 ;;
  esac
  log "$tag: registry unreachable, built a stand-in ($((SECONDS - start)) s)"
done
