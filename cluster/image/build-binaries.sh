#!/usr/bin/env bash
# Builds every Go component of the offline node image from the Go module proxy into the cache.
# Each output directory is keyed by its version and skipped when complete, so a fresh clone reuses it; it appears
# whole, with its .complete marker, or not at all.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh" build-binaries
export CGO_ENABLED=0 GOFLAGS=-buildvcs=false
build_date=2026-01-01T00:00:00Z   # fixed so rebuilds are reproducible

# build <component> <output-dir> <go-module-dir> <ldflags> <package>...
# A package written as <binary>=<package> is built as <output-dir>/<binary> instead of
# under go's default name (e.g. go.etcd.io/etcd/server/v3 would otherwise become "server").
build() {
  local name=$1 out=$2 mod=$3 ldflags=$4; shift 4
  # The marker holds what the binaries were built from (module files, our own sources, flags), so an
  # edit to any of them rebuilds even though the directory name carries only the version.
  local built_from
  built_from=$( (cd "$mod" && find . -type f \( -name '*.go' -o -name go.mod -o -name go.sum \) ! -name '*_test.go' \
    | LC_ALL=C sort | xargs sha256sum; echo "$ldflags $* ${GOFLAGS:-} ${CGO_ENABLED:-}") | sha256sum | cut -c1-16)
  if [ "$(cat "$out/.complete" 2>/dev/null)" = "$built_from" ]; then log "$name: cached in $out"; return; fi
  log "$name: building $* (log: $cache/logs/build-$name.log)"
  local start=$SECONDS p pkgs=() named=()
  for p; do case $p in *=*) named+=("$p") ;; *) pkgs+=("$p") ;; esac; done
  # Built next to its final place and renamed there when complete: a reader sees the old entry or the whole new
  # one, never a half-written one (an interrupted build leaves only $out.tmp.<pid>, which cluster:prune removes).
  building="$out.tmp.$$"
  rm -rf "$building"
  mkdir -p "$building" "$cache/logs"
  (
    # set -e does not apply on the left of ||, so every step exits on failure itself.
    cd "$mod" || exit
    if [ ${#pkgs[@]} -gt 0 ]; then go build -trimpath -ldflags "-s -w $ldflags" -o "$building/" "${pkgs[@]}" || exit; fi
    for p in "${named[@]}"; do go build -trimpath -ldflags "-s -w $ldflags" -o "$building/${p%%=*}" "${p#*=}" || exit; done
  ) >"$cache/logs/build-$name.log" 2>&1 \
    || { tail -20 "$cache/logs/build-$name.log" >&2; log "$name: FAILED"; rm -rf "$building"; building=""; return 1; }
  echo "$built_from" >"$building/.complete"
  if [ "$(cat "$out/.complete" 2>/dev/null)" = "$built_from" ]; then
    rm -rf "$building"   # a concurrent build of the same sources finished first
  else
    # mv -T renames the directory itself (never into an existing one); the outdated entry is moved aside first.
    if [ -e "$out" ]; then mv -T "$out" "$out.old.$$"; fi
    if ! mv -T "$building" "$out" 2>/dev/null; then
      # Another build put its entry there between the two renames: fine when it is of the same sources.
      [ "$(cat "$out/.complete" 2>/dev/null)" = "$built_from" ] || { log "$name: could not move $building into place"; return 1; }
      rm -rf "$building"
    fi
    rm -rf "$out.old.$$"
  fi
  building=""
  log "$name: done in $((SECONDS - start))s"
}
building=""
trap '[ -z "$building" ] || rm -rf "$building"' EXIT

k8s_minor=${K8S_VERSION#v1.}; k8s_minor=${k8s_minor%%.*}
k8s_ldflags=""
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  k8s_ldflags+=" -X $pkg.gitVersion=$K8S_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$k8s_minor"
  k8s_ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.gitCommit=$K8S_GIT_COMMIT -X $pkg.buildDate=$build_date"
done

what=${1:-all}
want() { [ "$what" = all ] || [ "$what" = "$1" ]; }

if want kubernetes; then
  build kubernetes "$cache/bin/kubernetes-$K8S_VERSION" "$cluster_dir/go/kubernetes" "$k8s_ldflags" \
    k8s.io/kubernetes/cmd/kubeadm k8s.io/kubernetes/cmd/kubelet k8s.io/kubernetes/cmd/kubectl \
    k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager \
    k8s.io/kubernetes/cmd/kube-scheduler k8s.io/kubernetes/cmd/kube-proxy
fi
if want agnhost; then
  build agnhost "$cache/bin/agnhost-$AGNHOST_TAG-k8s-$K8S_VERSION" "$cluster_dir/go/kubernetes" "" \
    k8s.io/kubernetes/test/images/agnhost
fi
if want etcd; then
  build etcd "$cache/bin/etcd-$ETCD_VERSION" "$cluster_dir/go/etcd" "-X go.etcd.io/etcd/api/v3/version.GitSHA=offline" \
    go.etcd.io/etcd/etcdctl/v3 etcd=go.etcd.io/etcd/server/v3
fi
if want coredns; then
  build coredns "$cache/bin/coredns-$COREDNS_VERSION" "$cluster_dir/go/coredns" "" .
fi
if want crictl; then
  build crictl "$cache/bin/crictl-$CRICTL_VERSION" "$cluster_dir/go/crictl" \
    "-X sigs.k8s.io/cri-tools/pkg/version.Version=$CRICTL_VERSION" sigs.k8s.io/cri-tools/cmd/crictl
fi
if want flannel; then
  # flanneld's udp backend needs cgo; link it statically with Go's own resolver and user lookup.
  CGO_ENABLED=1 GOFLAGS="$GOFLAGS -tags=netgo,osusergo" build flannel "$cache/bin/flannel-$FLANNEL_VERSION" "$cluster_dir/go/flannel" \
    "-X github.com/flannel-io/flannel/pkg/version.Version=$FLANNEL_VERSION -extldflags -static" \
    flanneld=github.com/flannel-io/flannel ./cmd/flannel-node
fi
if want kind; then
  build kind "$cache/bin/kind-$KIND_VERSION" "$cluster_dir/go/kind" "" sigs.k8s.io/kind
fi
if want metallb; then
  # Native (L2/BGP) mode only: the FRR modes need FRR itself, which is not a Go program.
  build metallb "$cache/bin/metallb-$METALLB_VERSION" "$cluster_dir/go/metallb" \
    "-X go.universe.tf/metallb/internal/version.gitCommit=offline -X go.universe.tf/metallb/internal/version.gitBranch=$METALLB_VERSION" \
    go.universe.tf/metallb/controller go.universe.tf/metallb/speaker
fi
if want pause; then
  build pause "$cache/bin/pause-$PAUSE_TAG" "$cluster_dir/go/pause" "-X main.version=$PAUSE_TAG" .
fi
