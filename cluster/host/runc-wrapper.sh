#!/bin/sh
# Registered as docker's default runtime by host-prepare.sh. This host's capability bounding set lacks
# CAP_SYS_RESOURCE, so runc fails to grant it to privileged containers ("unable to apply caps").
# Remove that one capability from the OCI bundle config (create/run) or the process spec (exec), then run runc.
set -eu
real_runc=${DSC_REAL_RUNC:-/usr/sbin/runc}

strip_cap() { # $1: JSON file, $2: jq path of the capabilities object
  [ -f "$1" ] || return 0
  tmp="$1.dsc.$$"
  jq "if $2 then $2 |= with_entries(.value |= (if type == \"array\" then map(select(. != \"CAP_SYS_RESOURCE\")) else . end)) else . end" \
    "$1" >"$tmp" && mv "$tmp" "$1"
}

cmd="" bundle="" process="" prev=""
for arg in "$@"; do
  case "$prev" in
    --bundle|-b) bundle=$arg ;;
    --process|-p) process=$arg ;;
  esac
  case "$arg" in
    --bundle=*) bundle=${arg#--bundle=} ;;
    --process=*) process=${arg#--process=} ;;
    create|run|exec) [ -z "$cmd" ] && cmd=$arg ;;
  esac
  prev=$arg
done

case "$cmd" in
  create|run) strip_cap "${bundle:-.}/config.json" '.process.capabilities' ;;
  exec) [ -n "$process" ] && strip_cap "$process" '.capabilities' ;;
esac
exec "$real_runc" "$@"
