#!/usr/bin/env bash
# Start the local PostgreSQL and Redis servers if they are installed and down (this is how the
# project's images start them). Loopback only. A server that is not installed, or does not start,
# is reported in one line and left out: `make test` then skips the tests that need it. On CI
# (CI=true) every server must run, so each of those lines is an error.
set -uo pipefail

problems=0
report() {
    echo "$1"
    problems=$((problems + 1))
}

if ! command -v pg_isready >/dev/null 2>&1 || ! command -v pg_ctlcluster >/dev/null 2>&1; then
    report "PostgreSQL is not installed: make test (SQLite) runs without it; make test-postgres needs it."
elif ! pg_isready -q -h 127.0.0.1 -p 5432; then
    echo "Starting PostgreSQL"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n 1)" main start
    for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
    pg_isready -q -h 127.0.0.1 -p 5432 \
        || report "PostgreSQL did not start on 127.0.0.1:5432: make test-postgres needs it."
fi

if ! command -v redis-server >/dev/null 2>&1 || ! command -v redis-cli >/dev/null 2>&1; then
    report "Redis is not installed: make test skips the tests that need it."
elif ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
    echo "Starting Redis"
    mkdir -p /var/lib/redis /var/log/redis
    redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
        --dir /var/lib/redis --logfile /var/log/redis/ci.log
    for _ in $(seq 1 10); do redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && break; sleep 0.5; done
    redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 \
        || report "Redis did not start on 127.0.0.1:6379: make test skips the tests that need it."
fi

if [[ $problems -gt 0 && "${CI:-}" == "true" ]]; then
    echo "CI=true: PostgreSQL and Redis must both run." >&2
    exit 1
fi
exit 0
