#!/usr/bin/env bash
# Start the development web server and the django-q2 worker together.
# Ctrl-C (SIGINT) or SIGTERM stops both; if either one exits, the other is
# stopped too and the script exits non-zero.
#
# Normally started by `make run` (which creates the venv, installs, migrates
# and loads the demo data first).
#
# Environment knobs:
#   VENV      virtualenv to use (default .venv)
#   DEV_ADDR  runserver address (default 127.0.0.1:8000)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

VENV="${VENV:-.venv}"
# Development defaults: debug pages and static files served by runserver.
export DEBUG="${DEBUG:-1}"
PY="$VENV/bin/python"
ADDR="${DEV_ADDR:-127.0.0.1:8000}"
BASE="http://$ADDR"
GRACE_SECONDS=10

if [ ! -x "$PY" ]; then
    echo "run_dev: $PY not found; run 'make run' (or 'make install') first" >&2
    exit 1
fi

if [ -n "${REDIS_URL:-}" ]; then
    BROKER="Redis ($REDIS_URL)"
else
    BROKER="the database (ORM broker; set REDIS_URL to use Redis)"
fi

cat <<EOF

==========================================================================
 DealerOps development server
--------------------------------------------------------------------------
 Staff portal     $BASE/portal/
 Owner mobile     $BASE/m/
 Django admin     $BASE/admin/
 API docs         $BASE/api/docs/

 Demo logins (password for all: dealerops-demo)
   admin            superuser (also /admin/)
   hq               group head office
   s01_manager      store manager
   s01_consultant   sales consultant
   s01_dcc          DCC / call centre
   s01_insurance    insurance desk
   s01_usedcar      used-car desk

 Car owners sign in on $BASE/m/ with a demo mobile number.
 The local SMS backend prints the verification code in this console and
 stores it in the outbox at $BASE/portal/outbox/ .

 Task queue: django-q2 worker (qcluster) using $BROKER
 Press Ctrl-C to stop both the web server and the worker.
==========================================================================

EOF

# Job control: each child gets its own process group, so stopping it also
# stops whatever it spawned (runserver's autoreloader child, qcluster's workers).
set -m

"$PY" manage.py runserver "$ADDR" &
WEB_PID=$!
"$PY" manage.py qcluster &
WORKER_PID=$!
# Back to no job control: no job notices, and Ctrl-C reaches this script
# (the children are in their own groups and are stopped by the trap below).
set +m

STOPPING=0
stop_children() {
    [ "$STOPPING" -eq 0 ] || return 0
    STOPPING=1
    local pid
    # runserver: the whole group (autoreloader + child). qcluster: only its
    # main process, whose sentinel stops the workers in order (signalling the
    # whole group makes every worker race to shut down and hang).
    kill -TERM -- "-$WEB_PID" 2>/dev/null || kill -TERM "$WEB_PID" 2>/dev/null || true
    kill -INT "$WORKER_PID" 2>/dev/null || true
    # Give them a moment to shut down cleanly, then force.
    local waited=0
    while [ "$waited" -lt $((GRACE_SECONDS * 10)) ]; do
        if ! kill -0 -- "-$WEB_PID" 2>/dev/null && ! kill -0 -- "-$WORKER_PID" 2>/dev/null; then
            break
        fi
        sleep 0.1
        waited=$((waited + 1))
    done
    for pid in "$WEB_PID" "$WORKER_PID"; do
        if kill -0 -- "-$pid" 2>/dev/null; then
            echo "run_dev: process group $pid did not stop in ${GRACE_SECONDS}s; killing it" >&2
            kill -KILL -- "-$pid" 2>/dev/null || true
        fi
    done
    wait "$WEB_PID" "$WORKER_PID" 2>/dev/null || true
}

on_signal() {
    local code="$1"
    echo >&2
    echo "run_dev: stopping web server and worker..." >&2
    stop_children
    exit "$code"
}
trap 'on_signal 130' INT
trap 'on_signal 143' TERM
trap 'on_signal 129' HUP
trap 'stop_children' EXIT

# Wait until either child exits (a trapped signal also ends the wait).
set +e
wait -n "$WEB_PID" "$WORKER_PID"
status=$?
set -e

if ! kill -0 "$WEB_PID" 2>/dev/null; then
    echo "run_dev: the web server exited (status $status); stopping the worker" >&2
else
    echo "run_dev: the worker exited (status $status); stopping the web server" >&2
fi
stop_children
[ "$status" -ne 0 ] || status=1
exit "$status"
