#!/usr/bin/env bash
# Fills the service worker's precache list and build version from the real build output.
#
# Runs as a trunk post_build hook (Trunk.toml) over $TRUNK_STAGING_DIR, after trunk has
# written the final index.html and hashed assets and before it moves them to dist/, so the
# list always names exactly the files of this build. Also usable on any built site:
#   TRUNK_STAGING_DIR=dist bash scripts/sw-precache.sh
# It rewrites the `const VERSION = ...;` and `const PRECACHE = [...];` lines of sw.js:
# VERSION is a hash of every file's path and bytes, so any change makes a new sw.js, which
# browsers take as a new deploy. Idempotent: running it again gives the same sw.js.
set -euo pipefail

dir="${TRUNK_STAGING_DIR:?set TRUNK_STAGING_DIR to the built site directory}"
sw="$dir/sw.js"
if [[ ! -f "$sw" ]]; then
    echo "sw-precache: $sw missing (is static/sw.js copied by index.html?)" >&2
    exit 1
fi

cd "$dir"
# Everything but the worker itself (browsers fetch and check it on their own), source maps
# and precompressed twins (scripts/precompress.sh; the host serves them for their file);
# sorted, so the version does not depend on directory order.
mapfile -t files < <(find . -type f ! -path ./sw.js ! -name '*.map' ! -name '*.br' ! -name '*.gz' -printf '%P\n' | LC_ALL=C sort)
if [[ ${#files[@]} -eq 0 ]]; then
    echo "sw-precache: no files in $dir" >&2
    exit 1
fi

list=""
for f in "${files[@]}"; do
    # Trunk's names are plain; anything else would need URL and JS escaping, so refuse it.
    if [[ ! "$f" =~ ^[A-Za-z0-9._/-]+$ ]]; then
        echo "sw-precache: unexpected file name '$f' (only [A-Za-z0-9._/-] is supported)" >&2
        exit 1
    fi
    list+="${list:+, }\"$f\""
done
version="$(for f in "${files[@]}"; do printf '%s %s\n' "$f" "$(sha256sum "$f" | cut -d' ' -f1)"; done \
    | sha256sum | cut -c1-16)"

tmp="$(mktemp "$dir/.sw.js.XXXXXX")"
trap 'rm -f "$tmp"' EXIT
awk -v version="$version" -v list="$list" '
    /^const VERSION = /  { print "const VERSION = \"" version "\";"; v++; next }
    /^const PRECACHE = / { print "const PRECACHE = [" list "];"; p++; next }
    { print }
    END { if (v != 1 || p != 1) { print "sw-precache: sw.js must have exactly one VERSION and one PRECACHE line" > "/dev/stderr"; exit 1 } }
' "$sw" >"$tmp"
chmod 644 "$tmp"
mv "$tmp" "$sw"
trap - EXIT
echo "sw-precache: version $version, ${#files[@]} files precached" >&2
