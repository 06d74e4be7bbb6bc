# shellcheck shell=bash
# Sourced by the build scripts (`. lib.sh <log tag>`): the project's folders, the pinned versions, the cache
# directory (the same default as lib/paths.ts's cacheDirOf), and the helpers they share. Part of the node image's
# cache key, like everything under cluster/image/.

cluster_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
project_dir=$(cd "$cluster_dir/.." && pwd)
# shellcheck source=../versions.env
. "$cluster_dir/versions.env"
cache=${DSC_CACHE:-$HOME/.cache/dualstack-conformance}
log_tag=$1

# Progress on stderr: stdout carries only the script's result, the image reference.
log() { printf '[%s] %s\n' "$log_tag" "$*" >&2; }

# --ref: print the reference the script would build and stop, building nothing.
exit_if_ref_only() { # <image> <the script's first argument>
  if [ "${2:-}" = --ref ]; then echo "$1"; exit 0; fi
}

# An image already in docker is the result, unless DSC_REBUILD asks for a cold build.
exit_if_cached() { # <image>
  if [ -z "${DSC_REBUILD:-}" ] && docker image inspect "$1" >/dev/null 2>&1; then log "cached: $1"; echo "$1"; exit 0; fi
}

# phase <name> <command>...: runs it and keeps its duration for print_phases.
declare -A phase_seconds=()
phase() { local name=$1 start=$SECONDS; shift; "$@"; phase_seconds[$name]=$((SECONDS - start)); }

# print_phases <name>...: one line each, names padded to the longest.
print_phases() {
  local p width=0
  for p; do [ ${#p} -lt "$width" ] || width=$((${#p} + 1)); done
  for p; do printf "[%s]   %-${width}s %5ss\n" "$log_tag" "$p" "${phase_seconds[$p]}" >&2; done
}

# docker build, its output shown only when it fails (the newer CLI warns about the legacy builder).
quiet_build() {
  local out
  out=$(docker build -q "$@" 2>&1) || { printf '%s\n' "$out" >&2; return 1; }
}

# busybox_applets <base image> <bin dir>: a link to busybox in <bin dir> for each applet of the base's busybox.
busybox_applets() {
  local applet
  for applet in $(docker run --rm --entrypoint /bin/busybox "$1" --list); do
    [ "$applet" = busybox ] || ln -sf busybox "$2/$applet"
  done
}
