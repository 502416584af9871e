#!/usr/bin/env bash
# A Docker engine for docker mode on a Debian host, as root: installs and starts Debian's
# docker.io engine, builds the Compose CLI plugin from the Go module proxy when no package
# provides it, and makes the Debian base images the Dockerfiles start FROM when no registry
# can be reached to pull them (debootstrap + docker import).
#
# Idempotent: each step checks first and says what it does. An engine that already answers
# is never installed over, restarted or reconfigured.
#
#   sudo scripts/docker-engine.sh        # then: ./lakehouse up --docker
set -euo pipefail
cd "$(dirname "$0")/.."

# Versions and base images: defined once in versions.env, read by the native installer too.
# shellcheck source=../versions.env
. ./versions.env

say() { printf '== docker-engine: %s\n' "$*"; }
die() { printf 'docker-engine: %s\n' "$*" >&2; exit 1; }

cache="${LAKEHOUSE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/lakehouse}"
apt_updated=""
apt_install() {
  [ "$(id -u)" = 0 ] || die "installing $* needs root (sudo $0)"
  command -v apt-get >/dev/null || die "no apt-get: install $* with your system's package manager"
  if [ -z "$apt_updated" ]; then apt-get update -qq; apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# 1. The engine.
if docker info >/dev/null 2>&1; then
  say "a Docker engine answers ($(docker info --format '{{.ServerVersion}}')): left as it is"
else
  if ! command -v dockerd >/dev/null; then
    say "installing Debian's docker.io engine"
    apt_install docker.io
  fi
  say "starting dockerd (log: /var/log/lakehouse-dockerd.log)"
  if command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then
    systemctl start docker
  else
    # No init system to ask (a container, a minimal VM): run it in its own session.
    setsid dockerd >/var/log/lakehouse-dockerd.log 2>&1 </dev/null &
  fi
  for _ in $(seq 1 60); do docker info >/dev/null 2>&1 && break; sleep 1; done
  docker info >/dev/null 2>&1 || die "dockerd did not answer within 60 s; see /var/log/lakehouse-dockerd.log"
  say "engine $(docker info --format '{{.ServerVersion}}') is up"
fi

# 2. The Compose plugin.
if docker compose version >/dev/null 2>&1; then
  say "$(docker compose version): present"
else
  plugin_dir=/usr/local/lib/docker/cli-plugins
  [ "$(id -u)" = 0 ] || plugin_dir="$HOME/.docker/cli-plugins"
  command -v go >/dev/null || die "building the Compose plugin needs Go 1.26 (go on PATH)"
  say "building the Compose plugin $COMPOSE_VERSION from the Go module proxy (about 2 minutes)"
  gowork="$cache/compose-build"
  mkdir -p "$gowork" "$plugin_dir"
  export GOMODCACHE="$gowork/mod" GOCACHE="$gowork/cache" GOFLAGS=-mod=mod CGO_ENABLED=0
  src=$(go mod download -json "github.com/docker/compose/v5@$COMPOSE_VERSION" |
    sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  [ -n "$src" ] || die "could not download github.com/docker/compose/v5@$COMPOSE_VERSION"
  # Go names every module it downloads: kept in a log, shown only if the build fails.
  if ! (cd "$src" && go build -trimpath -ldflags "-s -w -X github.com/docker/compose/v5/internal.Version=$COMPOSE_VERSION" \
    -o "$plugin_dir/docker-compose" ./cmd) >"$gowork.log" 2>&1; then
    tail -n 40 "$gowork.log" >&2
    die "building the Compose plugin failed (log: $gowork.log)"
  fi
  rm -f "$gowork.log"
  go clean -modcache
  rm -rf "$gowork"
  say "$(docker compose version): installed in $plugin_dir"
fi

# 3. The base images.
for base in "$DEBIAN_BOOKWORM_IMAGE" "$DEBIAN_TRIXIE_IMAGE"; do
  if docker image inspect "$base" >/dev/null 2>&1; then
    say "base image $base: present"
  elif docker pull -q "$base" >/dev/null 2>&1; then
    say "base image $base: pulled"
  else
    suite=${base#debian:}
    suite=${suite%%-*}
    command -v debootstrap >/dev/null || apt_install debootstrap
    say "base image $base: no registry answers, making it with debootstrap ($suite, about a minute)"
    rootfs=$(mktemp -d)
    debootstrap --variant=minbase "$suite" "$rootfs" "${DEBIAN_MIRROR:-http://deb.debian.org/debian}" >/dev/null
    # What the official slim images also leave out: package caches and documentation.
    rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/* "$rootfs"/usr/share/doc/*
    tar -C "$rootfs" -c . | docker import --change 'CMD ["bash"]' - "$base" >/dev/null
    rm -rf "$rootfs"
    say "base image $base: imported"
  fi
done
say "ready: ./lakehouse up --docker"
