#!/usr/bin/env bash
# Writes precompressed twins next to every compressible file of a built site: `x.br`
# (brotli -q 11) and `x.gz` (zopfli, gzip-compatible and about 4 % smaller than gzip -9), each
# kept only when smaller than the file. Static hosts serve them as they are (nginx
# `gzip_static on; brotli_static on;`, Caddy `file_server { precompressed br gzip }`, most
# CDNs), and the server's loaders (server/build.rs, --dist) take them after checking they
# decode to their file. Run by scripts/build; idempotent.
#   bash scripts/precompress.sh DIR
set -euo pipefail
dir="${1:?usage: precompress.sh DIR}"
for tool in zopfli brotli; do
    command -v "$tool" >/dev/null || { echo "precompress: $tool missing (scripts/setup installs it)" >&2; exit 1; }
done
# The same extensions as server/src/compress.rs::compressible.
mapfile -t files < <(find "$dir" -type f \( -name '*.html' -o -name '*.htm' -o -name '*.js' \
    -o -name '*.mjs' -o -name '*.css' -o -name '*.wasm' -o -name '*.json' -o -name '*.webmanifest' \
    -o -name '*.svg' -o -name '*.txt' -o -name '*.map' -o -name '*.xml' -o -name '*.ico' \) | LC_ALL=C sort)
keep_if_smaller() { # twin file
    if [[ $(stat -c %s "$1") -ge $(stat -c %s "$2") ]]; then rm -f "$1"; fi
}
for f in "${files[@]}"; do
    # The wasm is most of the bytes and of the time; they run side by side (2 cores).
    zopfli --gzip -c "$f" >"$f.gz" &
    brotli -q 11 -f -o "$f.br" "$f"
    wait
    keep_if_smaller "$f.gz" "$f"
    keep_if_smaller "$f.br" "$f"
    touch -r "$f" "$f.gz" "$f.br" 2>/dev/null || true
done
