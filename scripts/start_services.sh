#!/usr/bin/env bash
# Start the local PostgreSQL, Redis and IMAP (Dovecot) servers if they are installed and down (this
# is how the project's images start them). Loopback only. A server that is not installed, or does not start,
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

# Dovecot: the IMAP server the mailbox tests read replies from (127.0.0.1:1143, user crm, password
# crm, plain authentication without TLS: loopback only). Its configuration, users and mail live in
# $IMAP_TEST_DIR, written here, not in /etc/dovecot.
IMAP_TEST_DIR="${IMAP_TEST_DIR:-/var/tmp/igv-dovecot}"
imap_up() { (exec 3<>/dev/tcp/127.0.0.1/1143) 2>/dev/null; }
if ! command -v dovecot >/dev/null 2>&1; then
    report "Dovecot is not installed (make dovecot): make test skips the tests that need IMAP."
elif ! imap_up; then
    echo "Starting Dovecot (IMAP)"
    mkdir -p "$IMAP_TEST_DIR/run" "$IMAP_TEST_DIR/state" "$IMAP_TEST_DIR/home"
    mail_user="$(id -un)"
    [[ "$(id -u)" == "0" ]] && mail_user=mail
    chown "$mail_user" "$IMAP_TEST_DIR/home"
    echo "crm:{PLAIN}crm::::::" >"$IMAP_TEST_DIR/users"
    cat >"$IMAP_TEST_DIR/dovecot.conf" <<CONF
protocols = imap
listen = 127.0.0.1
base_dir = $IMAP_TEST_DIR/run
state_dir = $IMAP_TEST_DIR/state
log_path = $IMAP_TEST_DIR/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
first_valid_uid = 1
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u $IMAP_TEST_DIR/users
}
userdb {
  driver = static
  args = uid=$mail_user gid=$(id -gn "$mail_user") home=$IMAP_TEST_DIR/home/%u
}
mail_location = maildir:~/Maildir
# Test mail only: no fsync, so that delivering a thousand messages takes a second, not a minute.
mail_fsync = never
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = 1143
  }
  inet_listener imaps {
    port = 0
  }
}
service pop3-login {
  inet_listener pop3 {
    port = 0
  }
}
CONF
    dovecot -c "$IMAP_TEST_DIR/dovecot.conf"
    for _ in $(seq 1 20); do imap_up && break; sleep 0.5; done
    imap_up \
        || report "Dovecot did not start on 127.0.0.1:1143: make test skips the tests that need IMAP."
fi

if [[ $problems -gt 0 && "${CI:-}" == "true" ]]; then
    echo "CI=true: PostgreSQL, Redis and Dovecot must all run." >&2
    exit 1
fi
exit 0
