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

# `cargo install` for the build tools (trunk, wasm-bindgen-cli, cargo-fuzz), which a fresh
# machine builds once from source. Their own release profiles ask for more than a tool that
# spends a second per build needs: trunk's fat LTO in one codegen unit made its install alone
# take 12 min 29 s on a fresh 2-core machine (most of it the final crate). So they are built
# without LTO, in 16 codegen units, at opt-level 1, and into one shared target dir, so their
# common dependencies (clap, serde, syn, tokio, ...) are compiled once for all three.
# MS_TOOL_OPT_LEVEL=0 for a tool whose own work is too small for optimisation to show.
ms_cargo_install() {
    CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
        CARGO_PROFILE_RELEASE_OPT_LEVEL="${MS_TOOL_OPT_LEVEL:-1}" CARGO_PROFILE_RELEASE_DEBUG=false \
        CARGO_PROFILE_RELEASE_PANIC=unwind CARGO_TARGET_DIR="$MS_CACHE/tools-target" \
        nice -n 10 cargo install "$@"
}

ms_log() { printf '\033[1m[%s]\033[0m %s\n' "$(basename "$0")" "$*" >&2; }
# Capabilities for wasm-bindgen-test-runner's Chromium (it adds headless and no-sandbox itself).
export WASM_BINDGEN_TEST_WEBDRIVER_JSON="${WASM_BINDGEN_TEST_WEBDRIVER_JSON:-$MS_ROOT/tests/support/webdriver.json}"
export WASM_BINDGEN_TEST_TIMEOUT="${WASM_BINDGEN_TEST_TIMEOUT:-300}"
