#!/usr/bin/env bash
# docker/podman-setup.sh — prepare a Debian machine (as root) to build and run nbwss's containers with podman, as
# `npm run verify:container` and `npm run verify:systemd` do. Idempotent: installs only what is missing and
# rewrites its configuration only when it differs.
#   - apt-get install podman runc debootstrap podman-compose, and CNI's dnsname plugin (compose services find each
#     other by name through it; Debian's podman 4.3 uses CNI networks);
#   - /etc/containers/containers.conf.d/50-nbwss.conf: runc as the OCI runtime (crun fails on a cgroups v1/hybrid
#     host with "cgroups in hybrid mode not supported") and default_ulimits = [] (otherwise runc's setrlimit of the
#     default nofile limit is refused in some sandboxes: "error setting rlimit type 7: operation not permitted").
#     A drop-in leaves the distribution's containers.conf untouched.
set -euo pipefail

fail() { echo "podman-setup.sh: $*" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || fail "run it as root (apt-get, /etc/containers)"
command -v apt-get >/dev/null 2>&1 || fail "apt-get not found: this script prepares Debian or Ubuntu machines"

missing=()
for p in podman runc debootstrap podman-compose golang-github-containernetworking-plugin-dnsname; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "podman-setup.sh: apt-get install ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null || fail "apt-get install ${missing[*]} failed"
fi

conf=/etc/containers/containers.conf.d/50-nbwss.conf
want='# Written by nbwss docker/podman-setup.sh.
[containers]
default_ulimits = []

[engine]
runtime = "runc"'
if [ "$(cat "$conf" 2>/dev/null)" != "$want" ]; then
  mkdir -p "$(dirname "$conf")"
  printf '%s\n' "$want" >"$conf"
  echo "podman-setup.sh: wrote $conf"
fi

runtime=$(podman info --format '{{.Host.OCIRuntime.Name}}' 2>&1) || fail "podman info failed: $runtime"
[ "$runtime" = runc ] || fail "podman's OCI runtime is $runtime, not runc: is $conf read (podman 4.x reads containers.conf.d)?"
echo "podman-setup.sh: $(podman --version), runtime $runtime ($(runc --version | head -1)), $(podman-compose --version 2>/dev/null | grep -i 'podman-compose' | head -1 || echo podman-compose)"
