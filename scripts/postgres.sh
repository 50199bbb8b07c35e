#!/usr/bin/env bash
# Sourced by scripts/test.sh: start the local PostgreSQL cluster and make a superuser role for tests.
PG_VERSION=${PG_VERSION:-15}
TEST_PG_USER=cityops
TEST_PG_PASSWORD=cityops
TEST_PG_URL="postgresql+psycopg://${TEST_PG_USER}:${TEST_PG_PASSWORD}@127.0.0.1:5432/postgres"

start_test_postgres() {
  if [ -n "${CITYOPS_TEST_PG_URL:-}" ]; then TEST_PG_URL=$CITYOPS_TEST_PG_URL; return; fi
  if ! pg_lsclusters -h 2>/dev/null | grep -q "^${PG_VERSION} main"; then
    pg_createcluster "$PG_VERSION" main >/dev/null
  fi
  if ! pg_lsclusters -h | grep -q "^${PG_VERSION} main .* online"; then
    printf '\033[36m[test]\033[0m starting PostgreSQL %s\n' "$PG_VERSION"
    pg_ctlcluster --skip-systemctl-redirect "$PG_VERSION" main start
  fi
  su postgres -c "psql -qtAc \"SELECT 1 FROM pg_roles WHERE rolname='${TEST_PG_USER}'\"" | grep -q 1 ||
    su postgres -c "psql -qc \"CREATE ROLE ${TEST_PG_USER} LOGIN SUPERUSER PASSWORD '${TEST_PG_PASSWORD}'\""
  export TEST_PG_URL
}
