/**
 * SPEC §7 on the built artifacts: a cache keyed like the cache policy in template.yaml (path and
 * the headers it names, after the viewer-request function), in front of an origin that reflects any `Origin` with credentials (an S3 CORS rule with
 * `AllowedOrigin *`). Whatever order origins arrive in, no answer cached for one is served to
 * another. The same traffic through a cache without the functions shows the failure it prevents.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { CloudFrontHeaders, CloudFrontRequest, CloudFrontResponse } from 'aws-lambda';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../../build/build.ts';
import { createEdge } from '../../dev/edge.ts';
import { s3Folder } from '../../dev/origins.ts';
import { templateHeaders } from '../../dev/server.ts';
import { buildHandlers } from '../../testing/index.ts';
import { canonicalOrigin } from '../../functions/core/origin.ts';
import { builtArtifacts, testPolicy, type Artifacts } from '../support/artifacts.ts';
import { ALLOWED_ORIGINS, ATTACK_ORIGINS } from '../support/attacks.ts';
import { loadEvent, viewerRequestEvents } from '../support/events.ts';

interface Answer {
  status: string;
  allowOrigin: string | undefined;
  allowCredentials: string | undefined;
  vary: string | undefined;
}

const first = (headers: CloudFrontHeaders | undefined, name: string) => headers?.[name]?.[0]?.value;

/** The headers template.yaml's cache policy puts in the cache key, lower-cased. */
const KEY_HEADERS = templateHeaders().cacheKey.map((name) => name.toLowerCase());

/** One object behind a CloudFront-like cache, with or without the cloudfront-cors functions. */
class Edge {
  readonly cache = new Map<string, CloudFrontResponse>();
  constructor(private readonly artifacts: Artifacts | null) {}

  async get(path: string, origin: string | undefined, host?: string): Promise<Answer> {
    const { lambda } = viewerRequestEvents('GET', { ...(origin === undefined ? {} : { origin }), ...(host === undefined ? {} : { host }) });
    const cf = lambda.Records[0]!.cf;
    cf.request.uri = path;
    const viewed = this.artifacts ? await this.artifacts.viewerRequestLambda(lambda) : cf.request;
    if (viewed && 'status' in viewed) throw new Error('a GET is never answered at the edge');
    const request = viewed as CloudFrontRequest;

    // Without the functions the cache key is the path alone, as it was before this project.
    const forwarded = first(request.headers, 'origin');
    const key = this.artifacts ? [path, ...KEY_HEADERS.map((name) => first(request.headers, name) ?? '')].join(' ') : path;
    let response = this.cache.get(key);
    if (response === undefined) {
      response = await this.fromOrigin(request, forwarded);
      this.cache.set(key, response);
    }
    return {
      status: response.status,
      allowOrigin: first(response.headers, 'access-control-allow-origin'),
      allowCredentials: first(response.headers, 'access-control-allow-credentials'),
      vary: first(response.headers, 'vary'),
    };
  }

  /** The origin reflects whatever Origin it is sent, with credentials; origin-response runs on the miss. */
  private async fromOrigin(request: CloudFrontRequest, forwarded: string | undefined): Promise<CloudFrontResponse> {
    const event = loadEvent('lambda-edge/origin-response', 'no-origin');
    event.Records[0]!.cf.request.headers = request.headers;
    const headers = event.Records[0]!.cf.response.headers;
    if (forwarded !== undefined) {
      headers['access-control-allow-origin'] = [{ key: 'Access-Control-Allow-Origin', value: forwarded }];
      headers['access-control-allow-credentials'] = [{ key: 'Access-Control-Allow-Credentials', value: 'true' }];
    }
    if (!this.artifacts) return event.Records[0]!.cf.response;
    return (await this.artifacts.originResponse(event)) as CloudFrontResponse;
  }
}

/** What a browser at `origin` makes of an answer to a credentialed request (Fetch, "CORS check"). */
function browserReads(origin: string, answer: Answer): boolean {
  return answer.allowOrigin === origin && answer.allowCredentials === 'true';
}

/** A fixed shuffle, so a failure names a reproducible order. */
function shuffled<T>(items: T[], seed: number): T[] {
  const out = items.slice();
  let state = seed;
  for (let i = out.length - 1; i > 0; i--) {
    state = (state * 1103515245 + 12345) % 2147483648;
    const j = state % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

const BROWSER_ORIGINS = ['https://app.example.com', 'https://pr-1.preview.example.com', 'https://pr-2.preview.example.com', 'http://localhost:3000'];
const TRAFFIC = [
  ...BROWSER_ORIGINS,
  ...BROWSER_ORIGINS,
  ...ALLOWED_ORIGINS.map((row) => row.origin),
  ...ATTACK_ORIGINS.map((row) => row.origin),
  undefined,
  undefined,
];

describe('one cache, many origins (SPEC §7)', () => {
  it('keys the cache on what template.yaml\'s cache policy names', () => {
    expect(KEY_HEADERS).toEqual(['origin']);
  });

  let artifacts: Artifacts;
  beforeAll(async () => {
    artifacts = await builtArtifacts(testPolicy('example'));
  });

  it.each([1, 2, 3, 4, 5, 6, 7, 8])('never serves one origin what was cached for another (order %i)', async (seed) => {
    const edge = new Edge(artifacts);
    for (const origin of shuffled(TRAFFIC, seed)) {
      const answer = await edge.get('/data/catalog.json', origin);
      const canonical = origin === undefined ? null : canonicalOrigin(origin);
      const allowed = ALLOWED_ORIGINS.some((row) => row.canonical === canonical) || BROWSER_ORIGINS.includes(canonical ?? '');
      // Access-Control-Allow-Origin is only ever the canonical form of the request's own allowed origin.
      if (allowed) expect(answer.allowOrigin).toBe(canonical);
      else expect(answer.allowOrigin).toBeUndefined();
      // It depends on the request, so every answer says so.
      expect(answer.vary).toBe('Origin');
      expect(answer.allowOrigin).not.toBe('*');
    }
    // One entry per allowed origin seen, one for every refused origin (null), one for no Origin.
    expect(edge.cache.size).toBe(new Set([...BROWSER_ORIGINS, ...ALLOWED_ORIGINS.map((row) => row.canonical)]).size + 2);
  });

  it('lets every browser origin read the object, in either order and interleaved', async () => {
    const edge = new Edge(artifacts);
    for (const origin of [...BROWSER_ORIGINS, ...BROWSER_ORIGINS.slice().reverse()]) {
      expect(browserReads(origin, await edge.get('/data/catalog.json', origin))).toBe(true);
    }
  });

  it('shows the failure it fixes: without the functions the second origin gets the first one\'s answer', async () => {
    const edge = new Edge(null);
    expect(browserReads('https://app.example.com', await edge.get('/data/catalog.json', 'https://app.example.com'))).toBe(true);
    const second = await edge.get('/data/catalog.json', 'http://localhost:3000');
    expect(second.allowOrigin).toBe('https://app.example.com');
    expect(browserReads('http://localhost:3000', second)).toBe(false);
    // And an attacker who fills the cache first is trusted by every later viewer.
    const poisoned = new Edge(null);
    await poisoned.get('/x', 'https://evil.example.net');
    expect((await poisoned.get('/x', 'https://app.example.com')).allowOrigin).toBe('https://evil.example.net');
  });
});

/** Every spelling a client may invent for the distribution's own origin (its Host is DISTRIBUTION). */
const DISTRIBUTION = 'd111111abcdef8.cloudfront.net';
const SAME_ORIGIN_SPELLINGS = [
  ...Array.from({ length: 50 }, (_, i) => `s${i}://${DISTRIBUTION}`),
  ...['http', 'https', 'HTTP', 'Https', 'ftp', 'ws', 'wss'].flatMap((scheme) =>
    [DISTRIBUTION, DISTRIBUTION.toUpperCase(), `${DISTRIBUTION}:80`, `${DISTRIBUTION}:443`, `${DISTRIBUTION}.`].map((host) => `${scheme}://${host}`),
  ),
];

/** Cache entries one object may hold (SPEC §4): one per allowed origin seen, `null`, no Origin, two same-origin. */
function bound(allowedSeen: number): number {
  return allowedSeen + 1 + 1 + 2;
}

describe('a bounded number of cache entries per object (SPEC §4.2, §4.4, §4.6)', () => {
  it('keys every same-origin spelling on at most two values', async () => {
    const artifacts = await builtArtifacts(testPolicy('example'));
    const edge = new Edge(artifacts);
    for (const origin of shuffled([...SAME_ORIGIN_SPELLINGS, ...BROWSER_ORIGINS, ...ATTACK_ORIGINS.map((row) => row.origin), undefined], 7)) {
      const answer = await edge.get('/data/catalog.json', origin, DISTRIBUTION);
      if (origin !== undefined && !BROWSER_ORIGINS.includes(origin)) expect(answer.allowOrigin).toBeUndefined();
    }
    const forwarded = [...edge.cache.keys()].map((key) => key.split(' ')[1]);
    expect(forwarded.filter((value) => value!.includes(DISTRIBUTION)).sort()).toEqual([`http://${DISTRIBUTION}`, `https://${DISTRIBUTION}`]);
    expect(edge.cache.size).toBeLessThanOrEqual(bound(BROWSER_ORIGINS.length));
  });

  it('keys every Host spelling on the same two values: ports a client invents are cross-origin', async () => {
    const artifacts = await builtArtifacts(testPolicy('example'));
    const edge = new Edge(artifacts);
    const hosts = [DISTRIBUTION, DISTRIBUTION.toUpperCase(), `${DISTRIBUTION}:443`, `${DISTRIBUTION}:80`, ` ${DISTRIBUTION}\t`,
      ...[1, 2, 8080, 8443, 65535].map((port) => `${DISTRIBUTION}:${port}`)];
    for (const host of hosts) {
      const authority = host.trim().toLowerCase();
      for (const scheme of ['http', 'https', 'HTTPS']) await edge.get('/data/catalog.json', `${scheme}://${authority}`, host);
    }
    const forwarded = [...edge.cache.keys()].map((key) => key.split(' ')[1]).sort();
    expect(forwarded).toEqual([`http://${DISTRIBUTION}`, `https://${DISTRIBUTION}`, 'null']);
  });

  it('keys public mode on null for every cross-origin request: 350 junk origins, one entry', async () => {
    const artifacts = await builtArtifacts({ allowOrigins: ['*'] });
    const edge = new Edge(artifacts);
    const junk = Array.from({ length: 350 }, (_, i) => `https://junk-${i}.example`);
    for (const origin of shuffled([...junk, ...SAME_ORIGIN_SPELLINGS, ...ATTACK_ORIGINS.map((row) => row.origin), undefined], 3)) {
      const answer = await edge.get('/public.json', origin, DISTRIBUTION);
      expect(answer).toMatchObject({ allowOrigin: '*', allowCredentials: undefined });
    }
    expect(edge.cache.size).toBeLessThanOrEqual(bound(0));
  });
});

describe('never "*" with credentials (SPEC §7)', () => {
  it('answers public mode with "*" alone, even when the origin sent credentials', async () => {
    const artifacts = await builtArtifacts({ allowOrigins: ['*'] });
    const edge = new Edge(artifacts);
    for (const origin of ['https://anyone.example', 'null', undefined]) {
      const answer = await edge.get('/public.json', origin);
      expect(answer).toMatchObject({ allowOrigin: '*', allowCredentials: undefined });
    }
  });
});

describe('the cache with origins in a KeyValueStore', () => {
  it('serves an origin added to the store on the next request, and refuses it once removed, with no rebuild', async () => {
    // Prepare: the local edge (template.yaml's cache key and forwarded headers) in front of a bucket
    // that reflects any Origin, with the testing helpers' store read from a file that changes.
    const dir = mkdtempSync(join(tmpdir(), 'cloudfront-cors-live-'));
    try {
      const file = join(dir, 'origins.txt');
      writeFileSync(file, '');
      const handlers = await buildHandlers({ allowOrigins: ['https://app.example.com'], originStore: 'keyvaluestore' }, { kvs: file });
      const headers = templateHeaders();
      const bucket = s3Folder(join(ROOT, 'dev', 'demo-bucket'));
      const edge = createEdge({ handlers, origin: bucket, keyHeaders: headers.cacheKey, forwardHeaders: headers.preflight });
      const get = async (origin: string) => {
        const answer = await edge.handle({ method: 'GET', url: '/demo.json', headers: [['Host', 'd111111abcdef8.cloudfront.net'], ['Origin', origin]] });
        const allowOrigin = answer.headers.find(([name]) => name.toLowerCase() === 'access-control-allow-origin')?.[1];
        return { cache: answer.cache, allowOrigin };
      };
      const shop = 'https://shop.example.net';
      // Act and assess: refused, then added, then removed.
      expect(await get(shop)).toEqual({ cache: 'Miss', allowOrigin: undefined });
      writeFileSync(file, `${shop}\n`);
      expect(await get(shop)).toEqual({ cache: 'Miss', allowOrigin: shop });
      expect(await get(shop)).toEqual({ cache: 'Hit', allowOrigin: shop });
      expect(bucket.requests.at(-1)?.headers['x-cors-vouch']?.[0]).toMatch(/^\d+\.allowed\.[0-9a-f]{64}$/);
      writeFileSync(file, '# nobody\n');
      expect(await get(shop)).toEqual({ cache: 'Hit', allowOrigin: undefined }); // the null entry of the first request
      expect(await get('https://app.example.com')).toEqual({ cache: 'Miss', allowOrigin: 'https://app.example.com' });
      // One entry per allowed origin seen, plus null.
      expect(edge.cache.size).toBe(3);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
