#!/usr/bin/env bash
# Starts a throwaway Redis for the tests (docs/adr/0013-redis-counters.md) and prints the one line the tests
# read: export SWITCHYARD_TEST_REDIS=127.0.0.1:PORT. Idempotent: installs the Debian package only when no
# server binary is there, starts our own server only when nothing answers on the port.
# Everything but the export line goes to stderr.
# The server is our own (not Debian's systemd unit): loopback only, no persistence (no RDB, no AOF), daemonized,
# running as the "redis" user the package creates, so it works on a machine without systemd.
set -euo pipefail

PORT="${SWITCHYARD_REDIS_PORT:-56379}"
DIR="${SWITCHYARD_REDIS_DIR:-/var/tmp/switchyard-redis}"

log() { echo "redis.sh: $*" >&2; }

if ! command -v redis-server >/dev/null 2>&1 || ! command -v redis-cli >/dev/null 2>&1; then
  log "installing redis-server"
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >&2
fi

answers() { [ "$(redis-cli -h 127.0.0.1 -p "$PORT" ping 2>/dev/null)" = "PONG" ]; }

if ! answers; then
  mkdir -p "$DIR"
  as=()
  if [ "$(id -u)" -eq 0 ] && id redis >/dev/null 2>&1; then
    chown redis "$DIR"
    as=(runuser -u redis --)
  fi
  log "starting redis-server on 127.0.0.1:$PORT (no persistence)"
  "${as[@]}" redis-server --bind 127.0.0.1 --port "$PORT" --protected-mode yes --save "" --appendonly no \
    --dir "$DIR" --daemonize yes --logfile "$DIR/redis.log" --pidfile "$DIR/redis.pid" >&2
fi

for _ in $(seq 1 100); do
  answers && break
  sleep 0.1
done
answers || { log "redis-server did not answer within 10 s; see $DIR/redis.log"; exit 1; }

echo "export SWITCHYARD_TEST_REDIS=127.0.0.1:$PORT"
