#!/usr/bin/env bash
# Set up everything cityops needs, from nothing; re-running is fast and changes nothing.
#   scripts/bootstrap.sh          Python venv + dependencies (+ npm front-end packages when present)
#   scripts/bootstrap.sh --test   also the services the test suite uses (PostgreSQL from apt)
set -euo pipefail
cd "$(dirname "$0")/.."

want_test=0
[ "${1:-}" = "--test" ] && want_test=1

log() { printf '\033[36m[bootstrap]\033[0m %s\n' "$*"; }

# -- Python -------------------------------------------------------------------------------------------
PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  log "creating .venv with $($PYTHON --version)"
  $PYTHON -m venv .venv
fi
stamp=.venv/.cityops-installed
want=$(sha256sum pyproject.toml | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  log "installing Python dependencies"
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e '.[dev]'
  echo "$want" > "$stamp"
fi

# -- front-end packages (npm, at build time; never committed) -------------------------------------------
if [ -f package.json ]; then
  npm_stamp=node_modules/.cityops-installed
  npm_want=$(cat package.json package-lock.json 2>/dev/null | sha256sum | cut -d' ' -f1)
  if [ ! -f "$npm_stamp" ] || [ "$(cat "$npm_stamp")" != "$npm_want" ]; then
    log "installing front-end packages from npm"
    npm ci --no-audit --no-fund --loglevel=error
    echo "$npm_want" > "$npm_stamp"
  fi
  # Serve the built files from the package's static folder (ignored by git).
  vendor=src/cityops/web/static/vendor
  mkdir -p "$vendor"
  for f in node_modules/echarts/dist/echarts.min.js node_modules/htmx.org/dist/htmx.min.js \
           node_modules/swagger-ui-dist/swagger-ui-bundle.js node_modules/swagger-ui-dist/swagger-ui.css \
           node_modules/redoc/bundles/redoc.standalone.js; do  # /docs and /redoc work offline
    cmp -s "$f" "$vendor/$(basename "$f")" || cp "$f" "$vendor/"
  done
fi

[ "$want_test" = 1 ] || exit 0

# -- system packages for the tests ------------------------------------------------------------------------
apt_pkgs=()
command -v pg_ctlcluster >/dev/null 2>&1 || apt_pkgs+=(postgresql)
[ -x /usr/bin/chromium ] || apt_pkgs+=(chromium)
[ -x /usr/sbin/mosquitto ] || apt_pkgs+=(mosquitto)
fc-list 2>/dev/null | grep -qi "WenQuanYi Micro Hei" || apt_pkgs+=(fonts-wqy-microhei)
if [ ${#apt_pkgs[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "missing system packages: ${apt_pkgs[*]} (run as root, or install them)" >&2
    exit 1
  fi
  log "installing from apt: ${apt_pkgs[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${apt_pkgs[@]}" >/dev/null
fi
