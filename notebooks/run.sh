#!/usr/bin/env bash
# Executes the research notebooks headless with the evcxr Jupyter kernel and checks them.
#
#   notebooks/run.sh                 execute every notebooks/*.ipynb in place (outputs kept)
#   notebooks/run.sh NOTEBOOK...     execute only these
#   notebooks/run.sh --self-test     check that the runner itself fails a notebook that panics,
#                                    one that misses a declared output and one that does not
#                                    compile, and passes a good one (notebooks/tests/)
#
# What it sets up when missing (a no-op once done):
#   * the kernel: `cargo install --locked evcxr_jupyter --version 0.22.0` (opt-level 1: about
#     4 minutes on 2 cores), registered with `evcxr_jupyter --install`;
#   * a Python venv with the pinned packages of notebooks/requirements.txt (nbclient; no
#     ipykernel), in $FERRAX_NB_VENV (default ~/.cache/ferrax-notebooks/venv).
#
# How it runs the kernel:
#   * EVCXR_CONFIG_DIR points at a run-only config whose init.evcxr turns off
#     `preserve_vars_on_panic`, so a panic restarts the kernel and is reported as an error
#     (with the default, evcxr 0.22 reports a panicking cell as a success);
#   * EVCXR_TMPDIR is pinned under /tmp (never beside the Rust toolchain, which breaks dlopen)
#     and shared by the notebooks, which run one after another: ferrax and its dependencies
#     compile once for the whole set and stay compiled for the next run. A lock keeps two
#     runs from using one EVCXR_TMPDIR at the same time. $FERRAX_NB_TMPDIR overrides the root.
#
# Fails (exit 1) on any error output, any "panicked at", any cell missing the output its
# metadata declares ("expect": [MIME...], "expect_text": "..."); see notebooks/execute.py.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
cd "$here"

EVCXR_VERSION=0.22.0
export PATH="$HOME/.cargo/bin:$PATH"

self_test=0
notebooks=()
for arg in "$@"; do
  case "$arg" in
    --self-test) self_test=1 ;;
    -h | --help) sed -n '2,27p' "$0"; exit 0 ;;
    *) notebooks+=("$arg") ;;
  esac
done

# --- the kernel --------------------------------------------------------------------------
if ! cargo install --list 2>/dev/null | grep -qx "evcxr_jupyter v$EVCXR_VERSION:"; then
  echo "== installing evcxr_jupyter $EVCXR_VERSION (a few minutes, once)"
  CARGO_PROFILE_RELEASE_OPT_LEVEL=1 cargo install --locked evcxr_jupyter --version "$EVCXR_VERSION"
fi
evcxr_jupyter --install >/dev/null
# evcxr builds each cell against the standard library's source.
rustup component add rust-src >/dev/null 2>&1 || true

# --- Python: nbclient in a venv ------------------------------------------------------------
venv="${FERRAX_NB_VENV:-$HOME/.cache/ferrax-notebooks/venv}"
if [ ! -x "$venv/bin/python" ] || ! cmp -s requirements.txt "$venv/ferrax-requirements.txt"; then
  echo "== creating $venv with notebooks/requirements.txt"
  python3 -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r requirements.txt
  cp requirements.txt "$venv/ferrax-requirements.txt"
fi

# --- the kernel's environment -------------------------------------------------------------
root="${FERRAX_NB_TMPDIR:-/tmp/ferrax-notebooks-$(id -u)}"
mkdir -p "$root/config"
printf ':preserve_vars_on_panic 0\n' >"$root/config/init.evcxr"
export EVCXR_CONFIG_DIR="$root/config"
export RUST_BACKTRACE=0
# No incremental compilation: ferrax (a path dependency) would otherwise build incrementally,
# slower on a cold start and a few hundred MB more on disk.
export CARGO_INCREMENTAL=0
exec 9>"$root/lock"
if ! flock -n 9; then
  echo "== waiting for another notebooks/run.sh that uses $root"
  flock 9
fi

execute() { # TMPDIR_NAME ARGS...: execute.py with its own pinned EVCXR_TMPDIR
  local dir="$root/$1"
  shift
  mkdir -p "$dir"
  EVCXR_TMPDIR="$dir" "$venv/bin/python" "$here/execute.py" "$@"
}

if [ "$self_test" = 1 ]; then
  echo "== notebooks/run.sh --self-test"
  log="$(mktemp)"
  trap 'rm -f "$log"; rm -f "$here"/tests/*.failed.ipynb' EXIT
  passed=0
  failed=0
  # NOTEBOOK WANT TEXT...: run one test notebook; WANT is PASS or FAIL, and each TEXT must
  # appear in the runner's report.
  check() {
    local nb="$1" want="$2" got=PASS text missing=""
    shift 2
    execute selftest --no-write --timeout 300 "tests/$nb" >"$log" 2>&1 || got=FAIL
    for text in "$@"; do
      grep -qF -- "$text" "$log" || missing="$missing '$text'"
    done
    if [ "$got" = "$want" ] && [ -z "$missing" ]; then
      echo "ok: tests/$nb -> $got"
      passed=$((passed + 1))
    else
      echo "WRONG: tests/$nb -> $got, expected $want; missing from the report:${missing:- nothing}"
      sed 's/^/    /' "$log"
      failed=$((failed + 1))
    fi
  }
  check passes.ipynb PASS "PASS in"
  # The panic shows twice: as an error output (the kernel restarts, because init.evcxr turned
  # off preserve_vars_on_panic) and as "panicked at" in the cell's stderr.
  check panics.ipynb FAIL "error output: Error: Subprocess terminated" "panic: thread"
  check missing_output.ipynb FAIL "expected output 'image/svg+xml' is missing" \
    "expected text 'the answer is 42' is missing"
  check compile_error.ipynb FAIL "error output: Error: mismatched types"
  echo "self-test: $passed passed, $failed failed"
  [ "$failed" = 0 ]
  exit
fi

if [ "${#notebooks[@]}" = 0 ]; then
  notebooks=()
  for nb in [0-9]*.ipynb; do
    case "$nb" in *.failed.ipynb) ;; *) notebooks+=("$nb") ;; esac
  done
fi
times="$(mktemp)"
trap 'rm -f "$times"' EXIT
start=$(date +%s)
status=0
execute evcxr --times "$times" "${notebooks[@]}" || status=$?
echo "== time per notebook (s):"
sed 's/^/   /' "$times"
echo "== all notebooks: $(($(date +%s) - start)) s (EVCXR_TMPDIR=$root/evcxr)"
exit "$status"
