#!/usr/bin/env bash
# Builds the node's OS: a debootstrap'd Debian rootfs imported into docker as the base image.
# Keyed by suite + package list; prints the image reference on stdout (--ref: only that, building nothing).
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh" build-rootfs

# What a kind node needs: systemd as init, containerd + runc as the CRI, CNI plugins, the netfilter tools
# kube-proxy/kindnetd call, and the utilities kubeadm's preflight and kind's entrypoint use. The last two lines are
# for the test images, which build-node-image.sh takes from here: busybox (Debian's dynamically linked build: unlike
# busybox-static it runs a command found on PATH before its own applet of that name) and the tool set of upstream's
# agnhost image (curl, nc -u, dig/nslookup/host, iperf).
packages=(
  systemd systemd-sysv dbus containerd runc containernetworking-plugins
  iptables nftables conntrack ebtables ethtool iproute2 iputils-ping socat
  util-linux mount procps kmod jq ca-certificates libseccomp2 bash coreutils findutils sed grep gawk tar gzip
  busybox
  curl netcat-openbsd bind9-dnsutils bind9-host iperf
)
key=$(printf '%s\n' "$DEBIAN_SUITE" "${packages[@]}" | sha256sum | cut -c1-12)
image="dualstack-conformance/node-base:$DEBIAN_SUITE-$key"
exit_if_ref_only "$image" "${1:-}"
exit_if_cached "$image"

# The mirror this host's apt already uses (no host names hard-coded in the project).
mirror=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
[ -n "$mirror" ] || mirror=$(awk '$1 == "deb" && $3 ~ /^bookworm$/ {print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)
[ -n "$mirror" ] || { echo "build-rootfs: cannot find this host's Debian mirror in its apt sources" >&2; exit 2; }

tarball="$cache/rootfs/$DEBIAN_SUITE-$key.tar"
if [ ! -s "$tarball" ]; then
  work=$(mktemp -d "${TMPDIR:-/tmp}/dsc-rootfs.XXXXXX")
  trap 'rm -rf "$work" "$tarball.tmp.$$"' EXIT
  log "debootstrap $DEBIAN_SUITE (minbase + ${#packages[@]} packages) into $work (log: $cache/logs/debootstrap.log)"
  mkdir -p "$cache/rootfs" "$cache/logs"
  pkg_list=$(IFS=,; echo "${packages[*]}" | sed 's/,,*/,/g; s/,$//')
  debootstrap --variant=minbase --include="$pkg_list" "$DEBIAN_SUITE" "$work/rootfs" "$mirror" \
    >"$cache/logs/debootstrap.log" 2>&1 || { tail -20 "$cache/logs/debootstrap.log" >&2; exit 1; }
  # Keep the image small and free of host state.
  rm -rf "$work/rootfs/var/cache/apt/archives/"*.deb "$work/rootfs/var/lib/apt/lists/"* "$work/rootfs/usr/share/doc" \
    "$work/rootfs/usr/share/man" "$work/rootfs/usr/share/locale"
  # Per-process temp name, renamed when whole: a concurrent or killed build never leaves a tarball that looks done.
  tar -C "$work/rootfs" --numeric-owner -cf "$tarball.tmp.$$" . && mv "$tarball.tmp.$$" "$tarball"
fi
log "importing $tarball as $image"
docker import "$tarball" "$image" >/dev/null
echo "$image"
