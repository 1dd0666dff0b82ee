/**
 * SPEC §3, §4 and §6 on the built viewer-request artifacts: the Lambda@Edge folder imported from a
 * copy of its own, the CloudFront Function in a fresh V8 context and under njs. Both flavours must
 * give the same answer to every request.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { CloudFrontRequestEvent } from 'aws-lambda';
import { builtArtifacts, testPolicy, type Artifacts } from '../support/artifacts.ts';
import { functionAnswer, lambdaAnswer, type ViewerAnswer } from '../support/answers.ts';
import { ALLOWED_ORIGINS, ATTACK_ORIGINS } from '../support/attacks.ts';
import { loadEvent, scenarios, viewerRequestEvents, type FunctionRequestEvent, type HeaderSpec } from '../support/events.ts';

const PREFLIGHT_VARY = 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers';
const REFUSED = { kind: 'response', status: 403, headers: { vary: PREFLIGHT_VARY } } as const;

/** What each recorded scenario must produce under test/policies/example.json. */
const EXPECTED: Record<string, { origin: string[] | undefined } | ViewerAnswer> = {
  'no-origin': { origin: undefined },
  'allowed-origin': { origin: ['https://app.example.com'] },
  'allowed-origin-noncanonical': { origin: ['https://app.example.com'] },
  'wildcard-origin': { origin: ['https://pr-42.preview.example.com'] },
  'localhost-origin': { origin: ['http://localhost:3000'] },
  'disallowed-origin': { origin: ['null'] },
  'malformed-origin': { origin: ['null'] },
  'null-origin': { origin: ['null'] },
  'two-origin-headers': { origin: ['null'] },
  'same-origin': { origin: ['https://d111111abcdef8.cloudfront.net'] },
  'options-without-request-method': { origin: ['https://app.example.com'] },
  'preflight-allowed': {
    kind: 'response',
    status: 204,
    headers: {
      'access-control-allow-origin': 'https://app.example.com',
      'access-control-allow-methods': 'GET, HEAD, PUT',
      'access-control-allow-headers': 'content-type, x-amz-meta-owner',
      'access-control-max-age': '600',
      'access-control-allow-credentials': 'true',
      vary: PREFLIGHT_VARY,
    },
  },
  'preflight-disallowed-method': REFUSED,
  'preflight-disallowed-header': REFUSED,
  'preflight-disallowed-origin': REFUSED,
};

/** Runs one request through every flavour and returns the answers, checking they agree. */
async function answersFor(artifacts: Artifacts, lambda: CloudFrontRequestEvent, fn: FunctionRequestEvent): Promise<ViewerAnswer> {
  const fromLambda = lambdaAnswer(await artifacts.viewerRequestLambda(lambda));
  const fromFunction = functionAnswer(artifacts.viewerRequestFunction(fn));
  expect(fromFunction).toEqual(fromLambda);
  return fromLambda;
}

/** The request headers the recording had, with Origin as expected: nothing else may change. */
function expectedRequest(fn: FunctionRequestEvent, origin: string[] | undefined): ViewerAnswer {
  const headers: Record<string, string[]> = {};
  for (const [name, header] of Object.entries(fn.request.headers)) {
    headers[name] = header.multiValue ? header.multiValue.map((v) => v.value) : [header.value];
  }
  if (origin === undefined) delete headers['origin'];
  else headers['origin'] = origin;
  return { kind: 'request', headers };
}

describe('built viewer request, example policy', () => {
  let artifacts: Artifacts;
  beforeAll(async () => {
    artifacts = await builtArtifacts(testPolicy('example'));
  });

  it('has the same recorded scenarios for both runtimes, and an expectation for each', () => {
    expect(scenarios('cloudfront-functions/viewer-request')).toEqual(scenarios('lambda-edge/viewer-request'));
    expect(scenarios('lambda-edge/viewer-request')).toEqual(Object.keys(EXPECTED).sort());
  });

  describe.each(scenarios('lambda-edge/viewer-request'))('recorded scenario %s', (scenario) => {
    it('gets the same answer from Lambda@Edge, the CloudFront Function and the function under njs', async () => {
      // Prepare
      const lambda = loadEvent('lambda-edge/viewer-request', scenario);
      const fn = loadEvent('cloudfront-functions/viewer-request', scenario);
      const expected = EXPECTED[scenario]!;
      const want = 'kind' in expected ? expected : expectedRequest(fn, expected.origin);
      // Act
      const answer = await answersFor(artifacts, lambda, fn);
      const [underNjs] = artifacts.viewerRequestFunctionInNjs([fn]);
      // Assess
      expect(answer).toEqual(want);
      expect(functionAnswer(underNjs!)).toEqual(want);
    });
  });

  it.each(ATTACK_ORIGINS)('collapses $attack to null', async ({ origin }) => {
    const { lambda, fn } = viewerRequestEvents('GET', { origin });
    expect(await answersFor(artifacts, lambda, fn)).toMatchObject({ kind: 'request', headers: { origin: ['null'] } });
  });

  it.each(ATTACK_ORIGINS)('refuses a preflight from $attack', async ({ origin }) => {
    const { lambda, fn } = viewerRequestEvents('OPTIONS', { origin, 'access-control-request-method': 'GET' });
    expect(await answersFor(artifacts, lambda, fn)).toEqual(REFUSED);
  });

  it('collapses every attacker origin to null under njs too', () => {
    const events = ATTACK_ORIGINS.map(({ origin }) => viewerRequestEvents('GET', { origin }).fn);
    const answers = artifacts.viewerRequestFunctionInNjs(events).map(functionAnswer);
    expect(answers.map((answer) => answer.kind === 'request' && answer.headers['origin'])).toEqual(events.map(() => ['null']));
  });

  it('collapses two Origin headers to null even when both are allowed', async () => {
    const { lambda, fn } = viewerRequestEvents('GET', { origin: ['https://app.example.com', 'https://app.example.com'] });
    expect(await answersFor(artifacts, lambda, fn)).toMatchObject({ headers: { origin: ['null'] } });
  });

  it.each(ALLOWED_ORIGINS)('forwards $origin as $canonical', async ({ origin, canonical }) => {
    const { lambda, fn } = viewerRequestEvents('GET', { origin });
    expect(await answersFor(artifacts, lambda, fn)).toMatchObject({ kind: 'request', headers: { origin: [canonical] } });
  });

  it('answers a preflight from a wildcard origin with that origin, never the wildcard', async () => {
    const { lambda, fn } = viewerRequestEvents('OPTIONS', {
      origin: 'https://a.b.preview.example.com',
      'access-control-request-method': 'GET',
    });
    expect(await answersFor(artifacts, lambda, fn)).toMatchObject({
      status: 204,
      headers: { 'access-control-allow-origin': 'https://a.b.preview.example.com' },
    });
  });

  it.each<[string, HeaderSpec]>([
    ['a method outside allowMethods', { 'access-control-request-method': 'POST' }],
    ['a method in the wrong case (Fetch compares exactly)', { 'access-control-request-method': 'put' }],
    ['a header outside allowHeaders', { 'access-control-request-method': 'PUT', 'access-control-request-headers': 'authorization' }],
    ['a header that only starts like an allowed prefix', { 'access-control-request-method': 'PUT', 'access-control-request-headers': 'x-am' }],
    ['a requested header that is not a token', { 'access-control-request-method': 'PUT', 'access-control-request-headers': 'x a' }],
  ])('refuses a preflight asking for %s', async (_, headers) => {
    const { lambda, fn } = viewerRequestEvents('OPTIONS', { origin: 'https://app.example.com', ...headers });
    expect(await answersFor(artifacts, lambda, fn)).toEqual(REFUSED);
  });

  it('allows requested headers without case and in any order, answering them lower-cased', async () => {
    const { lambda, fn } = viewerRequestEvents('OPTIONS', {
      origin: 'http://localhost:3000',
      'access-control-request-method': 'PUT',
      'access-control-request-headers': 'X-Amz-Meta-A, Content-Type',
    });
    expect(await answersFor(artifacts, lambda, fn)).toMatchObject({
      status: 204,
      headers: { 'access-control-allow-headers': 'x-amz-meta-a, content-type' },
    });
  });
});

describe('built viewer request, public mode ("*")', () => {
  let artifacts: Artifacts;
  beforeAll(async () => {
    artifacts = await builtArtifacts({ allowOrigins: ['*'], allowMethods: ['GET', 'PUT'], allowHeaders: ['content-type'] });
  });

  // SPEC §4.6: the answer is `*` whoever asks, so every cross-origin request shares one cache entry.
  it.each(['https://anyone.example', 'null', 'https://app.example.com/'])('forwards a request from %j as null, changing nothing else', async (origin) => {
    const { lambda, fn } = viewerRequestEvents('GET', { origin });
    expect(await answersFor(artifacts, lambda, fn)).toEqual(expectedRequest(fn, ['null']));
  });

  it('answers a preflight with "*" and no credentials', async () => {
    const { lambda, fn } = viewerRequestEvents('OPTIONS', { origin: 'https://anyone.example', 'access-control-request-method': 'PUT' });
    expect(await answersFor(artifacts, lambda, fn)).toEqual({
      kind: 'response',
      status: 204,
      headers: { 'access-control-allow-origin': '*', 'access-control-allow-methods': 'GET, PUT', vary: PREFLIGHT_VARY },
    });
  });

  it('refuses a preflight from a malformed origin, which is never allowed', async () => {
    const { lambda, fn } = viewerRequestEvents('OPTIONS', { origin: 'https://x.example/', 'access-control-request-method': 'GET' });
    expect(await answersFor(artifacts, lambda, fn)).toEqual(REFUSED);
  });
});

describe('built viewer request, preflight: "origin"', () => {
  it('forwards an allowed preflight with its canonical origin, and a refused one with null', async () => {
    const artifacts = await builtArtifacts({ ...testPolicy('example'), preflight: 'origin' });
    const allowed = viewerRequestEvents('OPTIONS', { origin: 'HTTPS://APP.EXAMPLE.COM', 'access-control-request-method': 'PUT' });
    const refused = viewerRequestEvents('OPTIONS', { origin: 'https://evil.example.net', 'access-control-request-method': 'PUT' });
    expect(await answersFor(artifacts, allowed.lambda, allowed.fn)).toMatchObject({ kind: 'request', headers: { origin: ['https://app.example.com'] } });
    expect(await answersFor(artifacts, refused.lambda, refused.fn)).toMatchObject({ kind: 'request', headers: { origin: ['null'] } });
  });
});

describe('built viewer request, policy entries written loosely', () => {
  it('matches entries by their canonical form: case folded, default port dropped', async () => {
    const artifacts = await builtArtifacts({ allowOrigins: ['HTTPS://App.Example.com:443', 'http://*.Dev.Example.com:80'] });
    for (const [origin, canonical] of [
      ['https://app.example.com', 'https://app.example.com'],
      ['http://x.dev.example.com', 'http://x.dev.example.com'],
      ['http://dev.example.com', 'null'],
    ] as const) {
      const { lambda, fn } = viewerRequestEvents('GET', { origin });
      expect(await answersFor(artifacts, lambda, fn)).toMatchObject({ headers: { origin: [canonical] } });
    }
  });
});

describe('built viewer request never breaks the site (SPEC §6)', () => {
  let artifacts: Artifacts;
  beforeAll(async () => {
    artifacts = await builtArtifacts(testPolicy('example'));
  });

  const manyHeaders = Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`x-h${i}`, 'v']));
  const ODD_REQUESTS: Array<[string, unknown]> = [
    ['headers missing', { method: 'GET' }],
    ['headers null', { method: 'GET', headers: null }],
    ['method missing', { headers: {} }],
    ['Origin value a number', { method: 'GET', headers: { origin: { value: 7 } } }],
    ['multiValue not an array', { method: 'GET', headers: { origin: { value: 'https://app.example.com', multiValue: 'x' } } }],
    ['multiValue of nulls', { method: 'GET', headers: { origin: { value: 'x', multiValue: [null, 5] } } }],
    ['a __proto__ header', JSON.parse('{"method":"OPTIONS","headers":{"__proto__":{"value":"x"},"origin":{"value":"https://app.example.com"}}}')],
    ['a 64 KB Origin', { method: 'GET', headers: { origin: { value: `https://${'a'.repeat(65536)}.example.com` } } }],
    ['5,000 headers', { method: 'GET', headers: { ...manyHeaders, origin: { value: 'https://app.example.com' } } }],
    ['ACRH with 10,000 names', {
      method: 'OPTIONS',
      headers: {
        origin: { value: 'https://app.example.com' },
        'access-control-request-method': { value: 'PUT' },
        'access-control-request-headers': { value: Array.from({ length: 10000 }, () => 'content-type').join(',') },
      },
    }],
  ];

  it.each(ODD_REQUESTS)('CloudFront Function: %s', (_, request) => {
    const event = { version: '1.0', request } as unknown as FunctionRequestEvent;
    expect(() => artifacts.viewerRequestFunction(event)).not.toThrow();
  });

  it('CloudFront Function under njs: none of them throws', () => {
    const events = ODD_REQUESTS.map(([, request]) => ({ version: '1.0', request }) as unknown as FunctionRequestEvent);
    for (const result of artifacts.viewerRequestFunctionInNjs(events)) expect(result).not.toHaveProperty('thrown');
  });

  it.each([
    ['no Records', {}],
    ['headers that are arrays of junk', { Records: [{ cf: { request: { method: 'GET', headers: { origin: [null, 3, { value: 9 }] } } } }] }],
    ['headers not arrays', { Records: [{ cf: { request: { method: 'GET', headers: { origin: { value: 'https://app.example.com' } } } } }] }],
    ['a frozen request', { Records: [{ cf: { request: Object.freeze({ method: 'GET', headers: Object.freeze({ origin: [{ key: 'Origin', value: 'x' }] }) }) } }] }],
  ])('Lambda@Edge: %s', async (_, event) => {
    await expect(artifacts.viewerRequestLambda(event as never)).resolves.not.toThrow();
  });
});
