// onnxruntime-web side of the tract-vs-ort benchmark (bench only, never shipped with the app).
//
// Single-threaded wasm CPU execution provider (SIMD build), no proxy worker. All URLs are
// relative to this file so the page works under any static server whose document root is the
// repo root (page at /bench/ort/index.html). Result: document.body.dataset.bench (JSON);
// failure: document.body.dataset.error.

const ORT_DIST = new URL('./node_modules/onnxruntime-web/dist/', import.meta.url).href;
// Wasm-only ESM build whose emscripten glue (ort-wasm-simd-threaded.mjs) and binary
// (ort-wasm-simd-threaded.wasm) are fetched from ORT_DIST at the first session, so their cost
// shows up in firstSessionMs rather than in the module import.
const ORT_MODULE = ORT_DIST + 'ort.wasm.min.mjs';
const DEFAULT_MODEL = '../../models/symbols.onnx';

const statusEl = document.getElementById('status');
const status = (text) => {
  if (statusEl) statusEl.textContent = text;
};

function fail(error) {
  const text = error && error.stack ? `${error}\n${error.stack}` : String(error);
  if (!document.body.dataset.error) document.body.dataset.error = String(error);
  status(`error: ${text}`);
  console.error(error);
}

window.addEventListener('unhandledrejection', (e) => fail(e.reason));

function intParam(params, name, fallback, min) {
  const raw = params.get(name);
  if (raw === null || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) {
    throw new Error(`query parameter ${name}=${raw} must be an integer >= ${min}`);
  }
  return value;
}

// Fixed deterministic 28x28 image: x[i] = ((i * 7919) % 251) / 250.
function fixedImage() {
  const x = new Float32Array(28 * 28);
  for (let i = 0; i < x.length; i++) x[i] = ((i * 7919) % 251) / 250;
  return x;
}

// Nearest-rank percentile on an ascending array: the ceil(p/100 * n)-th smallest value.
function nearestRank(sorted, p) {
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1];
}

function summarise(times) {
  const sorted = Float64Array.from(times).sort();
  let sum = 0;
  for (const t of times) sum += t;
  return {
    runs: times.length,
    median: nearestRank(sorted, 50),
    p95: nearestRank(sorted, 95),
    min: sorted[0],
    mean: sum / times.length,
    samples: Array.from(times),
  };
}

async function main() {
  const params = new URLSearchParams(location.search);
  const runs = intParam(params, 'runs', 1000, 1);
  const warmup = intParam(params, 'warmup', 100, 0);
  const modelUrl = new URL(params.get('model') || DEFAULT_MODEL, document.baseURI).href;

  status('importing onnxruntime-web…');
  let t0 = performance.now();
  const ort = await import(ORT_MODULE);
  const moduleMs = performance.now() - t0;

  ort.env.wasm.numThreads = 1;
  ort.env.wasm.proxy = false;
  ort.env.wasm.simd = true; // the default; 1.30 only ships SIMD builds
  ort.env.wasm.wasmPaths = ORT_DIST;
  const sessionOptions = { executionProviders: ['wasm'] };

  status('fetching model…');
  t0 = performance.now();
  const response = await fetch(modelUrl);
  if (!response.ok) throw new Error(`GET ${modelUrl}: ${response.status} ${response.statusText}`);
  const modelBytes = new Uint8Array(await response.arrayBuffer());
  const modelFetchMs = performance.now() - t0;

  status('creating first session (loads the ort wasm)…');
  t0 = performance.now();
  const session = await ort.InferenceSession.create(modelBytes, sessionOptions);
  const readyMs = performance.now();
  const firstSessionMs = readyMs - t0;

  status('creating second session…');
  t0 = performance.now();
  const second = await ort.InferenceSession.create(modelBytes, sessionOptions);
  const sessionMs = performance.now() - t0;
  await second.release();

  const inputName = session.inputNames[0];
  const outputName = session.outputNames[0];
  const feeds = { [inputName]: new ort.Tensor('float32', fixedImage(), [1, 1, 28, 28]) };

  status(`warming up (${warmup} runs)…`);
  for (let i = 0; i < warmup; i++) await session.run(feeds);

  status(`timing ${runs} runs…`);
  const times = new Float64Array(runs);
  let last;
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    last = await session.run(feeds);
    times[i] = performance.now() - start;
  }
  const output = Array.from(last[outputName].data);

  const resources = performance.getEntriesByType('resource').map((e) => ({
    name: e.name,
    transferSize: e.transferSize,
    encodedBodySize: e.encodedBodySize,
    decodedBodySize: e.decodedBodySize,
  }));
  const [nav] = performance.getEntriesByType('navigation');

  const result = {
    engine: 'onnxruntime-web',
    ortVersion: ort.env.versions.web ?? null,
    ortVersions: { ...ort.env.versions },
    ortModule: ORT_MODULE,
    model: modelUrl,
    modelBytes: modelBytes.byteLength,
    inputName,
    outputName,
    crossOriginIsolated: self.crossOriginIsolated === true,
    userAgent: navigator.userAgent,
    moduleMs,
    modelFetchMs,
    firstSessionMs,
    sessionMs,
    wasmInitMs: firstSessionMs - sessionMs,
    readyMs,
    warmup,
    infer: summarise(times),
    output,
    resources,
    navigation: nav ? nav.toJSON() : null,
  };
  await session.release();

  document.body.dataset.bench = JSON.stringify(result);
  status(JSON.stringify(result, null, 2));
}

main().catch(fail);
