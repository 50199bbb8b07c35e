#!/usr/bin/env bash
# The README's test command (make test): lint, types, then the whole suite on SQLite and on PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh --test
source scripts/postgres.sh
start_test_postgres

log() { printf '\033[36m[test]\033[0m %s\n' "$*"; }

# pytest exits 5 when nothing was collected: that is a failure here, not a pass.
run_pytest() {
  local label=$1; shift
  log "pytest on $label"
  set +e
  .venv/bin/python -m pytest "$@"
  local rc=$?
  set -e
  if [ $rc -eq 5 ]; then echo "pytest collected no tests on $label" >&2; exit 1; fi
  [ $rc -eq 0 ] || exit $rc
}

log "ruff"
.venv/bin/ruff check src tests scripts
.venv/bin/ruff format --check src tests scripts
log "mypy (strict on src/, checked on tests/)"
.venv/bin/mypy
log "import contract (the layering of docs/architecture.md)"
.venv/bin/lint-imports

run_pytest sqlite "$@"
CITYOPS_TEST_DATABASE_URL="$TEST_PG_URL" run_pytest postgresql "$@"
log "all green on SQLite and PostgreSQL"
