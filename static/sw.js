// MathSketch service worker: makes the app open and predict with no network at all.
//
// The two `const` lines below are rewritten at build time by scripts/sw-precache.sh (a trunk
// post_build hook) from the real build output, so the list can never go stale and every
// build that changes any file gets a new VERSION, hence a byte-different sw.js, which is
// what makes browsers install the new worker. Keep each on one line: the script replaces
// them by prefix. The committed values mean "not built by trunk".
const VERSION = "dev";
const PRECACHE = [];

const PREFIX = "mathsketch-";
const CACHE = PREFIX + VERSION;

// URLs are relative to this script, so the app works under any sub-path.
const SCOPE = new URL("./", self.location.href);
const SHELL = new URL("index.html", SCOPE).href;

self.addEventListener("install", (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(CACHE);
      // The precache must be this build's bytes. A file whose name carries its content hash
      // (trunk's `name-<hex>`) can only be this build's, so it may come from the HTTP
      // cache, where the page has just put it: the first visit then downloads the 1.9 MB
      // wasm once, not twice. Anything else (index.html, the manifest, icons) skips the
      // HTTP cache with "reload". Trunk prints its 64-bit hash without leading zeros, so one
      // build in 16 has 15 hex digits: 8 to 16, the server's rule too (site::is_hashed).
      const requests = PRECACHE.map((url) => {
        const hashed = /-[0-9a-f]{8,16}(_bg)?\.[a-z0-9]+$/.test(url);
        return new Request(new URL(url, SCOPE), { cache: hashed ? "default" : "reload" });
      });
      await cache.addAll(requests);
      // Take over at once; the page offers a reload (static/offline.js) so the user
      // picks the moment the new version shows up.
      await self.skipWaiting();
    })(),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      for (const key of await caches.keys()) {
        if (key.startsWith(PREFIX) && key !== CACHE) {
          await caches.delete(key);
        }
      }
      await self.clients.claim();
    })(),
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== SCOPE.origin || !url.pathname.startsWith(SCOPE.pathname)) return;
  event.respondWith(respond(request, url));
});

// Cache first for the precached build (so the page and its assets always come from the
// same build), the network for anything else, and the cached shell for navigations when
// the network is gone.
async function respond(request, url) {
  const cache = await caches.open(CACHE);
  const key = url.pathname === SCOPE.pathname ? SHELL : request;
  const hit = await cache.match(key, { ignoreSearch: true, ignoreVary: true });
  if (hit) return hit;
  try {
    return await fetch(request);
  } catch (err) {
    if (request.mode === "navigate") {
      const shell = await cache.match(SHELL);
      if (shell) return shell;
    }
    throw err;
  }
}

self.addEventListener("message", (event) => {
  if (event.data === "version" && event.source) {
    event.source.postMessage({ type: "version", version: VERSION });
  }
});
