#!/usr/bin/env bash
# Run a command against a throwaway PostgreSQL cluster.
#
#   scripts/pg_throwaway.sh <command> [args...]
#
# Creates a cluster in a fresh temporary folder (initdb, trust auth, superuser
# "postgres"), starts it on a free loopback port, creates the database
# "dealerops", runs the command with DATABASE_URL (and PGHOST/PGPORT/PGUSER/
# PGDATABASE) pointing at it, then stops the cluster and deletes the folder.
# The command's exit status is preserved.
#
# If the PostgreSQL server binaries cannot be found, Debian's "postgresql"
# package is installed with apt-get (as root, or through sudo).
# PostgreSQL refuses to run as root: when run as root the cluster belongs to the
# "postgres" system user (created by the Debian package; an unprivileged system
# user "pgthrowaway" is created when it does not exist).
#
# Environment knobs:
#   PG_BINDIR         directory holding initdb/pg_ctl/postgres (auto-detected)
#   PG_THROWAWAY_PORT first port to try (default 55432)
#   PG_THROWAWAY_DB   database to create (default dealerops)
set -euo pipefail

log() { printf 'pg_throwaway: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

if [ "$#" -eq 0 ]; then
    echo "usage: $0 <command> [args...]" >&2
    exit 2
fi

DB_NAME="${PG_THROWAWAY_DB:-dealerops}"
FIRST_PORT="${PG_THROWAWAY_PORT:-55432}"

# --------------------------------------------------------------------------
# Locate (or install) the server binaries.
# --------------------------------------------------------------------------
find_bindir() {
    local candidate dir
    if [ -n "${PG_BINDIR:-}" ] && [ -x "$PG_BINDIR/initdb" ]; then
        echo "$PG_BINDIR"
        return 0
    fi
    # initdb on PATH (may be a symlink into /usr/lib/postgresql/<ver>/bin).
    if candidate="$(command -v initdb 2>/dev/null)"; then
        dir="$(dirname "$(readlink -f "$candidate")")"
        if [ -x "$dir/pg_ctl" ] && [ -x "$dir/postgres" ]; then
            echo "$dir"
            return 0
        fi
    fi
    # Debian layout: newest version first.
    for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -rV); do
        if [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ]; then
            echo "$dir"
            return 0
        fi
    done
    return 1
}

as_root() {
    if [ "$(id -u)" -eq 0 ]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        if [ -t 0 ]; then sudo "$@"; else sudo -n "$@"; fi
    else
        return 1
    fi
}

install_postgresql() {
    command -v apt-get >/dev/null 2>&1 ||
        die "PostgreSQL server binaries not found and apt-get is not available; install PostgreSQL (initdb, pg_ctl) or set PG_BINDIR"
    if [ "$(id -u)" -ne 0 ] && ! command -v sudo >/dev/null 2>&1; then
        die "PostgreSQL server binaries not found; run as root (or install sudo) so Debian's 'postgresql' package can be installed, or install it yourself: apt-get install postgresql"
    fi
    log "PostgreSQL server binaries not found; installing Debian's 'postgresql' package"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update ||
        die "apt-get update failed"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql ||
        die "apt-get install postgresql failed"
}

if ! BINDIR="$(find_bindir)"; then
    install_postgresql
    BINDIR="$(find_bindir)" || die "postgresql installed but initdb/pg_ctl still not found under /usr/lib/postgresql/*/bin"
fi

# Client tools: prefer the ones next to the server, fall back to PATH.
client() {
    local tool="$1"
    shift
    if [ -x "$BINDIR/$tool" ]; then "$BINDIR/$tool" "$@"; else "$tool" "$@"; fi
}

# --------------------------------------------------------------------------
# Who owns the cluster.
# --------------------------------------------------------------------------
RUN_AS=""
if [ "$(id -u)" -eq 0 ]; then
    if id postgres >/dev/null 2>&1; then
        RUN_AS=postgres
    else
        RUN_AS=pgthrowaway
        if ! id "$RUN_AS" >/dev/null 2>&1; then
            log "creating system user $RUN_AS (PostgreSQL will not run as root)"
            useradd --system --no-create-home --home-dir /nonexistent \
                --shell /usr/sbin/nologin "$RUN_AS" ||
                die "could not create system user $RUN_AS"
        fi
    fi
fi

# Run a server-side command as the cluster owner, from a directory it can read.
as_owner() {
    if [ -n "$RUN_AS" ]; then
        if command -v runuser >/dev/null 2>&1; then
            (cd / && runuser -u "$RUN_AS" -- "$@")
        else
            (cd / && su -s /bin/sh "$RUN_AS" -c "$(printf '%q ' "$@")")
        fi
    else
        "$@"
    fi
}

# --------------------------------------------------------------------------
# Create the cluster.
# --------------------------------------------------------------------------
if [ -n "$RUN_AS" ]; then
    # $TMPDIR may not be reachable by the cluster owner; /tmp always is.
    TMP_PARENT=/tmp
else
    TMP_PARENT="${TMPDIR:-/tmp}"
fi
PGROOT="$(mktemp -d "$TMP_PARENT/pg_throwaway.XXXXXX")"
PGDATA_DIR="$PGROOT/data"
PGLOG="$PGROOT/server.log"
STARTED=0

cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    if [ "$STARTED" -eq 1 ]; then
        if ! as_owner "$BINDIR/pg_ctl" -D "$PGDATA_DIR" -m fast -w -t 30 stop >/dev/null 2>&1; then
            log "fast shutdown failed; forcing"
            as_owner "$BINDIR/pg_ctl" -D "$PGDATA_DIR" -m immediate -w -t 10 stop >/dev/null 2>&1 || true
            if [ -f "$PGDATA_DIR/postmaster.pid" ]; then
                kill -KILL "$(head -n1 "$PGDATA_DIR/postmaster.pid")" 2>/dev/null || true
            fi
        fi
    fi
    rm -rf "$PGROOT"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if [ -n "$RUN_AS" ]; then
    chown "$RUN_AS" "$PGROOT"
fi
chmod 700 "$PGROOT"

LOCALE_ARGS=(--no-locale)
if locale -a 2>/dev/null | grep -qiE '^c\.utf-?8$'; then
    LOCALE_ARGS=(--locale=C.UTF-8)
fi

log "initdb ($BINDIR) in $PGROOT"
if ! as_owner "$BINDIR/initdb" -D "$PGDATA_DIR" -U postgres --auth=trust \
    -E UTF8 "${LOCALE_ARGS[@]}" >"$PGROOT/initdb.log" 2>&1; then
    cat "$PGROOT/initdb.log" >&2 || true
    die "initdb failed"
fi

port_busy() {
    # Something already listens on 127.0.0.1:$1?
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

PORT="$FIRST_PORT"
for attempt in 1 2 3 4 5 6 7 8 9 10; do
    while port_busy "$PORT"; do
        PORT=$((PORT + 1))
    done
    if as_owner "$BINDIR/pg_ctl" -D "$PGDATA_DIR" -l "$PGLOG" -w -t 60 \
        -o "-p $PORT -c listen_addresses=127.0.0.1 -k $PGROOT -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
        start >/dev/null 2>&1; then
        STARTED=1
        break
    fi
    # Lost a race for the port (or something else went wrong): show why, retry.
    tail -n 5 "$PGLOG" >&2 2>/dev/null || true
    PORT=$((PORT + 1))
done
[ "$STARTED" -eq 1 ] || die "could not start PostgreSQL (see messages above)"

log "$("$BINDIR/postgres" --version) running on 127.0.0.1:$PORT (data in $PGROOT)"

client createdb -h 127.0.0.1 -p "$PORT" -U postgres "$DB_NAME" ||
    die "could not create database $DB_NAME"

export DATABASE_URL="postgres://postgres@127.0.0.1:$PORT/$DB_NAME"
export PGHOST=127.0.0.1 PGPORT="$PORT" PGUSER=postgres PGDATABASE="$DB_NAME"
unset PGPASSWORD PGSERVICE

set +e
"$@"
status=$?
set -e
exit "$status"
