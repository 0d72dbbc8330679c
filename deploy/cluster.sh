#!/usr/bin/env bash
# Start N assistant instances (one worker each) and nginx in front of them, all on 127.0.0.1,
# all on the same index folder (ASSISTANT_INDEX_DIR). Stops everything on Ctrl-C or TERM.
#
#   deploy/cluster.sh                    # 2 instances on 7861, 7862; nginx on 127.0.0.1:8080
#   CLUSTER_INSTANCES=3 CLUSTER_PORT=9000 deploy/cluster.sh
#
# Environment: CLUSTER_INSTANCES (2), CLUSTER_PORT (nginx, 8080), CLUSTER_FIRST_PORT (7861),
# CLUSTER_RUN_DIR (run/cluster: pid files, logs, nginx.conf), PYTHON (.venv/bin/python),
# and every ASSISTANT_* setting, which all instances share.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
INSTANCES="${CLUSTER_INSTANCES:-2}"
LISTEN_PORT="${CLUSTER_PORT:-8080}"
FIRST_PORT="${CLUSTER_FIRST_PORT:-7861}"
RUN="$(mkdir -p "${CLUSTER_RUN_DIR:-$ROOT/run/cluster}" && cd "${CLUSTER_RUN_DIR:-$ROOT/run/cluster}" && pwd)"
PYTHON="${PYTHON:-$ROOT/.venv/bin/python}"
NGINX="${NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}"

if [ ! -x "$NGINX" ]; then
  echo "nginx fehlt: installieren Sie es mit 'apt-get install nginx'." >&2
  exit 1
fi
mkdir -p "$RUN/tmp"
chmod 1777 "$RUN/tmp"  # nginx's workers may run as another user

pids=()
stop() {
  trap - EXIT INT TERM
  if [ -f "$RUN/nginx.pid" ]; then kill "$(cat "$RUN/nginx.pid")" 2>/dev/null || true; fi
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -f "$RUN"/instance-*.pid "$RUN/nginx.pid"
}
trap stop EXIT INT TERM

start_instance() {  # $1: number, $2: port
  ASSISTANT_HOST=127.0.0.1 ASSISTANT_PORT="$2" PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}" \
    "$PYTHON" -m assistant serve >"$RUN/instance-$1.log" 2>&1 &
  pids+=("$!")
  echo "$!" >"$RUN/instance-$1.pid"
  echo "$2" >"$RUN/instance-$1.port"
}
wait_until_ready() {  # $1: number, $2: port
  until curl -sf "http://127.0.0.1:$2/gesundheit" >/dev/null; do
    if ! kill -0 "$(cat "$RUN/instance-$1.pid")" 2>/dev/null; then
      echo "Instanz $1 hat sich beendet, siehe $RUN/instance-$1.log" >&2
      exit 1
    fi
    sleep 0.5
  done
}

# Without an index the first instance builds it from the corpus; the others start after it.
upstreams=""
for ((i = 1; i <= INSTANCES; i++)); do
  port=$((FIRST_PORT + i - 1))
  upstreams+="        server 127.0.0.1:$port max_fails=1 fail_timeout=5s;"$'\n'
  start_instance "$i" "$port"
  if [ "$i" = 1 ] && [ ! -e "${ASSISTANT_INDEX_DIR:-$ROOT/index}/CURRENT" ]; then
    wait_until_ready 1 "$port"
  fi
done
for ((i = 1; i <= INSTANCES; i++)); do
  wait_until_ready "$i" $((FIRST_PORT + i - 1))
done

sed -e "s|@RUN@|$RUN|g" -e "s|@LISTEN@|127.0.0.1:$LISTEN_PORT|g" \
  "$ROOT/deploy/nginx.conf.template" | awk -v ups="$upstreams" '{ if ($0 == "@UPSTREAMS@") printf "%s", ups; else print }' \
  >"$RUN/nginx.conf"
"$NGINX" -p "$RUN" -c "$RUN/nginx.conf" -g "daemon off;" &
nginx_pid=$!
pids+=("$nginx_pid")
until curl -sf "http://127.0.0.1:$LISTEN_PORT/gesundheit" >/dev/null; do
  kill -0 "$nginx_pid" 2>/dev/null || { echo "nginx startet nicht, siehe $RUN/nginx-error.log" >&2; exit 1; }
  sleep 0.2
done
echo "Bereit: http://127.0.0.1:$LISTEN_PORT/ ($INSTANCES Instanzen, Protokolle in $RUN)"
wait "$nginx_pid"  # a stopped instance does not end the cluster: nginx routes around it
