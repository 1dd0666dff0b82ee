/**
 * `npm run cache-figures`: how many cache entries one object gets behind the local edge, for 10,000
 * requests whose `Origin` is mostly junk (random strings, look-alikes, real sites not in the policy)
 * with a few allowed origins among them. Goal: one entry per allowed origin seen, plus one (`null`).
 * For comparison, the same traffic with `Origin` in the cache key but no viewer-request function.
 */
import { join } from 'node:path';
import { ROOT } from '../build/build.ts';
import { createEdge, type Edge } from '../dev/edge.ts';
import { buildInMemory, type EdgeHandlers } from '../dev/handlers.ts';
import { s3Folder } from '../dev/origins.ts';
import { templateHeaders } from '../dev/server.ts';

const REQUESTS = 10_000;
const ALLOWED = ['https://app.example.com', 'https://pr-1.preview.example.com', 'https://pr-2.preview.example.com'];

/** A deterministic generator, so two runs send the same traffic. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return state / 2 ** 32;
  };
}

function junkOrigin(next: () => number): string {
  const word = () => Math.floor(next() * 36 ** 6).toString(36);
  const kinds = [
    () => `https://${word()}.example.net`, // a real-looking site the policy does not name
    () => `https://app.example.com.${word()}.net`, // suffix attack
    () => `http://app.example.com:${1 + Math.floor(next() * 65535)}`, // other ports
    () => `https://${word()}preview.example.com`, // look-alike of the wildcard
    () => word(), // not an origin at all
    () => `HTTPS://APP.EXAMPLE.COM/${word()}`, // malformed variant of an allowed one
  ];
  return kinds[Math.floor(next() * kinds.length)]!();
}

async function entriesFor(edge: Edge, traffic: string[]): Promise<number> {
  for (const origin of traffic) await edge.handle({ method: 'GET', url: '/demo.json', headers: [['Host', 'd111111abcdef8.cloudfront.net'], ['Origin', origin]] });
  return edge.cache.size;
}

const handlers: EdgeHandlers = await buildInMemory({ allowOrigins: ['https://app.example.com', 'https://*.preview.example.com'] });
const bucket = join(ROOT, 'dev', 'demo-bucket');

const next = random(20261123);
const traffic = Array.from({ length: REQUESTS }, () => (next() < 0.05 ? ALLOWED[Math.floor(next() * ALLOWED.length)]! : junkOrigin(next)));
const allowedSeen = new Set(traffic.filter((origin) => ALLOWED.includes(origin))).size;
const distinct = new Set(traffic).size;

const keyHeaders = templateHeaders().cacheKey;
const withFunctions = await entriesFor(createEdge({ handlers, origin: s3Folder(bucket), keyHeaders }), traffic);
// Origin in the key, but nothing canonicalizing it: what keying on Origin alone costs.
const keyOnly = await entriesFor(
  createEdge({
    handlers: { ...handlers, viewerRequestFunction: (event) => event.request, viewerRequestFunctionAsync: async (event) => event.request },
    origin: s3Folder(bucket),
    keyHeaders,
  }),
  traffic,
);

console.log(`${REQUESTS.toLocaleString('en-US')} requests for one object, ${distinct.toLocaleString('en-US')} distinct Origin values, ${allowedSeen} allowed origins among them\n`);
console.log(`cache entries with cloudfront-cors:                   ${withFunctions}   (goal: ${allowedSeen} allowed + 1 for null = ${allowedSeen + 1})`);
console.log(`cache entries keyed on Origin without the viewer step: ${keyOnly.toLocaleString('en-US')}`);
process.exitCode = withFunctions === allowedSeen + 1 ? 0 : 1;
