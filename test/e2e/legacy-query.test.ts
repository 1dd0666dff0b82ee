/**
 * `legacyQueryParameters` (SPEC §11) on the built artifacts: the Lambda@Edge viewer request, the
 * CloudFront Function in V8 and under njs (with and without a store) drop the same parameters, and
 * behind the local edge an old URL and the new one share one cache entry.
 */
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { CloudFrontRequest } from 'aws-lambda';
import { ROOT } from '../../build/build.ts';
import { createEdge } from '../../dev/edge.ts';
import { s3Folder } from '../../dev/origins.ts';
import { templateHeaders } from '../../dev/server.ts';
import { buildHandlers, functionRequestEvent, viewerRequestEvent, type EdgeHandlers } from '../../testing/index.ts';
import { builtArtifacts, runInNjs, type Artifacts } from '../support/artifacts.ts';

const POLICY = { allowOrigins: ['https://app.example.com'], legacyQueryParameters: ['origin', 'site'] };

/** Name and value pairs as a form decodes them, sorted: how the two runtimes' shapes compare. */
function pairsOfRaw(query: string): string[] {
  return [...new URLSearchParams(query)].map(([name, value]) => `${name}=${value}`).sort();
}
/** A CloudFront Function's query string: the object CloudFront gave, or the string it wrote back. */
function pairsOfFunction(query: string | Record<string, { value: string; multiValue?: Array<{ value: string }> }>): string[] {
  if (typeof query === 'string') return pairsOfRaw(query);
  return Object.entries(query).flatMap(([name, { value, multiValue }]) => (multiValue ?? [{ value }]).map((entry) => `${name}=${entry.value}`)).sort();
}

const QUERIES = [
  '',
  'origin=5',
  'v=2&origin=5',
  'origin=1&v=%20x&origin=2',
  'ori%67in=5&a=b',
  'site=3&sites=4&Site=5&xorigin=6&origin2=7',
  'q=a%2Bb&origin=1&r=%E2%9C%93',
  'a=1&a=2&origin=3&a=4',
];

describe('legacy query parameters', () => {
  let artifacts: Artifacts;
  let store: EdgeHandlers;
  beforeAll(async () => {
    artifacts = await builtArtifacts(POLICY);
    store = await buildHandlers({ ...POLICY, originStore: 'keyvaluestore' });
  });

  it.each(QUERIES)('are dropped alike by every viewer-request flavour from %j', async (query) => {
    // Act
    const lambda = (await artifacts.viewerRequestLambda(viewerRequestEvent({ origin: 'https://app.example.com', querystring: query }))) as CloudFrontRequest;
    const fn = functionRequestEvent({ origin: 'https://app.example.com', querystring: query });
    type Query = { querystring: string | Record<string, { value: string }> };
    const inV8 = artifacts.viewerRequestFunction(structuredClone(fn)) as unknown as Query;
    const [inNjs] = artifacts.viewerRequestFunctionInNjs([structuredClone(fn)]) as unknown as Query[];
    const withStore = (await store.viewerRequestFunctionAsync(structuredClone(fn))) as unknown as Query;
    // Assess
    const expected = pairsOfRaw(query).filter((pair) => !/^(origin|site)=/.test(pair));
    expect(pairsOfRaw(lambda.querystring)).toEqual(expected);
    expect(pairsOfFunction(inV8.querystring)).toEqual(expected);
    expect(pairsOfFunction(inNjs!.querystring)).toEqual(expected);
    expect(pairsOfFunction(withStore.querystring)).toEqual(expected);
  });

  it('leaves the rest of Lambda@Edge\'s raw query string as it came: order, encoding, repeated names', async () => {
    const request = (await artifacts.viewerRequestLambda(viewerRequestEvent({ querystring: 'b=2&origin=1&a=%41+%2B&b=1&site' }))) as CloudFrontRequest;
    expect(request.querystring).toBe('b=2&a=%41+%2B&b=1');
  });

  it('in the store function too under njs, which imports CloudFront\'s modules', () => {
    const [answer] = runInNjs(store.functionCode as string, [functionRequestEvent({ querystring: 'origin=1&v=2' })], {}) as unknown as Array<{ querystring: string }>;
    expect(answer!.querystring).toBe('v=2');
  });

  it('reads the CloudFront Function\'s raw query string as Lambda@Edge reads its own: the same string comes out', async () => {
    // Prepare: the raw string CloudFront hands the function through request.rawQueryString().
    const raw = 'b=2&ori%67in=1&a=%41+%2B&b=1&site&o%72igin=2&%=x';
    const event = functionRequestEvent({ querystring: 'b=2' });
    Object.defineProperty(event.request, 'rawQueryString', { value: () => raw, enumerable: false });
    // Act
    const fromFunction = (await store.viewerRequestFunctionAsync(event)) as unknown as { querystring: string };
    const fromLambda = (await artifacts.viewerRequestLambda(viewerRequestEvent({ querystring: raw }))) as CloudFrontRequest;
    // Assess
    expect(fromFunction.querystring).toBe('b=2&a=%41+%2B&b=1&%=x');
    expect(fromLambda.querystring).toBe(fromFunction.querystring);
  });

  it('lets an old URL and the new one share one cache entry, and sends the origin the rest', async () => {
    // Prepare: the local edge, keyed like template.yaml's cache policy (path, query string, Origin).
    const handlers = await buildHandlers(POLICY);
    const bucket = s3Folder(join(ROOT, 'dev', 'demo-bucket'));
    const edge = createEdge({ handlers, origin: bucket, keyHeaders: templateHeaders().cacheKey });
    const get = (url: string) => edge.handle({ method: 'GET', url, headers: [['Host', 'd111111abcdef8.cloudfront.net'], ['Origin', 'https://app.example.com']] });
    // Act and assess
    expect((await get('/demo.json?origin=5')).cache).toBe('Miss');
    expect((await get('/demo.json')).cache).toBe('Hit');
    expect((await get('/demo.json?origin=7')).cache).toBe('Hit');
    expect((await get('/demo.json?v=2&origin=5')).cache).toBe('Miss');
    expect((await get('/demo.json?v=2')).cache).toBe('Hit');
    expect(edge.cache.size).toBe(2);
    expect(bucket.requests.map((request) => request.url)).toEqual(['/demo.json', '/demo.json?v=2']);
  });
});
