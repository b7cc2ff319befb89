#!/usr/bin/env bash
# Start the local PostgreSQL cluster when the tests need it and it is down. The suite itself decides
# what a missing server means: skipped locally, a failure with CI=true.
set -uo pipefail
url="${FUND_LEDGER_TEST_PG_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/postgres}"
case "$url" in *@127.0.0.1:5432/*|*@localhost:5432/*) ;; *) exit 0 ;; esac
command -v pg_isready >/dev/null || exit 0
pg_isready -q -h 127.0.0.1 -p 5432 && exit 0
if [ -d /etc/postgresql ] && command -v pg_ctlcluster >/dev/null; then
  version=$(ls /etc/postgresql | sort -V | tail -n 1)
  echo "starting PostgreSQL $version"
  pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && exit 0; sleep 1; done
fi
echo "PostgreSQL is not running on 127.0.0.1:5432" >&2
exit 0
