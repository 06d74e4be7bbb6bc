#!/usr/bin/env bash
# Assembles the offline kind node image: the Debian rootfs + our node files + Kubernetes binaries, with every
# control-plane, CNI and test image imported into the node's containerd (namespace k8s.io).
# Usage: build-node-image.sh            prints the image reference on stdout (builds only what is missing)
#        build-node-image.sh --ref      prints the reference it would build, builds nothing
set -euo pipefail
# DSC_REBUILD=1 ignores images already in docker (a cold build, with an empty DSC_CACHE and Go caches).
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh" node-image
export DOCKER_BUILDKIT=0

# The image tag changes whenever anything that goes into it changes.
key=$(cd "$cluster_dir" && find versions.env image go -type f ! -name '*.md' | LC_ALL=C sort | xargs sha256sum | sha256sum | cut -c1-12)
image="dualstack-conformance/node:$K8S_VERSION-$key"
exit_if_ref_only "$image" "${1:-}"
exit_if_cached "$image"

base=""
build_base() { base=$("$cluster_dir/image/build-rootfs.sh"); }
phase rootfs build_base
phase binaries "$cluster_dir/image/build-binaries.sh" all

bin="$cache/bin"
k8s_bin="$bin/kubernetes-$K8S_VERSION"
work=$(mktemp -d "${TMPDIR:-/tmp}/dsc-node-image.XXXXXX")
builder="dsc-node-build-$$"
cleanup() { docker rm -f "$builder" >/dev/null 2>&1 || true; rm -rf "$work"; }
trap cleanup EXIT

# debian_files <dir> <path>...: files of the node's Debian rootfs into <dir>, each dynamic executable among them with
# the libraries ldd says it loads, so that Debian binaries run in an image that is not Debian. Paths may be shell
# globs (expanded in the rootfs) or directories; symlinks are copied as what they point to. A missing path or an
# unresolved library fails the build.
debian_files() {
  local dir=$1; shift
  mkdir -p "$dir"
  docker run --rm --entrypoint /bin/bash "$base" -ec '
    set -o pipefail
    for p in $*; do
      [ -e "$p" ] || { echo "debian_files: $p is not in the rootfs" >&2; exit 1; }
      echo "$p"
      [ -f "$p" ] && deps=$(ldd "$p" 2>/dev/null) || continue  # data, a directory or a static binary
      case $deps in *"not found"*) echo "debian_files: $p: $deps" >&2; exit 1 ;; esac
      awk "/=>/ {print \$3} /ld-linux/ {print \$1}" <<<"$deps"
    done | sed "s|^/||" | sort -u >/tmp/files
    tar -C / -chf - -T /tmp/files
  ' debian_files "$@" | tar -C "$dir" -xf -
}

# The netfilter tools kube-proxy and flanneld call (iptables-nft, nft, conntrack, ip), with their libraries,
# taken from the node's own Debian rootfs so they match the node's nftables.
netfilter_layer() {
  local dir="$work/netfilter"
  # iptables dlopen()s its match/target extensions: their libraries (libm, ...) are needed too.
  debian_files "$dir" /usr/sbin/xtables-nft-multi /usr/sbin/nft /usr/sbin/conntrack /usr/bin/ip /usr/sbin/ip \
    '/usr/lib/x86_64-linux-gnu/xtables/*.so' /etc/ethertypes /etc/protocols /etc/services
  local tool
  for tool in iptables iptables-save iptables-restore ip6tables ip6tables-save ip6tables-restore \
    iptables-nft iptables-nft-save iptables-nft-restore ip6tables-nft ip6tables-nft-save ip6tables-nft-restore; do
    ln -sf xtables-nft-multi "$dir/usr/sbin/$tool"
  done
}

# busybox for the busybox and agnhost images: Debian's dynamically linked build with glibc, each applet a link in /bin,
# and nsswitch.conf so that glibc's resolver reads /etc/hosts before DNS (as musl does). This build, unlike
# busybox-static, looks a command up on PATH rather than preferring its own applet, in sh and in timeout/env/xargs.
busybox_layer() {
  local dir="$work/busybox"
  debian_files "$dir" /bin/busybox /etc/nsswitch.conf
  busybox_applets "$base" "$dir/bin"
}

# What upstream's agnhost image adds to busybox with its alpine packages bind-tools, curl, netcat-openbsd, iproute2,
# iperf and bash: Debian's builds of those tools, with their libraries and the data they read (CA bundle for curl,
# service names for nc). Each tool is also /bin/<name>, replacing busybox's applet of that name (ip, nc, nslookup), so
# absolute paths and PATH agree. Files the busybox layer already has (glibc, the loader) are left out.
agnhost_tools_layer() {
  local dir="$work/agnhost-tools"
  local tools=(/usr/bin/curl /usr/bin/nc.openbsd /usr/bin/dig /usr/bin/nslookup /usr/bin/host /usr/bin/ip /usr/bin/ss
    /usr/sbin/tc /usr/sbin/bridge /usr/bin/iperf /usr/bin/bash)
  debian_files "$dir" "${tools[@]}" /etc/ssl/certs/ca-certificates.crt /etc/services /etc/protocols /etc/iproute2
  local f
  while IFS= read -r f; do
    if cmp -s "$work/busybox/$f" "$dir/$f"; then rm "$dir/$f"; fi
  done < <(cd "$work/busybox" && find . -type f)
  ln -s nc.openbsd "$dir/usr/bin/nc"
  mkdir -p "$dir/bin" "$dir/sbin" "$dir/usr/local/bin"
  local t
  for t in "${tools[@]}" /usr/bin/nc; do
    [ "$t" = /usr/bin/nc.openbsd ] || ln -s "$t" "$dir/bin/$(basename "$t")"
  done
  ln -s /usr/bin/ip "$dir/sbin/ip"
  ln -s /usr/bin/iperf "$dir/usr/local/bin/iperf"
}

# component_image <image-ref> <dockerfile-body> <file-to-copy>...  → docker-archive in $work/images
component_image() {
  local ref=$1 body=$2; shift 2
  local ctx="$work/ctx-$(echo "$ref" | tr '/:' '__')"
  mkdir -p "$ctx" "$work/images"
  local f
  for f in "$@"; do cp -a "$f" "$ctx/"; done
  printf 'FROM scratch\n%s\n' "$body" >"$ctx/Dockerfile"
  quiet_build -t "$ref" "$ctx"
  docker save "$ref" -o "$work/images/$(basename "$ctx").tar"
  docker rmi "$ref" >/dev/null
}

component_images() {
  netfilter_layer
  local path_env='ENV PATH=/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
  local c
  for c in kube-apiserver kube-controller-manager kube-scheduler; do
    component_image "registry.k8s.io/$c:$K8S_VERSION" "COPY $c /usr/local/bin/$c
$path_env
ENTRYPOINT [\"/usr/local/bin/$c\"]" "$k8s_bin/$c"
  done
  component_image "registry.k8s.io/kube-proxy:$K8S_VERSION" "COPY netfilter/ /
COPY kube-proxy /usr/local/bin/kube-proxy
$path_env
ENTRYPOINT [\"/usr/local/bin/kube-proxy\"]" "$work/netfilter" "$k8s_bin/kube-proxy"
  component_image "registry.k8s.io/etcd:$ETCD_IMAGE_TAG" "COPY etcd etcdctl /usr/local/bin/
$path_env
ENTRYPOINT [\"/usr/local/bin/etcd\"]" "$bin/etcd-$ETCD_VERSION/etcd" "$bin/etcd-$ETCD_VERSION/etcdctl"
  component_image "registry.k8s.io/coredns/coredns:$COREDNS_VERSION" "COPY coredns /coredns
EXPOSE 53 53/udp
ENTRYPOINT [\"/coredns\"]" "$bin/coredns-$COREDNS_VERSION/coredns"
  component_image "registry.k8s.io/pause:$PAUSE_TAG" "COPY pause /pause
USER 65535:65535
ENTRYPOINT [\"/pause\"]" "$bin/pause-$PAUSE_TAG/pause"
  component_image "$CNI_IMAGE" "COPY netfilter/ /
COPY flanneld flannel-node /
$path_env
ENTRYPOINT [\"/flannel-node\"]" "$work/netfilter" "$bin/flannel-$FLANNEL_VERSION/flanneld" "$bin/flannel-$FLANNEL_VERSION/flannel-node"
  # MetalLB (native mode): upstream's images are distroless/static with just the binary; the speaker answers
  # ARP/NDP itself over raw sockets, so it needs no tools (iptables, arping) in its image.
  local m
  for m in controller speaker; do
    component_image "quay.io/metallb/$m:$METALLB_VERSION" "COPY $m /$m
ENTRYPOINT [\"/$m\"]" "$bin/metallb-$METALLB_VERSION/$m"
  done
  # Test images the suite runs by default, under upstream e2e's names: busybox from Debian's busybox, agnhost from
  # Kubernetes.
  busybox_layer
  component_image "registry.k8s.io/e2e-test-images/busybox:$BUSYBOX_TAG" "COPY busybox/ /
ENV PATH=/bin
CMD [\"sh\"]" "$work/busybox"
  # agnhost: busybox (its own layer, shared with the busybox image) under upstream's tool set; PATH as on alpine.
  agnhost_tools_layer
  component_image "registry.k8s.io/e2e-test-images/agnhost:$AGNHOST_TAG" "COPY busybox/ /
COPY agnhost-tools/ /
COPY agnhost /agnhost
ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
ENTRYPOINT [\"/agnhost\"]
CMD [\"pause\"]" "$work/busybox" "$work/agnhost-tools" "$bin/agnhost-$AGNHOST_TAG-k8s-$K8S_VERSION/agnhost"
  # Loaded locally here too, under its upstream name: the suite's off-cluster client container runs it from the
  # host's docker, so no registry is needed for it either.
  local agnhost_ref="registry.k8s.io/e2e-test-images/agnhost:$AGNHOST_TAG"
  docker load -q -i "$work/images/ctx-$(echo "$agnhost_ref" | tr '/:' '__').tar" >/dev/null
  log "loaded locally here: $agnhost_ref"
}
phase component-images component_images

# Assemble: node files and binaries into a container of the base image, images into its containerd.
# The container has no volume on /var, so `docker commit` keeps the imported content.
assemble() {
  docker run -d --name "$builder" --privileged --entrypoint sleep "$base" infinity >/dev/null
  docker cp "$cluster_dir/image/node/." "$builder:/"
  local b
  for b in kubeadm kubelet kubectl; do docker cp "$k8s_bin/$b" "$builder:/usr/bin/$b"; done
  docker cp "$bin/crictl-$CRICTL_VERSION/crictl" "$builder:/usr/local/bin/crictl"
  docker exec -i "$builder" bash -ec '
    echo "'"$K8S_VERSION"'" >/kind/version
    mkdir -p /opt/cni/bin /etc/cni/net.d /kind/manifests /var/lib/kubelet
    for p in /usr/lib/cni/*; do ln -sf "$p" /opt/cni/bin/; done
    ln -sf /etc/systemd/system/kubelet.service /etc/systemd/system/multi-user.target.wants/kubelet.service
    ln -sf /lib/systemd/system/containerd.service /etc/systemd/system/multi-user.target.wants/containerd.service
    # units that have nothing to do in a node container
    for u in getty.target systemd-udevd.service systemd-udev-trigger.service console-getty.service \
             systemd-timesyncd.service apt-daily.timer apt-daily-upgrade.timer; do
      ln -sf /dev/null "/etc/systemd/system/$u"
    done
    chmod 0755 /usr/bin/kubeadm /usr/bin/kubelet /usr/bin/kubectl /usr/local/bin/crictl'
  docker cp "$cluster_dir/image/manifests/default-cni.yaml" "$builder:/kind/manifests/default-cni.yaml"
  docker exec -d "$builder" containerd
  docker exec "$builder" bash -ec 'for i in $(seq 1 50); do ctr version >/dev/null 2>&1 && exit 0; sleep 0.2; done; exit 1'
  local tarball
  for tarball in "$work"/images/*.tar; do
    log "importing $(basename "$tarball")"
    docker exec -i "$builder" ctr --namespace=k8s.io images import --no-unpack - <"$tarball" >/dev/null
  done
  # Pinned: the kubelet's image GC must never delete what cannot be pulled again.
  docker exec "$builder" bash -ec 'for ref in $(ctr --namespace=k8s.io images list -q); do
    ctr --namespace=k8s.io images label "$ref" io.cri-containerd.pinned=pinned >/dev/null; done'
  docker exec "$builder" ctr --namespace=k8s.io images list -q | grep -v '^sha256:' | sed 's/^/[node-image]   /' >&2
  docker exec "$builder" bash -c 'pkill containerd; for i in $(seq 1 50); do pgrep containerd >/dev/null || exit 0; sleep 0.2; done'
  docker exec "$builder" bash -c 'rm -rf /tmp/* /var/log/* /run/containerd /etc/machine-id; : >/etc/machine-id'
  local committed
  committed=$(docker commit "$builder")
  # docker 20.10's commit cannot set STOPSIGNAL; a one-line build on top can (systemd halts on SIGRTMIN+3).
  mkdir -p "$work/final"
  printf '%s\n' "FROM $committed" 'ENV container=docker' 'STOPSIGNAL SIGRTMIN+3' \
    'ENTRYPOINT ["/usr/local/bin/entrypoint", "/sbin/init"]' 'CMD []' >"$work/final/Dockerfile"
  quiet_build -t "$image" "$work/final"
  docker rmi "$committed" >/dev/null 2>&1 || true
}
phase assemble assemble

log "built $image"
# Older offline node images are dead weight (about 1 GB each); keep those a container still uses.
for old in $(docker images dualstack-conformance/node --format '{{.Repository}}:{{.Tag}}' | grep -vx "$image"); do
  docker rmi "$old" >/dev/null 2>&1 && log "removed older $old" || true
done
print_phases rootfs binaries component-images assemble
echo "$image"
