#!/usr/bin/env bash
# Start the whole application on one machine: broker, Celery worker and web server.
# Embedded defaults: SQLite and media under ./var; Redis if redis-server is installed
# (started here on a private port, its queue kept in an append-only file under var/redis),
# else Celery's filesystem broker. Each long-running part runs under scripts/supervise.py,
# which restarts it with back-off if it dies (logged in var/logs/supervisor.log). Ctrl-C
# stops all.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
export FER_VAR_DIR="${FER_VAR_DIR:-var}"
HOST="${HOST:-127.0.0.1}"
PORT="${PORT:-8000}"
REDIS_PORT="${REDIS_PORT:-6390}"
mkdir -p "$FER_VAR_DIR/logs"

# A bad setting stops here with one line (manage.py prints it), before anything starts.
$BIN/python manage.py migrate --noinput -v0
$BIN/python manage.py ensure_demo_admin
$BIN/python manage.py register_bundled_models

SUPERVISE=("$BIN/python" scripts/supervise.py)
SUPERVISOR_LOG="$FER_VAR_DIR/logs/supervisor.log"
pids=()
stop_all() {
  trap - EXIT INT TERM
  [ ${#pids[@]} -gt 0 ] && kill "${pids[@]}" 2>/dev/null || true
  wait 2>/dev/null || true
}
trap stop_all EXIT INT TERM

if [ -z "${REDIS_URL:-}" ] && command -v redis-server >/dev/null; then
  mkdir -p "$FER_VAR_DIR/redis"
  # Append-only file, fsync every second: a restarted broker still holds what was queued.
  "${SUPERVISE[@]}" redis "$FER_VAR_DIR/logs/redis.log" -- redis-server --port "$REDIS_PORT" --bind 127.0.0.1 \
    --save "" --appendonly yes --appendfsync everysec --dir "$FER_VAR_DIR/redis" 2>>"$SUPERVISOR_LOG" &
  pids+=($!)
  export REDIS_URL="redis://127.0.0.1:$REDIS_PORT/0"
  for _ in $(seq 50); do redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done
  echo "Broker: redis-server on port $REDIS_PORT"
else
  echo "Broker: ${REDIS_URL:-embedded filesystem broker in $FER_VAR_DIR/celery}"
fi

# One local worker serves both queues: predictions (cpu) and training (gpu).
"${SUPERVISE[@]}" worker "$FER_VAR_DIR/logs/worker.log" -- \
  $BIN/celery -A worker.celery_app worker -Q cpu,gpu --concurrency "${WORKER_CONCURRENCY:-2}" \
  -n "local@%h" --loglevel INFO 2>>"$SUPERVISOR_LOG" &
pids+=($!)

# The filesystem broker locks its files per process, not per thread: one thread a process then.
if [ -n "${REDIS_URL:-}" ]; then web_threads=4; else web_threads=1; fi
"${SUPERVISE[@]}" web "$FER_VAR_DIR/logs/web.log" -- \
  $BIN/gunicorn webapp.wsgi --bind "$HOST:$PORT" --workers 3 --threads "$web_threads" --timeout 120 \
  --access-logfile "$FER_VAR_DIR/logs/access.log" --error-logfile "$FER_VAR_DIR/logs/web.log" 2>>"$SUPERVISOR_LOG" &
pids+=($!)

echo "Web: http://$HOST:$PORT/   (health: http://$HOST:$PORT/health/, logs in $FER_VAR_DIR/logs)"
echo "Press Ctrl-C to stop. A part that dies is restarted (see $SUPERVISOR_LOG)."
# The supervisors only exit when told to; if one does anyway, stop the rest with it.
wait -n "${pids[@]}"
echo "A supervisor stopped; shutting down (see $FER_VAR_DIR/logs)." >&2
exit 1
