# Shared environment for scripts/*: sourced, not run. Puts the pinned tools first on PATH
# and shares one warm target dir between the app, the tests and CI on this machine.
# shellcheck shell=bash

MS_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=versions.env
source "$MS_ROOT/scripts/versions.env"

export MS_CACHE="${MS_CACHE:-$HOME/.cache/mathsketch}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$MS_CACHE/target}"
# tools/node_modules/.bin first: its wasm-opt (binaryen $BINARYEN_VERSION) must win over any
# older system wasm-opt, since trunk takes the first one on PATH.
export PATH="$MS_ROOT/tools/node_modules/.bin:${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
export MATHSKETCH_DIST="${MATHSKETCH_DIST:-$MS_ROOT/dist}"
# Kept in the cache (not the checkout) so CI's fresh clones on this machine reuse it.
export MATHSKETCH_VENV="${MATHSKETCH_VENV:-$MS_CACHE/venv}"
# The trainer is its own workspace with its own lockfile; its own target dir keeps its builds
# from contending with the runtime's for cargo's directory lock.
export MS_TRAINER_TARGET="${MS_TRAINER_TARGET:-$MS_CACHE/trainer-target}"
# schemathesis, for server/tests/schemathesis.rs: a venv of its own, apart from the trainer's.
export MATHSKETCH_API_VENV="${MATHSKETCH_API_VENV:-$MS_CACHE/api-venv}"
export MATHSKETCH_PYTHON="${MATHSKETCH_PYTHON:-$MATHSKETCH_VENV/bin/python}"
export CHROMEDRIVER="${CHROMEDRIVER:-$(command -v chromedriver || echo /usr/bin/chromedriver)}"

ms_log() { printf '\033[1m[%s]\033[0m %s\n' "$(basename "$0")" "$*" >&2; }
# Capabilities for wasm-bindgen-test-runner's Chromium (it adds headless and no-sandbox itself).
export WASM_BINDGEN_TEST_WEBDRIVER_JSON="${WASM_BINDGEN_TEST_WEBDRIVER_JSON:-$MS_ROOT/tests/support/webdriver.json}"
export WASM_BINDGEN_TEST_TIMEOUT="${WASM_BINDGEN_TEST_TIMEOUT:-300}"
