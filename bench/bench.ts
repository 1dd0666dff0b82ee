/**
 * `npm run bench`: what cloudfront-cors costs, as ratios and counts measured side by side in one
 * run (these machines are noisy; absolute times mean little). Handlers are the built artifacts.
 *
 * Per-request cost: rounds alternate the candidate and its baseline over the same events, and the
 * figure is the median of the per-round ratios.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { CloudFrontRequestEvent, CloudFrontResponseEvent } from 'aws-lambda';
import { ROOT, build } from '../build/build.ts';
import { loadHandlers } from '../dev/handlers.ts';
import { leastOriginResponse, leastViewerRequest } from './least-work.ts';

const ROUNDS = 15;
const PER_ROUND = 4000;
const work = mkdtempSync(join(tmpdir(), 'cloudfront-cors-bench-'));
process.on('exit', () => rmSync(work, { recursive: true, force: true }));

/** The bench takes a minute or two: say what it is doing, on stderr, so stdout stays the table. */
function progress(step: string): void {
  process.stderr.write(`bench: ${step}\n`);
}

/**
 * The policy issue 11 sets the CloudFront Function's size goal for: three origins (one wildcard),
 * methods, a header, an exposed header, credentials and max age.
 */
const LEAN_GOAL_POLICY = {
  allowOrigins: ['https://app.example.com', 'https://*.preview.example.com', 'http://localhost:3000'],
  allowMethods: ['GET', 'HEAD', 'PUT'],
  allowHeaders: ['content-type'],
  exposeHeaders: ['ETag'],
  allowCredentials: true,
  maxAge: 600,
};

function events<T>(kind: string): T[] {
  const folder = join(ROOT, 'test', 'events', kind);
  return readdirSync(folder).map((file) => JSON.parse(readFileSync(join(folder, file), 'utf8')) as T);
}

async function buildPolicy(name: string, policy: object, only?: 'cloudfront-functions' | 'lambda-edge'): Promise<string> {
  const config = join(work, `${name}.json`);
  writeFileSync(config, JSON.stringify(policy));
  const dist = join(work, name);
  await build({ config, outDir: dist, only });
  return dist;
}

/** `global.gc` exists under --expose-gc (npm run bench sets it); without it, timings are noisier. */
function collectGarbage(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

interface Ratio {
  /** Median over rounds of candidate time / baseline time. */
  ratio: number;
  /** Median nanoseconds per input, for scale. */
  candidate: number;
  baseline: number;
}

/**
 * Events are made in batches this small just before they are handled, and only the handling is
 * timed. Lambda's runtime parses each event and calls the handler at once, so a handler reads an
 * event still in the processor's cache. Parsing thousands first made each handler pay for memory
 * misses that the identity handler, which reads almost nothing, never pays (docs/performance.md).
 */
const BATCH = 50;

/** Median over rounds of (time of `candidate` / time of `baseline`), each given fresh inputs. */
async function ratio<T>(inputs: (count: number) => T[], candidate: (input: T) => unknown, baseline: (input: T) => unknown): Promise<Ratio> {
  const time = async (run: (input: T) => unknown) => {
    collectGarbage(); // what the last round left: collect now, not inside the timed loop
    let elapsed = 0;
    for (let done = 0; done < PER_ROUND; done += BATCH) {
      const batch = inputs(BATCH);
      const start = process.hrtime.bigint();
      for (const input of batch) await run(input);
      elapsed += Number(process.hrtime.bigint() - start);
    }
    return elapsed;
  };
  for (let warm = 0; warm < 5; warm++) {
    // Until both are compiled by the JIT, the first to run pays for it.
    await time(candidate);
    await time(baseline);
  }
  const ratios: number[] = [];
  const candidates: number[] = [];
  const baselines: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const flip = round % 2 === 1; // alternate which runs first
    const base = flip ? await time(baseline) : 0;
    const cand = await time(candidate);
    const baseAfter = flip ? base : await time(baseline);
    ratios.push(cand / baseAfter);
    candidates.push(cand / PER_ROUND);
    baselines.push(baseAfter / PER_ROUND);
  }
  return { ratio: median(ratios), candidate: median(candidates), baseline: median(baselines) };
}

/** `8.89x (0.91 µs vs 0.10 µs)`. */
function show({ ratio: value, candidate, baseline }: Ratio): string {
  return `${value.toFixed(2)}x (${(candidate / 1000).toFixed(2)} vs ${(baseline / 1000).toFixed(2)} µs)`;
}

function median(values: number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

/** The built Lambda@Edge handler itself, imported from its folder: no wrapper between it and the clock. */
async function rawHandler<E, R>(dist: string, name: 'viewer-request' | 'origin-response') {
  const module = (await import(pathToFileURL(join(dist, 'lambda-edge', name, 'index.mjs')).href)) as { handler: (event: E) => Promise<R> };
  return module.handler;
}

/**
 * Copies of the events, made as Lambda's Node runtime makes each event: by `JSON.parse` of the
 * payload. (`structuredClone` builds objects V8 reads more slowly, and no runtime does that.)
 */
function repeat<T>(items: T[], count: number): T[] {
  const texts = items.map((item) => JSON.stringify(item));
  return Array.from({ length: count }, (_, i) => JSON.parse(texts[i % texts.length] as string) as T);
}

progress('building the example policy');
const EXAMPLE = JSON.parse(readFileSync(join(ROOT, 'test', 'policies', 'example.json'), 'utf8'));
const exampleDist = await buildPolicy('example', EXAMPLE);
const example = await loadHandlers(exampleDist);
const viewerEvents = events<CloudFrontRequestEvent>('lambda-edge/viewer-request');
const responseEvents = events<CloudFrontResponseEvent>('lambda-edge/origin-response');

const viewerRequest = await rawHandler<CloudFrontRequestEvent, unknown>(exampleDist, 'viewer-request');
const originResponse = await rawHandler<CloudFrontResponseEvent, unknown>(exampleDist, 'origin-response');

// 1. Lambda@Edge viewer request over an identity handler on the same events.
progress('Lambda@Edge viewer request, over the test events');
const viewerRatio = await ratio(
  (count) => repeat(viewerEvents, count),
  (event) => viewerRequest(event),
  async (event) => event.Records[0]?.cf.request,
);

// 2. Origin response over an identity handler.
progress('Lambda@Edge origin response, over the test events');
const originRatio = await ratio(
  (count) => repeat(responseEvents, count),
  (event) => originResponse(event),
  async (event) => event.Records[0]?.cf.response,
);

// The least work any handler can do on the same events (bench/least-work.ts): the floor.
progress('the least possible work, for reference');
const viewerFloor = await ratio(
  (count) => repeat(viewerEvents, count),
  (event) => leastViewerRequest(event),
  async (event) => event.Records[0]?.cf.request,
);
const originFloor = await ratio(
  (count) => repeat(responseEvents, count),
  (event) => leastOriginResponse(event),
  async (event) => event.Records[0]?.cf.response,
);

// 3. A 10,000 exact + 200 wildcard policy over a 3-origin one: allowed exact, allowed wildcard, refused.
progress('a 10,000 + 200 origin policy against a 3-origin one');
// (Only Lambda@Edge holds such a policy; the CloudFront Function is kept from the example build.)
const largeDist = join(work, 'large');
execFileSync('cp', ['-r', join(work, 'example'), largeDist]);
const largeBuilt = await buildPolicy('large', {
    allowOrigins: [
      ...Array.from({ length: 10_000 }, (_, i) => `https://s${i}.shop${i}.com`),
      ...Array.from({ length: 200 }, (_, i) => `https://*.tenant${i}.example.com`),
      'https://app.example.com',
      'https://*.preview.example.com',
    ],
  }, 'lambda-edge');
const smallBuilt = await buildPolicy('small', { allowOrigins: ['https://app.example.com', 'https://*.preview.example.com', 'http://localhost:3000'] });
const three = ['https://app.example.com', 'https://a.b.preview.example.com', 'https://evil.example.net'].map((origin) => {
  const event = structuredClone(viewerEvents.find((e) => e.Records[0]?.cf.request.headers['origin'])!);
  event.Records[0]!.cf.request.headers['origin'] = [{ key: 'Origin', value: origin }];
  return event;
});
const largeViewer = await rawHandler<CloudFrontRequestEvent, unknown>(largeBuilt, 'viewer-request');
const smallViewer = await rawHandler<CloudFrontRequestEvent, unknown>(smallBuilt, 'viewer-request');
const scaleRatio = await ratio(
  (count) => repeat(three, count),
  (event) => largeViewer(event),
  (event) => smallViewer(event),
);

// 4. Exact origins that fit the CloudFront Function under 10 KB.
async function capacity(origin: (i: number) => string): Promise<number> {
  const fits = (count: number) =>
    buildPolicy(`capacity-${count}`, { allowOrigins: Array.from({ length: count }, (_, i) => origin(i)) }, 'cloudfront-functions').then(
      () => true,
      () => false,
    );
  let low = 1;
  let high = 2000;
  while (low < high) {
    const middle = Math.ceil((low + high) / 2);
    if (await fits(middle)) low = middle;
    else high = middle - 1;
  }
  return low;
}
progress('how many exact origins fit the CloudFront Function');
const shops = await capacity((i) => `https://s${i}.shop${i}.com`);
const apps = await capacity((i) => `https://app-${String(i).padStart(4, '0')}.example.com`);

// 5. The CloudFront Function for the goal's 3-origin policy, and for the example one.
const leanBuilt = await buildPolicy('lean', LEAN_GOAL_POLICY, 'cloudfront-functions');
const leanFunctionBytes = readFileSync(join(leanBuilt, 'cloudfront-functions', 'viewer-request.js')).byteLength;
const exampleFunctionBytes = readFileSync(join(exampleDist, 'cloudfront-functions', 'viewer-request.js')).byteLength;

// 6. Cold start: load and first call in a fresh process, over an empty module, alternating which
// runs first. A difference below the machine's noise can come out negative: it is shown as 0.
function coldStart(module: string, event: unknown): number {
  const script = `
    const start = process.hrtime.bigint();
    const { handler } = await import(${JSON.stringify(pathToFileURL(module).href)});
    await handler(${JSON.stringify(event)}, {});
    process.stdout.write(String(Number(process.hrtime.bigint() - start) / 1e6));`;
  return Number(spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' }).stdout);
}
function coldStartOver(module: string, baseline: string, event: unknown): number {
  const differences: number[] = [];
  for (let i = 0; i < 21; i++) {
    const [first, second] = i % 2 === 0 ? [module, baseline] : [baseline, module];
    const times = new Map([[first, coldStart(first, event)], [second, coldStart(second, event)]]);
    differences.push((times.get(module) as number) - (times.get(baseline) as number));
  }
  return Math.max(0, median(differences));
}
progress('cold starts, 42 fresh processes each');
const empty = join(work, 'empty', 'index.mjs');
execFileSync('mkdir', ['-p', join(work, 'empty')]);
writeFileSync(empty, 'export const handler = async (event) => event;\n');
const exampleViewerModule = join(exampleDist, 'lambda-edge', 'viewer-request', 'index.mjs');
const coldStartMs = coldStartOver(exampleViewerModule, empty, viewerEvents[0]);
const largeTableMs = coldStartOver(join(largeBuilt, 'lambda-edge', 'viewer-request', 'index.mjs'), join(smallBuilt, 'lambda-edge', 'viewer-request', 'index.mjs'), viewerEvents[0]);

// 7. The CloudFront Function under njs, over an identity function in the same njs process, per
// kind of request. njs frees nothing until it exits, so each process times a few thousand events.
const NJS_EVENTS = 5000;
function njsRatio(code: string, scenario: string): Ratio {
  const event = readFileSync(join(ROOT, 'test', 'events', 'cloudfront-functions', 'viewer-request', `${scenario}.json`), 'utf8');
  const script = join(work, `njs-${scenario}.js`);
  writeFileSync(
    script,
    // In a function of its own: a top-level name here could overwrite one of the function's minified ones.
    `${code}
(function () {
function identity(event) { return event.request; }
function copies() { var list = []; for (var i = 0; i < ${NJS_EVENTS}; i++) list.push(JSON.parse(${JSON.stringify(event)})); return list; }
function time(run) { var list = copies(); var start = Date.now(); for (var i = 0; i < list.length; i++) run(list[i]); return Date.now() - start; }
var candidate = 0, baseline = 0;
for (var round = 0; round < 4; round++) { if (round % 2) { baseline += time(identity); candidate += time(handler); } else { candidate += time(handler); baseline += time(identity); } }
console.log(candidate + ' ' + baseline);
})();
`,
  );
  const ratios: number[] = [];
  const candidates: number[] = [];
  const baselines: number[] = [];
  for (let run = 0; run < 7; run++) {
    const [candidate, baseline] = execFileSync('njs', [script], { encoding: 'utf8' }).trim().split(' ').map(Number) as [number, number];
    ratios.push(candidate / Math.max(1, baseline));
    candidates.push((candidate * 1e6) / (4 * NJS_EVENTS));
    baselines.push((baseline * 1e6) / (4 * NJS_EVENTS));
  }
  return { ratio: median(ratios), candidate: median(candidates), baseline: median(baselines) };
}
progress('the CloudFront Function under njs');
const njsAllowed = njsRatio(example.functionCode as string, 'allowed-origin');
const njsRefused = njsRatio(example.functionCode as string, 'disallowed-origin');
const njsPreflight = njsRatio(example.functionCode as string, 'preflight-allowed');

/** Name, figure, goal, and whether it is met (`null`: a figure with no goal, printed for scale). */
const rows: Array<[string, string, string, boolean | null]> = [
  ['Lambda@Edge viewer request, per request, over an identity handler', show(viewerRatio), '<= 3x', viewerRatio.ratio <= 3],
  ['origin response, per request, over an identity handler', show(originRatio), '<= 4x', originRatio.ratio <= 4],
  ['  the least possible work (bench/least-work.ts), viewer request', show(viewerFloor), '', null],
  ['  the least possible work, origin response', show(originFloor), '', null],
  ['10,000 exact + 200 wildcard origins, over a 3-origin policy', show(scaleRatio), '<= 1.5x', scaleRatio.ratio <= 1.5],
  ['exact origins (https://sN.shopN.com) in the CloudFront Function under 10 KB', String(shops), '>= 350', shops >= 350],
  ['exact origins (https://app-NNNN.example.com) in the CloudFront Function', String(apps), '', null],
  ['CloudFront Function size, 3-origin policy of the goal', `${leanFunctionBytes.toLocaleString('en-US')} B`, '<= 2,500 B', leanFunctionBytes <= 2500],
  ['CloudFront Function size, test/policies/example.json (adds x-amz-*)', `${exampleFunctionBytes.toLocaleString('en-US')} B`, '', null],
  ['Lambda@Edge cold start (load + first call) over an empty module', `${coldStartMs.toFixed(2)} ms`, '<= 1 ms', coldStartMs <= 1],
  ['loading a 10,000 + 200 origin table, over a 3-origin one', `${largeTableMs.toFixed(2)} ms`, '<= 4 ms', largeTableMs <= 4],
  ['CloudFront Function under njs, allowed origin, over identity', show(njsAllowed), '<= 25x', njsAllowed.ratio <= 25],
  ['CloudFront Function under njs, refused origin, over identity', show(njsRefused), '<= 40x', njsRefused.ratio <= 40],
  ['CloudFront Function under njs, allowed preflight, over identity', show(njsPreflight), '<= 120x', njsPreflight.ratio <= 120],
];
const width = Math.max(...rows.map((row) => row[0].length));
console.log(`cloudfront-cors bench: node ${process.version}, ${cpus()[0]?.model ?? 'unknown CPU'} x${cpus().length}\n`);
const valueWidth = Math.max(...rows.map((row) => row[1].length));
for (const [name, value, goal, met] of rows) {
  const verdict = met === null ? 'no goal' : `goal ${goal.padEnd(10)} ${met ? 'met' : 'MISSED'}`;
  console.log(`${name.padEnd(width)}  ${value.padStart(valueWidth)}  ${verdict}`);
}
