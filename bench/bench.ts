/**
 * `npm run bench`: what cloudfront-cors costs, as ratios and counts measured side by side in one
 * run (these machines are noisy; absolute times mean little). Handlers are the built artifacts.
 *
 * Per-request cost: rounds alternate the candidate and its baseline over the same events, and the
 * figure is the median of the per-round ratios.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { CloudFrontRequestEvent, CloudFrontResponseEvent } from 'aws-lambda';
import { ROOT, build } from '../build/build.ts';
import { loadHandlers, type FunctionRequestEvent } from '../dev/handlers.ts';

const ROUNDS = 15;
const PER_ROUND = 4000;
const work = mkdtempSync(join(tmpdir(), 'cloudfront-cors-bench-'));

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

/** Median over rounds of (time of `candidate` / time of `baseline`), each given fresh inputs. */
async function ratio<T>(inputs: () => T[], candidate: (input: T) => unknown, baseline: (input: T) => unknown): Promise<Ratio> {
  const time = async (run: (input: T) => unknown, batch: T[]) => {
    collectGarbage(); // the inputs were just allocated: collect now, not inside the timed loop
    const start = process.hrtime.bigint();
    for (const input of batch) await run(input);
    return Number(process.hrtime.bigint() - start);
  };
  for (let warm = 0; warm < 5; warm++) {
    // Until both are compiled by the JIT, the first to run pays for it.
    await time(candidate, inputs());
    await time(baseline, inputs());
  }
  const ratios: number[] = [];
  const candidates: number[] = [];
  const baselines: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const [a, b] = [inputs(), inputs()];
    const flip = round % 2 === 1; // alternate which runs first
    const base = flip ? await time(baseline, b) : 0;
    const cand = await time(candidate, a);
    const baseAfter = flip ? base : await time(baseline, b);
    ratios.push(cand / baseAfter);
    candidates.push(cand / a.length);
    baselines.push(baseAfter / b.length);
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

function repeat<T>(items: T[], count: number): T[] {
  return Array.from({ length: count }, (_, i) => structuredClone(items[i % items.length]) as T);
}

const EXAMPLE = JSON.parse(readFileSync(join(ROOT, 'test', 'policies', 'example.json'), 'utf8'));
const exampleDist = await buildPolicy('example', EXAMPLE);
const example = await loadHandlers(exampleDist);
const viewerEvents = events<CloudFrontRequestEvent>('lambda-edge/viewer-request');
const responseEvents = events<CloudFrontResponseEvent>('lambda-edge/origin-response');

const viewerRequest = await rawHandler<CloudFrontRequestEvent, unknown>(exampleDist, 'viewer-request');
const originResponse = await rawHandler<CloudFrontResponseEvent, unknown>(exampleDist, 'origin-response');

// 1. Lambda@Edge viewer request over an identity handler on the same events.
const viewerRatio = await ratio(
  () => repeat(viewerEvents, PER_ROUND),
  (event) => viewerRequest(event),
  async (event) => event.Records[0]?.cf.request,
);

// 2. Origin response over an identity handler.
const originRatio = await ratio(
  () => repeat(responseEvents, PER_ROUND),
  (event) => originResponse(event),
  async (event) => event.Records[0]?.cf.response,
);

// 3. A 10,000 exact + 200 wildcard policy over a 3-origin one: allowed exact, allowed wildcard, refused.
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
  () => repeat(three, PER_ROUND),
  (event) => largeViewer(event),
  (event) => smallViewer(event),
);

// 4. Exact origins that fit the CloudFront Function under 10 KB.
async function fits(count: number): Promise<boolean> {
  return buildPolicy(`capacity-${count}`, { allowOrigins: Array.from({ length: count }, (_, i) => `https://s${i}.shop${i}.com`) }, 'cloudfront-functions').then(
    () => true,
    () => false,
  );
}
let low = 1;
let high = 2000;
while (low < high) {
  const middle = Math.ceil((low + high) / 2);
  if (await fits(middle)) low = middle;
  else high = middle - 1;
}
const capacity = low;

// 5. The CloudFront Function for a 3-origin policy.
const smallFunctionBytes = readFileSync(join(smallBuilt, 'cloudfront-functions', 'viewer-request.js')).byteLength;

// 6. Cold start: load and first call in a fresh process, over an empty module.
function coldStart(module: string, event: unknown): number {
  const script = `
    const start = process.hrtime.bigint();
    const { handler } = await import(${JSON.stringify(pathToFileURL(module).href)});
    await handler(${JSON.stringify(event)}, {});
    process.stdout.write(String(Number(process.hrtime.bigint() - start) / 1e6));`;
  return Number(spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' }).stdout);
}
const empty = join(work, 'empty', 'index.mjs');
execFileSync('mkdir', ['-p', join(work, 'empty')]);
writeFileSync(empty, 'export const handler = async (event) => event;\n');
const coldDifferences: number[] = [];
for (let i = 0; i < 15; i++) {
  const viewerModule = join(exampleDist, 'lambda-edge', 'viewer-request', 'index.mjs');
  coldDifferences.push(coldStart(viewerModule, viewerEvents[0]) - coldStart(empty, viewerEvents[0]));
}
const coldStartMs = median(coldDifferences);

// 7. The CloudFront Function under njs, over an identity function under njs.
const functionEvents = events<FunctionRequestEvent>('cloudfront-functions/viewer-request');
function njsMilliseconds(code: string, iterations: number): number {
  const script = join(work, `njs-${Math.random().toString(36).slice(2)}.js`);
  writeFileSync(
    script,
    `${code}
var events = ${JSON.stringify(functionEvents)};
var copies = [];
for (var i = 0; i < ${iterations}; i++) copies.push(JSON.parse(JSON.stringify(events[i % events.length])));
var start = Date.now();
for (var j = 0; j < copies.length; j++) handler(copies[j]);
console.log(String(Date.now() - start));
`,
  );
  return Number(execFileSync('njs', [script], { encoding: 'utf8' }).trim());
}
const identity = 'function handler(event) { return event.request; }';
const NJS_EVENTS = 60_000;
const njsRatios: number[] = [];
const njsCandidate: number[] = [];
const njsBaseline: number[] = [];
for (let round = 0; round < 5; round++) {
  const [candidate, baseline] = [njsMilliseconds(example.functionCode as string, NJS_EVENTS), Math.max(1, njsMilliseconds(identity, NJS_EVENTS))];
  njsRatios.push(candidate / baseline);
  njsCandidate.push((candidate * 1e6) / NJS_EVENTS);
  njsBaseline.push((baseline * 1e6) / NJS_EVENTS);
}
const njsRatio: Ratio = { ratio: median(njsRatios), candidate: median(njsCandidate), baseline: median(njsBaseline) };

const rows: Array<[string, string, string, boolean]> = [
  ['Lambda@Edge viewer request, per request, over an identity handler', show(viewerRatio), '<= 3x', viewerRatio.ratio <= 3],
  ['origin response, per request, over an identity handler', show(originRatio), '<= 4x', originRatio.ratio <= 4],
  ['10,000 exact + 200 wildcard origins, over a 3-origin policy', show(scaleRatio), '<= 1.5x', scaleRatio.ratio <= 1.5],
  ['exact origins (https://sN.shopN.com) in the CloudFront Function under 10 KB', String(capacity), '>= 350', capacity >= 350],
  ['CloudFront Function size, 3-origin policy', `${smallFunctionBytes.toLocaleString('en-US')} B`, '<= 2,500 B', smallFunctionBytes <= 2500],
  ['Lambda@Edge cold start (load + first call) over an empty module', `${coldStartMs.toFixed(2)} ms`, '<= 1 ms', coldStartMs <= 1],
  ['CloudFront Function under njs, over an identity function under njs', show(njsRatio), '(no goal)', true],
];
const width = Math.max(...rows.map((row) => row[0].length));
console.log(`cloudfront-cors bench: node ${process.version}, ${cpus()[0]?.model ?? 'unknown CPU'} x${cpus().length}\n`);
const valueWidth = Math.max(...rows.map((row) => row[1].length));
for (const [name, value, goal, met] of rows) console.log(`${name.padEnd(width)}  ${value.padStart(valueWidth)}  goal ${goal.padEnd(10)} ${met ? 'met' : 'MISSED'}`);
