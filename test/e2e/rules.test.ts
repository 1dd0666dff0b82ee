/**
 * Rules with S3's first-match semantics (SPEC §11), against an oracle written for this test from
 * S3's documented matching: the first rule whose origins hold the request's origin, whose methods
 * hold its method (the requested one, for a preflight) and whose headers cover every requested
 * header answers; no rule, refused. A `"*"` rule answers `*`, never with credentials, and the
 * origins only a `"*"` rule holds share the `null` cache key.
 *
 * Checked exhaustively on the built handlers for one policy (Lambda@Edge, the CloudFront Function
 * in V8 and under njs, then the origin response on what the viewer request forwarded), and with
 * fast-check on random policies through the engine's sources.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { validatePolicy } from '../../build/policy-file.ts';
import { originResponse, viewerRequest, type HeaderReader } from '../../functions/core/cors.ts';
import { compilePolicy } from '../../functions/core/policy.ts';
import { functionRequestEvent, header, originResponseEvent, viewerRequestEvent, type RequestOptions } from '../../testing/index.ts';
import { builtArtifacts, type Artifacts } from '../support/artifacts.ts';
import { functionAnswer, lambdaAnswer } from '../support/answers.ts';
import { asViewerAnswer, oracleOriginResponse, oracleViewer, type Rule } from '../support/s3-oracle.ts';

/** S3's own example (user guide, "CORS configuration"): two origins may write, everyone may read. */
const POLICY: { rules: Rule[] } = {
  rules: [
    {
      id: 'writers',
      allowOrigins: ['https://app.example.com', 'https://*.admin.example.com'],
      allowMethods: ['PUT', 'POST', 'DELETE'],
      allowHeaders: ['content-type', 'x-amz-*'],
      exposeHeaders: ['ETag'],
      allowCredentials: true,
      maxAge: 600,
    },
    { allowOrigins: ['http://localhost:3000'], allowMethods: ['GET', 'HEAD', 'PUT'], allowHeaders: ['content-type'] },
    { allowOrigins: ['*'], allowMethods: ['GET', 'HEAD'], exposeHeaders: ['Content-Length'] },
  ],
};

/** Origins as a browser or an attacker sends them, with the canonical form SPEC §3 gives each (`null`: malformed). */
const ORIGINS: Array<[string, string | null]> = [
  ['https://app.example.com', 'https://app.example.com'],
  ['HTTPS://App.Example.com:443', 'https://app.example.com'],
  ['https://eu.admin.example.com', 'https://eu.admin.example.com'],
  ['https://a.b.admin.example.com', 'https://a.b.admin.example.com'],
  ['https://admin.example.com', 'https://admin.example.com'],
  ['http://localhost:3000', 'http://localhost:3000'],
  ['http://localhost:3001', 'http://localhost:3001'],
  ['https://reader.example.net', 'https://reader.example.net'],
  ['https://evil.example', 'https://evil.example'],
  ['http://app.example.com', 'http://app.example.com'],
  ['https://app.example.com.evil.net', 'https://app.example.com.evil.net'],
  ['https://app.example.com.', 'https://app.example.com.'],
  ['null', null],
  ['https://app.example.com/', null],
  ['https://*.admin.example.com', null],
  ['https://app.example.com:0', null],
];

const METHODS = ['GET', 'HEAD', 'PUT', 'POST', 'DELETE', 'PATCH'];
const REQUESTED_HEADERS = ['', 'content-type', 'Content-Type, X-Amz-Date', 'x-secret', 'x-amz-meta-a, content-type'];

/** Every request the exhaustive check sends: each origin, each method, and each preflight. */
function requestsFor(origin: string): RequestOptions[] {
  const preflights = METHODS.flatMap((requestMethod) =>
    REQUESTED_HEADERS.map((requestHeaders) => ({ method: 'OPTIONS', origin, requestMethod, ...(requestHeaders === '' ? {} : { requestHeaders }) })),
  );
  return [...METHODS.map((method) => ({ method, origin })), ...preflights];
}

function corsHeaders(response: unknown): Record<string, string> {
  const headers = (response as { headers: Record<string, Array<{ value: string }>> }).headers;
  return Object.fromEntries(
    Object.entries(headers)
      .filter(([name]) => name.startsWith('access-control-'))
      .map(([name, entries]) => [name, entries.map((entry) => entry.value).join(', ')]),
  );
}

describe('a policy with rules, on the built handlers', () => {
  let artifacts: Artifacts;
  beforeAll(async () => {
    artifacts = await builtArtifacts(POLICY);
  });

  it('answers every origin, method and preflight as S3 would pick the rule, in Lambda@Edge and the function in V8 and njs', async () => {
    const cases = ORIGINS.flatMap(([origin, canonical]) => requestsFor(origin).map((request) => ({ request, canonical })));
    const inNjs = artifacts.viewerRequestFunctionInNjs(cases.map(({ request }) => functionRequestEvent(request)));
    expect(cases.length).toBe(ORIGINS.length * (METHODS.length + METHODS.length * REQUESTED_HEADERS.length));
    for (const [i, { request, canonical }] of cases.entries()) {
      const label = JSON.stringify(request);
      const expected = asViewerAnswer(oracleViewer(POLICY.rules, canonical, request), request);
      expect(lambdaAnswer(await artifacts.viewerRequestLambda(viewerRequestEvent(request))), label).toEqual(expected);
      expect(functionAnswer(artifacts.viewerRequestFunction(functionRequestEvent(request))), label).toEqual(expected);
      expect(functionAnswer(inNjs[i]!), label).toEqual(expected);
    }
  });

  it('writes the deciding rule\'s headers at the origin response, for what the viewer request forwarded', async () => {
    for (const [origin, canonical] of ORIGINS) {
      for (const method of METHODS) {
        const forwarded = header(await artifacts.viewerRequestLambda(viewerRequestEvent({ method, origin })), 'origin') as string;
        // The origin reflected whatever it was sent, with credentials, as an S3 rule with AllowedOrigin * does.
        const response = await artifacts.originResponse(
          originResponseEvent({ request: { method, origin: forwarded }, headers: { 'Access-Control-Allow-Origin': forwarded, 'Access-Control-Allow-Credentials': 'true' } }),
        );
        const label = `${method} from ${origin}, forwarded as ${forwarded}`;
        expect(corsHeaders(response), label).toEqual(oracleOriginResponse(POLICY.rules, forwarded, method));
        expect(header(response, 'vary'), label).toBe('Origin');
        expect(canonical === null ? forwarded : forwarded === 'null' || forwarded === canonical, label).toBeTruthy();
      }
    }
  });

  it('lets the named origin write after a preflight, and every other origin only read, with "*"', async () => {
    const preflight = await artifacts.viewerRequestLambda(viewerRequestEvent({ method: 'OPTIONS', origin: 'https://app.example.com', requestMethod: 'PUT', requestHeaders: 'content-type' }));
    expect(header(preflight, 'access-control-allow-origin')).toBe('https://app.example.com');
    expect(header(preflight, 'access-control-allow-credentials')).toBe('true');
    const write = await artifacts.originResponse(originResponseEvent({ request: { method: 'PUT', origin: 'https://app.example.com' } }));
    expect(header(write, 'access-control-allow-origin')).toBe('https://app.example.com');
    // S3's first match: the writers' rule does not allow GET, so the "*" rule answers the app's reads.
    const read = await artifacts.originResponse(originResponseEvent({ request: { method: 'GET', origin: 'https://app.example.com' } }));
    expect(header(read, 'access-control-allow-origin')).toBe('*');
    expect(header(read, 'access-control-allow-credentials')).toBeUndefined();
    const otherWrite = await artifacts.viewerRequestLambda(viewerRequestEvent({ method: 'OPTIONS', origin: 'https://reader.example.net', requestMethod: 'PUT' }));
    expect(header(otherWrite, 'access-control-allow-origin')).toBeUndefined();
    const otherRead = await artifacts.viewerRequestFunction(functionRequestEvent({ method: 'OPTIONS', origin: 'https://reader.example.net', requestMethod: 'GET' }));
    expect(header(otherRead, 'access-control-allow-origin')).toBe('*');
  });

  it('keys the cache on one value per origin a rule names, and one for every other origin', async () => {
    const others = Array.from({ length: 200 }, (_, i) => `https://site-${i}.example.org`);
    const forwarded = new Set<string>();
    for (const origin of [...others, 'https://app.example.com', 'https://x.admin.example.com', 'http://localhost:3000']) {
      for (const method of ['GET', 'HEAD']) forwarded.add(header(artifacts.viewerRequestFunction(functionRequestEvent({ method, origin })), 'origin') as string);
    }
    expect([...forwarded].sort()).toEqual(['http://localhost:3000', 'https://app.example.com', 'https://x.admin.example.com', 'null']);
  });
});

describe('a policy with rules, through the engine on random policies', () => {
  const ORIGIN_POOL = ['https://app.example.com', 'https://*.admin.example.com', 'http://localhost:3000', 'https://reader.example.net'];
  const HEADER_POOL = ['content-type', 'x-amz-*', '*', 'x-secret'];
  const ruleArbitrary: fc.Arbitrary<Rule> = fc
    .record({
      any: fc.boolean(),
      origins: fc.subarray(ORIGIN_POOL, { minLength: 1 }),
      methods: fc.subarray(METHODS, { minLength: 1 }),
      headers: fc.subarray(HEADER_POOL),
      expose: fc.subarray(['ETag', 'Content-Length']),
      credentials: fc.boolean(),
      maxAge: fc.option(fc.integer({ min: 0, max: 86400 }), { nil: undefined }),
    })
    .map(({ any, origins, methods, headers, expose, credentials, maxAge }) => ({
      allowOrigins: any ? ['*'] : origins,
      allowMethods: methods,
      allowHeaders: headers,
      exposeHeaders: expose,
      ...(any ? {} : { allowCredentials: credentials }),
      ...(maxAge === undefined ? {} : { maxAge }),
    }));
  const requestArbitrary = fc.record({
    origin: fc.constantFrom(...ORIGINS),
    method: fc.constantFrom(...METHODS),
    requestMethod: fc.option(fc.constantFrom(...METHODS), { nil: undefined }),
    requestHeaders: fc.constantFrom(...REQUESTED_HEADERS),
  });

  function reader(request: RequestOptions): HeaderReader {
    const headers: Record<string, string[]> = { host: ['d111111abcdef8.cloudfront.net'], origin: [request.origin as string] };
    if (request.requestMethod !== undefined) headers['access-control-request-method'] = [request.requestMethod];
    if (request.requestHeaders !== undefined) headers['access-control-request-headers'] = [request.requestHeaders];
    return (name) => headers[name] ?? [];
  }

  it('picks the rule S3 would, at the viewer request and the origin response', () => {
    fc.assert(
      fc.property(fc.array(ruleArbitrary, { minLength: 1, maxLength: 4 }), fc.array(requestArbitrary, { minLength: 1, maxLength: 20 }), (rules, requests) => {
        const policy = compilePolicy(validatePolicy({ rules }));
        for (const { origin: [origin, canonical], method, requestMethod, requestHeaders } of requests) {
          const request: RequestOptions =
            requestMethod === undefined ? { method, origin } : { method: 'OPTIONS', origin, requestMethod, ...(requestHeaders === '' ? {} : { requestHeaders }) };
          const expected = oracleViewer(rules, canonical, request);
          const answer = viewerRequest(policy, request.method, reader(request));
          if ('forward' in expected) expect(answer === undefined ? origin : answer).toBe(expected.forward);
          else expect(answer).toEqual({ answerStatus: expected.status, answerHeaders: expected.headers });
          if (requestMethod !== undefined) continue;
          const forwarded = answer === undefined ? origin : (answer as string);
          const action = originResponse(policy, method, reader({ origin: forwarded }), 200, []);
          expect(action.headers).toEqual(oracleOriginResponse(rules, forwarded, method));
          expect(action.vary).toBe(rules.every((rule) => rule.allowOrigins[0] === '*') ? null : 'Origin');
        }
      }),
      { numRuns: 500 },
    );
  });

  it('answers a policy of one rule in "rules" exactly as the same rule at the top level', () => {
    fc.assert(
      fc.property(ruleArbitrary, fc.array(requestArbitrary, { minLength: 1, maxLength: 20 }), (rule, requests) => {
        const inRules = compilePolicy(validatePolicy({ rules: [rule] }));
        const alone = compilePolicy(validatePolicy(rule));
        for (const { origin: [origin], method, requestMethod, requestHeaders } of requests) {
          const request: RequestOptions = requestMethod === undefined ? { method, origin } : { method: 'OPTIONS', origin, requestMethod, requestHeaders };
          expect(viewerRequest(inRules, request.method, reader(request))).toEqual(viewerRequest(alone, request.method, reader(request)));
          expect(originResponse(inRules, request.method, reader(request), 403, ['Accept'])).toEqual(originResponse(alone, request.method, reader(request), 403, ['Accept']));
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('rules under "mode": "report-only"', () => {
  const REPORTED = {
    rules: [
      { allowOrigins: ['https://app.example.com'], allowMethods: ['PUT'], allowHeaders: ['content-type'] },
      { allowOrigins: ['*'], allowMethods: ['GET', 'HEAD'] },
    ],
    mode: 'report-only',
  };
  let artifacts: Artifacts;
  beforeAll(async () => {
    artifacts = await builtArtifacts(REPORTED);
  });

  it.each([
    ['method', { method: 'OPTIONS', origin: 'https://reader.example.net', requestMethod: 'PUT' }],
    ['method', { method: 'OPTIONS', origin: 'https://app.example.com', requestMethod: 'DELETE' }],
    ['header', { method: 'OPTIONS', origin: 'https://app.example.com', requestMethod: 'PUT', requestHeaders: 'x-secret' }],
    ['method', { method: 'POST', origin: 'https://reader.example.net' }],
    ['malformed', { method: 'POST', origin: 'https://reader.example.net/' }],
    ['not allowed', { method: 'POST', origin: 'null' }],
  ] as Array<[string, RequestOptions]>)('logs a request no rule allows as %s, the same in every flavour, and lets it pass', async (reason, request) => {
    const lines: string[] = [];
    const log = console.log;
    console.log = (line: string) => void lines.push(line);
    try {
      expect(await artifacts.viewerRequestLambda(viewerRequestEvent(request))).toEqual(viewerRequestEvent(request).Records[0]!.cf.request);
      expect(artifacts.viewerRequestFunction(functionRequestEvent(request))).toEqual(functionRequestEvent(request).request);
    } finally {
      console.log = log;
    }
    const line = { 'cloudfront-cors': 'refused', origin: request.origin, reason };
    expect(lines.map((text) => JSON.parse(text))).toEqual([line, line]);
    const [inNjs] = artifacts.viewerRequestFunctionInNjs([functionRequestEvent(request)]);
    expect(inNjs).toEqual(functionRequestEvent(request).request);
  });

  it('logs nothing for what a rule allows, "*" reads from anyone included', async () => {
    const lines: string[] = [];
    const log = console.log;
    console.log = (line: string) => void lines.push(line);
    try {
      for (const request of [
        { origin: 'https://reader.example.net' },
        { origin: 'not an origin' },
        { method: 'OPTIONS', origin: 'https://reader.example.net', requestMethod: 'GET' },
        { method: 'OPTIONS', origin: 'https://app.example.com', requestMethod: 'PUT', requestHeaders: 'content-type' },
      ]) {
        await artifacts.viewerRequestLambda(viewerRequestEvent(request));
        artifacts.viewerRequestFunction(functionRequestEvent(request));
      }
    } finally {
      console.log = log;
    }
    expect(lines).toEqual([]);
  });

  it('leaves the origin its own answer to a method no rule allows, and writes "*" for a read', async () => {
    const reflected = { 'Access-Control-Allow-Origin': 'https://reader.example.net', 'Access-Control-Allow-Credentials': 'true' };
    const post = await artifacts.originResponse(originResponseEvent({ request: { method: 'POST', origin: 'https://reader.example.net' }, headers: reflected }));
    expect(header(post, 'access-control-allow-credentials')).toBe('true');
    const read = await artifacts.originResponse(originResponseEvent({ request: { origin: 'null' }, headers: reflected }));
    expect(corsHeaders(read)).toEqual({ 'access-control-allow-origin': '*' });
  });
});

describe('one rule, as it always answered (SPEC §5.2)', () => {
  it('answers a request whose method is not in allowMethods, which only preflights are held to', async () => {
    // A form POST needs no preflight; browsers let an allowed origin read its answer.
    const artifacts = await builtArtifacts({ allowOrigins: ['https://app.example.com'], allowCredentials: true });
    const post = await artifacts.originResponse(originResponseEvent({ request: { method: 'POST', origin: 'https://app.example.com' } }));
    expect(corsHeaders(post)).toEqual({ 'access-control-allow-origin': 'https://app.example.com', 'access-control-allow-credentials': 'true' });
    const inRules = await builtArtifacts({ rules: [{ allowOrigins: ['https://app.example.com'], allowCredentials: true }] });
    const same = await inRules.originResponse(originResponseEvent({ request: { method: 'POST', origin: 'https://app.example.com' } }));
    expect(corsHeaders(same)).toEqual(corsHeaders(post));
  });

  it('lets the method choose among several rules, as S3 does', async () => {
    const artifacts = await builtArtifacts({ rules: [{ allowOrigins: ['https://app.example.com'], allowMethods: ['GET'], allowCredentials: true }, { allowOrigins: ['https://other.example.com'] }] });
    const post = await artifacts.originResponse(originResponseEvent({ request: { method: 'POST', origin: 'https://app.example.com' } }));
    expect(corsHeaders(post)).toEqual({});
  });
});
