#!/usr/bin/env bash
# host:prepare — what this VM needs before a kind cluster can run. Root, idempotent, never run implicitly.
#   --ci   also blackhole the cluster's pod and Service CIDRs on the host, so a mistaken probe dies locally.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
ci=false
for arg in "$@"; do
  case "$arg" in
    --ci) ci=true ;;
    *) echo "host:prepare: unknown option $arg (known: --ci)" >&2; exit 2 ;;
  esac
done
log() { printf '[host:prepare] %s\n' "$*" >&2; }
[ "$(id -u)" = 0 ] || { echo "host:prepare must run as root (it installs packages and starts dockerd)" >&2; exit 2; }

state_dir=/etc/dualstack-conformance
lib_dir=/usr/local/lib/dualstack-conformance
mkdir -p "$state_dir" "$lib_dir"

# 1. Packages: the engine, the rootfs builder, jq for the runc wrapper.
need=()
for pkg in docker.io debootstrap jq iptables iproute2; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  log "installing ${need[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

# 2. runc wrapper as docker's default runtime (see runc-wrapper.sh for why).
install -m 0755 "$here/runc-wrapper.sh" "$lib_dir/runc-wrapper"
daemon_json=/etc/docker/daemon.json
mkdir -p /etc/docker
[ -s "$daemon_json" ] || echo '{}' >"$daemon_json"
want=$(jq --arg p "$lib_dir/runc-wrapper" \
  '.runtimes["dsc-runc"] = {path: $p} | ."default-runtime" = "dsc-runc"' "$daemon_json")
config_changed=false
if [ "$want" != "$(jq . "$daemon_json")" ]; then
  printf '%s\n' "$want" >"$daemon_json"
  config_changed=true
  log "registered the runc wrapper in $daemon_json"
fi

# 3. dockerd: start it when no engine answers (no systemd as PID 1 here); reload the runtime list otherwise.
if docker info >/dev/null 2>&1; then
  if $config_changed; then
    pid=$(pidof dockerd || true)
    [ -n "$pid" ] && kill -HUP $pid && log "reloaded dockerd (SIGHUP)"
  fi
else
  log "starting dockerd (log: /var/log/dockerd.log)"
  nohup dockerd >>/var/log/dockerd.log 2>&1 </dev/null &
  for _ in $(seq 1 60); do docker info >/dev/null 2>&1 && break; sleep 1; done
  docker info >/dev/null 2>&1 || { tail -20 /var/log/dockerd.log >&2; echo "host:prepare: dockerd did not start" >&2; exit 1; }
fi
# Wait until the reload has taken effect (the default runtime is read from the daemon).
for _ in $(seq 1 20); do
  [ "$(docker info --format '{{.DefaultRuntime}}' 2>/dev/null)" = dsc-runc ] && break; sleep 0.5
done
[ "$(docker info --format '{{.DefaultRuntime}}')" = dsc-runc ] || { echo "host:prepare: docker did not take dsc-runc as default runtime" >&2; exit 1; }

# 4. kind needs more inotify instances than this kernel's default of 128.
sysctl -q -w fs.inotify.max_user_instances=512 fs.inotify.max_user_watches=524288

# 5. CI: blackhole the cluster's pod and Service CIDRs (kind's dual-stack defaults, both families).
if $ci; then
  for cidr in 10.244.0.0/16 10.96.0.0/16; do
    ip -4 route replace blackhole "$cidr"
  done
  for cidr in fd00:10:244::/56 fd00:10:96::/112; do
    ip -6 route replace blackhole "$cidr"
  done
  touch "$state_dir/ci-routes"
  log "blackholed pod/Service CIDRs on the host"
fi

# 6. Marker: this host builds and uses the offline node image by default.
echo offline >"$state_dir/node-image"
log "ready: docker $(docker version --format '{{.Server.Version}}'), default runtime dsc-runc, offline node image is the default"
