#!/usr/bin/env bash
# Bounded load benchmark of mathsketch-server on loopback, with Debian's nginx serving the
# same dist/ in the same run as the baseline. Prints requests/s, p99 latency and errors for
# a hashed asset, index.html and POST /api/predict (a 28x28 MNIST PNG), the CPU each request
# cost the server (or nginx), the ratio to nginx, and the server's resident memory before and
# after the load.
#
#   bash bench/load/run.sh            # needs dist/ (trunk build --release) and MNIST data
#
# Bounded: 1 s warm-up of each of the 5 targets, then 3 rounds of the 4 static runs (nginx and
# server, asset and index.html, BENCH_SECONDS each, default 2, at most 2) and one run of
# /api/predict (4 s): at most 33 s of load with the warm-ups, then everything it started is
# stopped. A static figure is the median of its 3 runs, so that one noisy run on a shared
# machine does not decide the ratio. Only 127.0.0.1 is ever a target.
# Env: BENCH_SECONDS, BENCH_CONNECTIONS (default 32), BENCH_THREADS (default 2),
#      MATHSKETCH_DIST, MATHSKETCH_MNIST_DIR.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/mathsketch/target}"
DIST="$(realpath "${MATHSKETCH_DIST:-$ROOT/dist}")"
MNIST="${MATHSKETCH_MNIST_DIR:-$ROOT/../shared/data/mnist}"
SECONDS_EACH="${BENCH_SECONDS:-2}"
ROUNDS=3
PREDICT_SECONDS=4
CONNS="${BENCH_CONNECTIONS:-32}"
THREADS="${BENCH_THREADS:-2}"
if ((SECONDS_EACH > 2)); then
    echo "BENCH_SECONDS is capped at 2 so the run stays bounded (33 s of load)" >&2
    SECONDS_EACH=2
fi

log() { printf '[bench] %s\n' "$*" >&2; }

[[ -f "$DIST/index.html" ]] || { log "no $DIST/index.html: run 'trunk build --release' first"; exit 1; }
if ! command -v wrk >/dev/null || ! command -v nginx >/dev/null; then
    if [[ $(id -u) -eq 0 ]]; then
        log "installing wrk and nginx (Debian packages)"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk nginx >/dev/null
    else
        log "needs wrk and nginx: apt-get install -y wrk nginx"
        exit 1
    fi
fi

log "building mathsketch-server (release)"
# The site is served with --dist below, so the build need not embed (and compress) it again.
env -u MATHSKETCH_DIST nice -n 10 cargo build --release --locked -p mathsketch-server -q
BIN="$CARGO_TARGET_DIR/release/mathsketch-server"

TMP="$(mktemp -d -t mathsketch-bench.XXXXXX)"
SERVER_PID=""
NGINX_PID=""
cleanup() {
    # Only the two processes this script started, by pid.
    [[ -n "$SERVER_PID" ]] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
    [[ -n "$NGINX_PID" ]] && kill -QUIT "$NGINX_PID" 2>/dev/null && wait "$NGINX_PID" 2>/dev/null
    rm -rf "$TMP"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }

python3 "$ROOT/bench/load/mnist-png.py" "$MNIST" "$TMP/digit.png"
cat >"$TMP/predict.lua" <<LUA
local f = assert(io.open("$TMP/digit.png", "rb"))
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "image/png"
LUA

# The hashed JS glue (not the multi-megabyte wasm, which would measure memcpy, not serving).
ASSET="$(cd "$DIST" && ls -- *.js | grep -E -- '-[0-9a-f]{8,}\.js$' | head -1)"
[[ -n "$ASSET" ]] || { log "no hashed .js in $DIST"; exit 1; }

SERVER_PORT="$(free_port)"
RUST_LOG=info "$BIN" --addr "127.0.0.1:$SERVER_PORT" --dist "$DIST" >"$TMP/server.log" 2>&1 &
SERVER_PID=$!

NGINX_PORT="$(free_port)"
mkdir -p "$TMP/nginx"
cat >"$TMP/nginx.conf" <<NGINX
worker_processes auto;
daemon off;
pid $TMP/nginx/nginx.pid;
error_log $TMP/nginx/error.log warn;
events { worker_connections 1024; }
http {
    include /etc/nginx/mime.types;
    types { application/manifest+json webmanifest; }
    access_log $TMP/nginx/access.log;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 100000;
    client_body_temp_path $TMP/nginx/body;
    proxy_temp_path $TMP/nginx/proxy;
    fastcgi_temp_path $TMP/nginx/fastcgi;
    uwsgi_temp_path $TMP/nginx/uwsgi;
    scgi_temp_path $TMP/nginx/scgi;
    server {
        listen 127.0.0.1:$NGINX_PORT;
        root $DIST;
        index index.html;
    }
}
NGINX
nginx -c "$TMP/nginx.conf" -p "$TMP/nginx" &
NGINX_PID=$!

for _ in $(seq 100); do
    curl -fs "http://127.0.0.1:$SERVER_PORT/healthz" >/dev/null 2>&1 \
        && curl -fs "http://127.0.0.1:$NGINX_PORT/index.html" >/dev/null 2>&1 && break
    sleep 0.1
done
curl -fs "http://127.0.0.1:$SERVER_PORT/healthz" | grep -q '"model":true' \
    || log "warning: the server has no model; /api/predict will fail"

CLK_TCK="$(getconf CLK_TCK)"
# cpu_ticks: user + system CPU so far of the server (NAME server-*) or of nginx's master and
# workers (nginx-*), in clock ticks.
cpu_ticks() {
    local pids=("$SERVER_PID")
    [[ $1 == nginx-* ]] && mapfile -t pids < <(echo "$NGINX_PID"; pgrep -P "$NGINX_PID")
    local p t=0
    for p in "${pids[@]}"; do
        t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat")))
    done
    echo "$t"
}

# wrk_run NAME SECONDS URL [LUA]: prints "req/s p99_ms errors cpu_us_per_request" for one
# bounded run.
wrk_run() {
    local url="$3" script=()
    [[ $# -ge 4 ]] && script=(-s "$4")
    local out cpu0 cpu1
    cpu0="$(cpu_ticks "$1")"
    out="$(wrk -t"$THREADS" -c"$CONNS" -d"$2s" --timeout 2s --latency "${script[@]}" "$url")"
    cpu1="$(cpu_ticks "$1")"
    echo "$out" >"$TMP/wrk-$1.txt"
    local rps p99 non2xx sock
    rps="$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")"
    p99="$(awk '$1 == "99%" {v=$2; if (v ~ /us$/) {sub(/us$/,"",v); v/=1000} else if (v ~ /ms$/) {sub(/ms$/,"",v)} else if (v ~ /s$/) {sub(/s$/,"",v); v*=1000}; printf "%.2f", v}' <<<"$out")"
    non2xx="$(awk '/Non-2xx or 3xx responses:/ {print $NF}' <<<"$out")"
    sock="$(awk '/Socket errors:/ {gsub(",",""); print $4+$6+$8+$10}' <<<"$out")"
    local requests
    requests="$(awk '/requests in/ {print $1}' <<<"$out")"
    echo "$rps $p99 $(( ${non2xx:-0} + ${sock:-0} )) $(awk -v t=$((cpu1 - cpu0)) -v hz="$CLK_TCK" -v n="$requests" 'BEGIN { printf "%.1f", (n > 0 ? t * 1e6 / hz / n : 0) }')"
}

warm() { # warm URL [LUA]: 1 s of the same load, so "before" is the server at work, not idle
    local script=()
    [[ $# -ge 2 ]] && script=(-s "$2")
    wrk -t"$THREADS" -c"$CONNS" -d1s "${script[@]}" "$1" >/dev/null 2>&1
}
RSS_IDLE="$(rss_kib "$SERVER_PID")"
START=$(date +%s)
warm "http://127.0.0.1:$NGINX_PORT/$ASSET"
warm "http://127.0.0.1:$SERVER_PORT/$ASSET"
warm "http://127.0.0.1:$NGINX_PORT/index.html"
warm "http://127.0.0.1:$SERVER_PORT/index.html"
warm "http://127.0.0.1:$SERVER_PORT/api/predict" "$TMP/predict.lua"
RSS_BEFORE="$(rss_kib "$SERVER_PID")"
log "load: $ROUNDS rounds of ${SECONDS_EACH}s per static run, ${PREDICT_SECONDS}s of /api/predict, $CONNS connections, $THREADS wrk threads, asset $ASSET"
declare -A RUNS=()
for round in $(seq "$ROUNDS"); do
    for target in asset index; do
        path="$ASSET"
        [[ $target == index ]] && path=index.html
        RUNS[nginx-$target]+="$(wrk_run "nginx-$target-$round" "$SECONDS_EACH" "http://127.0.0.1:$NGINX_PORT/$path")"$'\n'
        RUNS[server-$target]+="$(wrk_run "server-$target-$round" "$SECONDS_EACH" "http://127.0.0.1:$SERVER_PORT/$path")"$'\n'
    done
done
# median NAME: "median_req/s median_p99 total_errors median_cpu" of that target's runs.
median() {
    awk 'NF == 4 { n++; r[n] = $1; p[n] = $2; e += $3; c[n] = $4 }
         function med(a, n,   i, j, t) { for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }; return a[int((n + 1) / 2)] }
         END { printf "%.2f %.2f %d %.1f\n", med(r, n), med(p, n), e, med(c, n) }' <<<"${RUNS[$1]}"
}
read -r N_ASSET_RPS N_ASSET_P99 N_ASSET_ERR N_ASSET_CPU < <(median nginx-asset)
read -r S_ASSET_RPS S_ASSET_P99 S_ASSET_ERR S_ASSET_CPU < <(median server-asset)
read -r N_INDEX_RPS N_INDEX_P99 N_INDEX_ERR N_INDEX_CPU < <(median nginx-index)
read -r S_INDEX_RPS S_INDEX_P99 S_INDEX_ERR S_INDEX_CPU < <(median server-index)
read -r S_PRED_RPS S_PRED_P99 S_PRED_ERR S_PRED_CPU < <(wrk_run server-predict "$PREDICT_SECONDS" "http://127.0.0.1:$SERVER_PORT/api/predict" "$TMP/predict.lua")
ELAPSED=$(($(date +%s) - START))
RSS_AFTER="$(rss_kib "$SERVER_PID")"
PRED_SAMPLE="$(curl -fs -H 'Content-Type: image/png' --data-binary @"$TMP/digit.png" "http://127.0.0.1:$SERVER_PORT/api/predict" || echo '(failed)')"

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
echo
echo "MathSketch load benchmark: $(nproc) cores, loopback, wrk -t$THREADS -c$CONNS, ${ELAPSED}s of load"
echo "static rows: median of $ROUNDS runs of ${SECONDS_EACH}s each (req/s, p99, CPU), errors summed; each run:"
for t in nginx-asset server-asset nginx-index server-index; do
    printf '  %-13s %s\n' "$t" "$(awk 'NF == 4 { printf "%s ", $1 }' <<<"${RUNS[$t]}")req/s"
done
row() { printf '%-34s %12s %10s %8s %12s %10s\n' "$@"; }
row "target" "req/s" "p99 ms" "errors" "CPU us/req" "vs nginx"
row "nginx  /$ASSET" "$N_ASSET_RPS" "$N_ASSET_P99" "$N_ASSET_ERR" "$N_ASSET_CPU" ""
row "server /$ASSET" "$S_ASSET_RPS" "$S_ASSET_P99" "$S_ASSET_ERR" "$S_ASSET_CPU" "$(ratio "$S_ASSET_RPS" "$N_ASSET_RPS")x"
row "nginx  /index.html" "$N_INDEX_RPS" "$N_INDEX_P99" "$N_INDEX_ERR" "$N_INDEX_CPU" ""
row "server /index.html" "$S_INDEX_RPS" "$S_INDEX_P99" "$S_INDEX_ERR" "$S_INDEX_CPU" "$(ratio "$S_INDEX_RPS" "$N_INDEX_RPS")x"
row "server POST /api/predict (28x28)" "$S_PRED_RPS" "$S_PRED_P99" "$S_PRED_ERR" "$S_PRED_CPU" ""
echo "server RSS: idle ${RSS_IDLE} KiB; after 5 s warm-up ${RSS_BEFORE} KiB; after the ${ELAPSED} s load ${RSS_AFTER} KiB ($(awk -v a="$RSS_AFTER" -v b="$RSS_BEFORE" 'BEGIN { printf "%+.1f%%", (a - b) * 100 / b }') vs warm-up)"
echo "sample prediction: $PRED_SAMPLE"
echo "server log lines: $(wc -l <"$TMP/server.log") (one per request, RUST_LOG=info)"
