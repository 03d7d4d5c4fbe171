# Shared helpers of scripts/run-local and scripts/test: install what a fresh machine lacks.
# Sourced, not run.

log() { printf '\n==> %s\n' "$*" >&2; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

apt_updated=""
apt_install() {
  if [ -z "$apt_updated" ]; then
    as_root apt-get update -qq >/dev/null
    apt_updated=1
  fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

# The mold linker: .cargo/config.toml links x86_64 binaries with it (20 binaries link the AWS SDK).
ensure_mold() {
  command -v mold >/dev/null 2>&1 && return
  log "installing the mold linker (Debian package)"
  apt_install mold
}

ensure_rust() {
  if ! command -v cargo >/dev/null 2>&1; then
    echo "cargo is not installed: install the Rust toolchain (rustup) first" >&2
    exit 1
  fi
  rustup component add clippy rustfmt >/dev/null 2>&1 || true
}

# cargo-deny (licenses, bans, duplicate versions, sources, advisories), pinned; a fresh machine
# compiles it once (several minutes on 2 cores).
CARGO_DENY_VERSION=0.20.2
ensure_cargo_deny() {
  if cargo deny --version 2>/dev/null | grep -q "$CARGO_DENY_VERSION"; then return; fi
  log "installing cargo-deny $CARGO_DENY_VERSION (cargo install --locked)"
  cargo install cargo-deny --locked --version "$CARGO_DENY_VERSION" --quiet
}

# Dependency hygiene (deny.toml). The RustSec advisory database is a git repository on GitHub:
# where it can be fetched (or a copy is already in ~/.cargo/advisory-dbs), advisories are checked
# too; offline they are skipped with a notice, never silently.
run_cargo_deny() {
  local checks=(bans licenses sources)
  if cargo deny fetch db >/dev/null 2>&1; then
    checks+=(advisories)
  else
    log "cargo deny: the advisory database cannot be fetched (offline); advisories not checked this run"
  fi
  cargo deny --log-level warn check "${checks[@]}"
}

# A Python virtualenv for the AWS tooling (SAM CLI, cfn-lint, checkov, moto, cargo-lambda, zig).
OMS_VENV="${OMS_VENV:-$PWD/.venv}"
ensure_venv() {
  if [ ! -x "$OMS_VENV/bin/python" ]; then
    log "creating the Python virtualenv $OMS_VENV"
    python3 -m venv "$OMS_VENV"
    "$OMS_VENV/bin/pip" install -q --upgrade pip
  fi
}

pg_bin_dir() {
  local dir
  for dir in /usr/lib/postgresql/*/bin; do
    [ -x "$dir/initdb" ] && { echo "$dir"; return; }
  done
  command -v initdb >/dev/null 2>&1 && dirname "$(command -v initdb)"
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# Prints the base URL that `oms-local serve|data-api --port 0 --ready-file FILE` (process PID)
# writes to FILE once it is bound (written whole: a FILE that exists is complete). Fails, showing
# LOG, when the process exits first or is not ready within 30 s.
wait_ready() {
  local file="$1" pid="$2" log="$3"
  for _ in $(seq 1 300); do
    if [ -f "$file" ]; then
      cat "$file"
      return 0
    fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  cat "$log" >&2
  echo "the local server did not start" >&2
  return 1
}

# Starts a throwaway PostgreSQL cluster on a free loopback port and exports OMS_TEST_POSTGRES_URL.
# It never touches a server that may already run on this machine.
start_test_postgres() {
  local bin
  bin="$(pg_bin_dir)"
  if [ -z "$bin" ]; then
    log "installing PostgreSQL (Debian package)"
    apt_install postgresql
    bin="$(pg_bin_dir)"
  fi
  PG_DIR="$(mktemp -d /tmp/oms-test-pg.XXXXXX)"
  PG_PORT="$(free_port)"
  local run=()
  if [ "$(id -u)" = 0 ]; then
    id postgres >/dev/null 2>&1 || as_root useradd --system --home "$PG_DIR" postgres
    chown postgres "$PG_DIR"
    run=(runuser -u postgres --)
  fi
  # Its sessions' default `timezone` is not UTC (+05:45), as an existing Aurora cluster's parameter
  # group may have it: every store, the Data API stand-in and the production end-to-end tests run
  # on it, so an instant that depended on the session's zone would be hours off in them.
  log "starting a test PostgreSQL on 127.0.0.1:$PG_PORT ($("$bin/postgres" --version), timezone Asia/Kathmandu)"
  "${run[@]}" "$bin/initdb" -D "$PG_DIR/data" -U postgres --auth=trust -E UTF8 --no-locale >/dev/null
  "${run[@]}" "$bin/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 60 \
    -o "-h 127.0.0.1 -p $PG_PORT -k $PG_DIR -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200 -c timezone=Asia/Kathmandu" start >/dev/null
  PG_STOP=("${run[@]}" "$bin/pg_ctl" -D "$PG_DIR/data" -m immediate stop)
  export OMS_TEST_POSTGRES_URL="postgres://postgres@127.0.0.1:$PG_PORT/postgres"
}

stop_test_postgres() {
  if [ -n "${PG_DIR:-}" ]; then
    "${PG_STOP[@]}" >/dev/null 2>&1 || true
    rm -rf "$PG_DIR"
  fi
}

# moto's server: the real-protocol stand-in for DynamoDB, S3, SQS and Cognito. Exports
# OMS_TEST_MOTO_URL.
start_moto() {
  ensure_venv
  if [ ! -x "$OMS_VENV/bin/moto_server" ]; then
    log "installing moto[server] (PyPI)"
    "$OMS_VENV/bin/pip" install -q 'moto[server]'
  fi
  MOTO_PORT="$(free_port)"
  MOTO_LOG="$(mktemp /tmp/oms-moto.XXXXXX.log)"
  "$OMS_VENV/bin/moto_server" -H 127.0.0.1 -p "$MOTO_PORT" >"$MOTO_LOG" 2>&1 &
  MOTO_PID=$!
  for _ in $(seq 1 100); do
    if curl -fsS "http://127.0.0.1:$MOTO_PORT/moto-api/" >/dev/null 2>&1; then
      break
    fi
    sleep 0.2
  done
  curl -fsS "http://127.0.0.1:$MOTO_PORT/moto-api/" >/dev/null || { cat "$MOTO_LOG" >&2; echo "moto did not start" >&2; exit 1; }
  log "moto server on 127.0.0.1:$MOTO_PORT"
  export OMS_TEST_MOTO_URL="http://127.0.0.1:$MOTO_PORT"
  # Tests that stop and restart a moto of their own (tests/it/faults_under_load.rs) start this one.
  export OMS_TEST_MOTO_SERVER="$OMS_VENV/bin/moto_server"
}

stop_moto() {
  if [ -n "${MOTO_PID:-}" ]; then
    kill "$MOTO_PID" >/dev/null 2>&1 || true
    rm -f "$MOTO_LOG"
  fi
}

# cargo-lambda and zig (PyPI) and the aarch64 standard library, for `sam build`. SAM's
# rust-cargolambda builder runs zig through the `python` first on PATH, so the venv goes first.
ensure_lambda_tooling() {
  ensure_venv
  if [ ! -x "$OMS_VENV/bin/cargo-lambda" ] || [ ! -x "$OMS_VENV/bin/sam" ] || ! "$OMS_VENV/bin/python" -c 'import ziglang' 2>/dev/null; then
    log "installing cargo-lambda, ziglang and aws-sam-cli (PyPI)"
    "$OMS_VENV/bin/pip" install -q cargo-lambda ziglang aws-sam-cli
  fi
  rustup target add aarch64-unknown-linux-gnu >/dev/null 2>&1 || true
  command -v file >/dev/null 2>&1 || apt_install file
  export PATH="$OMS_VENV/bin:$PATH"
  export SAM_CLI_TELEMETRY=0
}

# Schemathesis and the OpenAPI 3.1 validator (PyPI, pinned), for scripts/fuzz-api, in a virtualenv of
# their own on the newest CPython 3.12+ the machine has: CPython 3.11.7's ast.parse raises "AST
# constructor recursion depth mismatch" inside Hypothesis during Schemathesis' coverage phase.
SCHEMATHESIS_VERSION=4.32.5
OPENAPI_SPEC_VALIDATOR_VERSION=0.9.0
OMS_FUZZ_VENV="${OMS_FUZZ_VENV:-$PWD/.venv-fuzz}"
fuzz_python() {
  local candidate
  for candidate in python3.13 python3.12; do
    if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c 'import venv' >/dev/null 2>&1; then
      command -v "$candidate"
      return
    fi
  done
  for candidate in $(ls -d "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.1[2-9]* 2>/dev/null | sort -V -r); do
    if [ -x "$candidate/bin/python3" ]; then
      echo "$candidate/bin/python3"
      return
    fi
  done
  command -v python3
}
ensure_fuzz_tooling() {
  if [ ! -x "$OMS_FUZZ_VENV/bin/python" ]; then
    local python
    python="$(fuzz_python)"
    log "creating the fuzzing virtualenv $OMS_FUZZ_VENV ($("$python" --version))"
    "$python" -m venv "$OMS_FUZZ_VENV"
  fi
  local have_schemathesis have_validator
  have_schemathesis="$("$OMS_FUZZ_VENV/bin/schemathesis" --version 2>/dev/null || true)"
  have_validator="$("$OMS_FUZZ_VENV/bin/pip" show openapi-spec-validator 2>/dev/null || true)"
  if [[ "$have_schemathesis" != *"version $SCHEMATHESIS_VERSION" ]] \
    || [[ "$have_validator" != *"Version: $OPENAPI_SPEC_VALIDATOR_VERSION"* ]]; then
    log "installing schemathesis $SCHEMATHESIS_VERSION and openapi-spec-validator $OPENAPI_SPEC_VALIDATOR_VERSION (PyPI)"
    "$OMS_FUZZ_VENV/bin/pip" install -q "schemathesis==$SCHEMATHESIS_VERSION" "openapi-spec-validator==$OPENAPI_SPEC_VALIDATOR_VERSION"
  fi
}

# The web console (console/, TypeScript + Preact, built by Vite): `npm ci` when package-lock.json
# changed since the last install, and a build when any source is newer than console/dist.
ensure_console_built() {
  if ! command -v npm >/dev/null 2>&1; then
    log "installing Node.js and npm (Debian packages)"
    apt_install nodejs npm
  fi
  local dir="$PWD/console"
  if [ ! -f "$dir/node_modules/.package-lock.json" ] || [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
    log "npm ci (console)"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
  fi
  if [ ! -f "$dir/dist/index.html" ] \
    || [ -n "$(find "$dir/src" "$dir/public" "$dir/scripts" "$dir/index.html" "$dir/vite.config.ts" "$dir/package.json" "$dir/package-lock.json" -newer "$dir/dist/index.html" -print -quit)" ]; then
    log "building the console (tsc, vite build)"
    (cd "$dir" && npm run --silent build)
  fi
}

# Debian's Chromium for the console's browser tests (never a browser download).
ensure_chromium() {
  [ -x /usr/bin/chromium ] && return
  log "installing Chromium (Debian package)"
  apt_install chromium
}
