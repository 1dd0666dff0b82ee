/**
 * Property tests on the built handlers (fast-check, thousands of runs each): random and adversarial
 * requests and responses never make a handler throw; Access-Control-Allow-Origin is only ever `*`
 * or the canonical form of the request's own allowed origin; `*` never comes with credentials;
 * origin-dependent answers carry `Vary: Origin`; origin-response twice equals once; the two
 * viewer-request flavours always agree. Allowed-ness is judged by an oracle written for this test.
 */
import type { CloudFrontHeaders, CloudFrontRequest, CloudFrontResponse, CloudFrontResponseEvent } from 'aws-lambda';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { INTERNAL_PROPERTIES } from '../../functions/core/policy.ts';
import { builtArtifacts, testPolicy, type Artifacts } from '../support/artifacts.ts';
import { functionAnswer, lambdaAnswer } from '../support/answers.ts';
import { ALLOWED_ORIGINS, ATTACK_ORIGINS } from '../support/attacks.ts';
import { loadEvent, viewerRequestEvents } from '../support/events.ts';

/** Runs per property; PROPERTY_RUNS=50000 npm test searches deeper. */
const RUNS = Number(process.env['PROPERTY_RUNS'] ?? 3000);

/**
 * An origin's canonical form, written out independently from SPEC §3 with regular expressions:
 * `scheme://host[:port]`, DNS labels, case folded, default port dropped. `rootDot` accepts one
 * trailing dot, as only the same-origin check does. An IPv6 literal is hex groups only, as browsers send it.
 */
function oracleParse(origin: string, rootDot = false): { scheme: string; canonical: string; authority: string; port: string } | null {
  const match = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([A-Za-z0-9.-]+|\[[0-9A-Fa-f:]+\])(?::(\d{1,5}))?$/.exec(origin);
  if (!match) return null;
  const [, scheme, rawHost, port] = match as unknown as [string, string, string, string | undefined];
  const s = scheme.toLowerCase();
  const ipv6 = rawHost.startsWith('[');
  const dotted = !ipv6 && rootDot && rawHost.length > 1 && rawHost.endsWith('.');
  const h = (dotted ? rawHost.slice(0, -1) : rawHost).toLowerCase();
  if (port !== undefined && (port.startsWith('0') || Number(port) > 65535 || Number(port) === 0)) return null;
  if (ipv6 && !oracleIpv6(h.slice(1, -1))) return null;
  if (!ipv6 && (h.length > 253 || h.split('.').some((label) => label === '' || label.length > 63 || label.startsWith('-') || label.endsWith('-')))) return null;
  const p = port === undefined || (s === 'https' && port === '443') || (s === 'http' && port === '80') ? '' : `:${port}`;
  const authority = `${h}${dotted ? '.' : ''}${p}`;
  return { scheme: s, canonical: `${s}://${authority}`, authority, port: p };
}

/** RFC 4291 §2.2 hex groups (no dotted tail): eight of them, or fewer around one `::`. */
function oracleIpv6(inner: string): boolean {
  const halves = inner.split('::');
  if (halves.length > 2) return false;
  const groups = halves.map((half) => (half === '' ? [] : half.split(':')));
  if (groups.flat().some((group) => !/^[0-9a-f]{1,4}$/.test(group))) return false;
  const count = groups.flat().length;
  return halves.length === 2 ? count <= 7 : count === 8;
}

/**
 * The example policy's allowlist, written out independently: `https://app.example.com`,
 * `http://localhost:3000`, and any `https://<labels>.preview.example.com`, all lower case, no port.
 * A policy of another shape names its own exact origins and whether it has the wildcard.
 */
function oracleCanonical(origin: string, allowlist: Allowlist = EXAMPLE_ALLOWLIST): string | null {
  const parsed = oracleParse(origin);
  if (parsed === null) return null;
  const { canonical, scheme, authority } = parsed;
  if (allowlist.exact.includes(canonical)) return canonical;
  if (allowlist.preview && scheme === 'https' && authority.endsWith('.preview.example.com') && authority.length > '.preview.example.com'.length) return canonical;
  return null;
}

interface Allowlist {
  exact: readonly string[];
  /** `https://*.preview.example.com` is in the policy. */
  preview: boolean;
}
const EXAMPLE_ALLOWLIST: Allowlist = { exact: ['https://app.example.com', 'http://localhost:3000'], preview: true };
/** Exact origins that share a parent domain, so the CloudFront Function groups them. */
const GROUPED = ['https://a1.example.net', 'https://a2.example.net', 'https://a3.example.net'];

/** SPEC §4.2 written out independently: an http(s) origin on its default port naming the Host, canonical; else null. */
function oracleSameOrigin(origins: string[], hosts: string[]): string | null {
  if (origins.length !== 1 || hosts.length !== 1) return null;
  const parsed = oracleParse(origins[0]!, true);
  if (parsed === null || (parsed.scheme !== 'http' && parsed.scheme !== 'https') || parsed.port !== '') return null;
  const host = hosts[0]!.replace(/^[ \t]+|[ \t]+$/g, '').replace(/[A-Z]/g, (c) => c.toLowerCase());
  if (host === parsed.authority) return parsed.canonical;
  if (!host.includes(':')) return null;
  return oracleParse(`${parsed.scheme}://${host}`, true)?.canonical === parsed.canonical ? parsed.canonical : null;
}

/** Every field name of the compiled policy and its decisions: the words the build shortens. */
const INTERNAL_NAMES = INTERNAL_PROPERTIES.source.replace(/^\^\(|\)\$$/g, '').split('|');

const label = fc.oneof(fc.stringMatching(/^[a-zA-Z0-9]([a-zA-Z0-9-]{0,8}[a-zA-Z0-9])?$/), fc.constantFrom('\u212Aey', '\u0130d', 'x\u017F'));
/** Origins near the policy's edges, the distribution's own in many spellings, and plain junk. */
const originValue = fc.oneof(
  fc.constantFrom(...ALLOWED_ORIGINS.map((row) => row.origin), ...ATTACK_ORIGINS.map((row) => row.origin), ...GROUPED,
    'https://A2.Example.NET:443', 'https://a4.example.net', 'https://example.net', 'https://x.a1.example.net', 'http://a1.example.net'),
  fc
    .record({
      scheme: fc.constantFrom('https', 'http', 'HTTPS', 'Http', 'ftp', 'capacitor', 's0', 's49', 'wss'),
      labels: fc.array(label, { minLength: 0, maxLength: 3 }),
      base: fc.constantFrom('preview.example.com', 'app.example.com', 'example.com', 'localhost', 'evil.net', 'PREVIEW.EXAMPLE.COM',
        'd111111abcdef8.cloudfront.net', 'D111111ABCDEF8.CLOUDFRONT.NET', 'app.example.com.', '127.0.0.1', '127.1', '0x7f.0.0.1', '[::1]', '[0:0::1]', '[::FFFF:127.0.0.1]'),
      port: fc.option(fc.constantFrom('443', '80', '3000', '8443', '0', '65536', '03000'), { nil: undefined }),
      tail: fc.constantFrom('', '', '', '/', '.', ' ', '%2e', '@evil.net'),
    })
    .map(({ scheme, labels, base, port, tail }) => `${scheme}://${[...labels, base].join('.')}${port ? `:${port}` : ''}${tail}`),
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
);
const method = fc.constantFrom('GET', 'HEAD', 'OPTIONS', 'PUT', 'POST', 'options', 'DELETE');
/** Header and method names: the policies' own, internal names, shortened names, and look-alikes beyond ASCII. */
const policyWord = fc.constantFrom(...INTERNAL_NAMES, 'e', 'i', 'a', 'l', 'constructor', '__proto__', 'x-amz-\u0130d', 'x-amz-\u212Aey', '\u212Aey');
const requestHeaders = fc.record(
  {
    origin: fc.array(originValue, { minLength: 0, maxLength: 2 }),
    'access-control-request-method': fc.array(
      fc.oneof(fc.constantFrom('GET', 'PUT', 'put', 'DELETE', 'PATCH', '', ' PUT\t', '\u00a0PUT', '\uFEFFGET'), policyWord),
      { maxLength: 2 },
    ),
    'access-control-request-headers': fc.array(
      fc.array(fc.oneof(fc.constantFrom('content-type', 'x-amz-meta-a', 'authorization', 'X-Amz-Date', ' ', 'x y', '__proto__', '\u00a0content-type'), policyWord), { maxLength: 4 })
        .map((names) => names.join(',')),
      { maxLength: 2 },
    ),
    host: fc.array(
      fc.constantFrom('d111111abcdef8.cloudfront.net', 'd111111abcdef8.cloudfront.net:443', 'D111111ABCDEF8.CLOUDFRONT.NET', 'app.example.com',
        'APP.EXAMPLE.COM:443', 'app.example.com.', '\u212Aey.example', ' app.example.com\t', '', 'app.example.com:8443', 'localhost:3000', '[::1]'),
      { maxLength: 2 },
    ),
  },
  { requiredKeys: [] },
);

/** The Lambda@Edge and CloudFront Functions events for one generated request. */
function viewerEvents(m: string, headers: Record<string, string[]>) {
  const spec = Object.fromEntries(Object.entries(headers).filter(([, values]) => values.length > 0));
  return viewerRequestEvents(m, spec);
}

/** The single value of a response header, or undefined; fails the property on repeats. */
function single(headers: CloudFrontHeaders | undefined, name: string): string | undefined {
  const entries = headers?.[name];
  if (entries === undefined) return undefined;
  expect(entries).toHaveLength(1);
  return entries[0]!.value;
}

/** The invariants of SPEC §7 on one answer to a request that sent `origins`. */
function checkSecurity(headers: Record<string, string | undefined>, origins: string[], publicMode: boolean, allowlist: Allowlist): void {
  const allowOrigin = headers['access-control-allow-origin'];
  const credentials = headers['access-control-allow-credentials'];
  if (allowOrigin === undefined) return;
  if (allowOrigin === '*') {
    expect(publicMode).toBe(true);
    expect(credentials).toBeUndefined();
    return;
  }
  expect(origins).toHaveLength(1);
  expect(allowOrigin).toBe(oracleCanonical(origins[0]!, allowlist));
  // `Vary: *` varies on everything, Origin included (RFC 9110 §12.5.5); SPEC §5.3 keeps it.
  const vary = headers['vary']?.split(',').map((token) => token.trim().toLowerCase()) ?? [];
  expect(vary.includes('origin') || vary.includes('*'), `Vary: ${headers['vary']}`).toBe(true);
}

/**
 * Policies of every shape the build compiles code for (see `CodeShape`): wildcards or none, grouped
 * exact origins, header prefixes or exact names only, public mode, preflights at the edge or the
 * origin, credentials and max age or neither, legacy query parameters or none. (A store's
 * function is async; test/e2e/store.test.ts holds it to these answers.)
 */
describe.each([
  ['example policy', testPolicy('example'), false, EXAMPLE_ALLOWLIST],
  ['public mode', { allowOrigins: ['*'], allowMethods: ['GET', 'PUT'], allowHeaders: ['content-type'] }, true, EXAMPLE_ALLOWLIST],
  ['policy of internal names, dropping legacy query parameters',
    { ...testPolicy('example'), allowMethods: ['GET', 'PUT', ...INTERNAL_NAMES], allowHeaders: ['content-type', 'x-amz-*', ...INTERNAL_NAMES], legacyQueryParameters: ['origin', ...INTERNAL_NAMES] }, false, EXAMPLE_ALLOWLIST],
  ['exact origins only, grouped, exact header names, no credentials or max age',
    { allowOrigins: ['https://app.example.com', 'http://localhost:3000', ...GROUPED], allowMethods: ['GET', 'PUT'], allowHeaders: ['content-type'] }, false,
    { exact: ['https://app.example.com', 'http://localhost:3000', ...GROUPED], preview: false }],
  ['preflights answered by the origin', { ...testPolicy('example'), preflight: 'origin' }, false, EXAMPLE_ALLOWLIST],
] as const)('built handlers, %s', (_, policy, publicMode, allowlist) => {
  let artifacts: Artifacts;
  beforeAll(async () => {
    artifacts = await builtArtifacts(policy);
  });

  it('viewer request: both flavours agree, never throw, and answer preflights only as SPEC §7 allows', async () => {
    await fc.assert(
      fc.asyncProperty(method, requestHeaders, async (m, headers) => {
        const { lambda, fn } = viewerEvents(m, headers);
        const fromLambda = lambdaAnswer(await artifacts.viewerRequestLambda(lambda));
        expect(functionAnswer(artifacts.viewerRequestFunction(fn))).toEqual(fromLambda);
        if (fromLambda.kind === 'response') {
          checkSecurity(fromLambda.headers, headers.origin ?? [], publicMode, allowlist);
          if (fromLambda.status === 204) expect(fromLambda.headers['vary']).toMatch(/^Origin, /);
        } else if ((headers.origin ?? []).length > 0) {
          // Forwarded: the canonical same-origin, else the canonical allowed origin (never in
          // public mode, whose cross-origin requests all share null), else null.
          const sent = headers.origin!;
          const allowed = sent.length === 1 && !publicMode ? oracleCanonical(sent[0]!, allowlist) : null;
          // No generated Host leaves the recording's, the distribution's own domain.
          const host = (headers.host ?? []).length > 0 ? headers.host! : ['d111111abcdef8.cloudfront.net'];
          const expected = oracleSameOrigin(sent, host) ?? allowed ?? 'null';
          expect(fromLambda.headers['origin']).toEqual([expected]);
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('origin response: never throws, is idempotent, and keeps the SPEC §7 invariants for any origin answer', async () => {
    const originHeaders = fc.array(
      fc.tuple(
        fc.constantFrom('Access-Control-Allow-Origin', 'Access-Control-Allow-Credentials', 'access-control-allow-methods', 'Access-Control-Expose-Headers',
          'Access-Control-Max-Age', 'Vary', 'vary', 'ETag', 'Content-Type', 'X-Custom'),
        fc.oneof(originValue, fc.constantFrom('*', 'true', 'Origin', 'Accept-Encoding, Origin', 'origin,origin', '')),
      ),
      { maxLength: 8 },
    );
    const status = fc.constantFrom('200', '204', '304', '403', '404', '500', '503');
    await fc.assert(
      fc.asyncProperty(method, requestHeaders, originHeaders, status, async (m, request, response, code) => {
        const event = loadEvent('lambda-edge/origin-response', 'no-origin') as CloudFrontResponseEvent;
        const cf = event.Records[0]!.cf as { request: CloudFrontRequest; response: CloudFrontResponse };
        (cf.request as { method: string }).method = m;
        for (const [name, values] of Object.entries(request)) {
          if (values.length > 0) cf.request.headers[name] = values.map((value) => ({ key: name, value }));
        }
        cf.response.status = code;
        cf.response.headers = {};
        for (const [key, value] of response) (cf.response.headers[key.toLowerCase()] ??= []).push({ key, value });

        const once = (await artifacts.originResponse(structuredClone(event))) as CloudFrontResponse;
        const again = structuredClone(event);
        again.Records[0]!.cf.response = structuredClone(once);
        expect(await artifacts.originResponse(again)).toEqual(once);

        // CORS headers come once each; Vary too outside public mode (in public mode it is the origin's).
        const owned = (name: string) => name.startsWith('access-control-') || (name === 'vary' && !publicMode);
        const headers = Object.fromEntries(
          Object.keys(once.headers).map((name) => [name, owned(name) ? single(once.headers, name) : once.headers[name]!.map((e) => e.value).join(', ')]),
        );
        checkSecurity(headers, request.origin ?? [], publicMode, allowlist);
        if (!publicMode) {
          const vary = headers['vary']!;
          expect(vary === '*' || vary.split(',').filter((t) => t.trim().toLowerCase() === 'origin').length === 1).toBe(true);
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('the CloudFront Function under njs agrees with Lambda@Edge on generated requests', async () => {
    const samples = fc.sample(fc.tuple(method, requestHeaders), { numRuns: 2000, seed: 42 });
    const pairs = samples.map(([m, headers]) => viewerEvents(m, headers));
    const underNjs = artifacts.viewerRequestFunctionInNjs(pairs.map((pair) => pair.fn));
    for (const [i, pair] of pairs.entries()) {
      expect(functionAnswer(underNjs[i]!)).toEqual(lambdaAnswer(await artifacts.viewerRequestLambda(pair.lambda)));
    }
  });

  it('never throws on events of any shape', async () => {
    await fc.assert(
      fc.asyncProperty(fc.anything({ maxDepth: 4 }), fc.anything({ maxDepth: 3 }), async (junk, headers) => {
        const shapes: unknown[] = [junk, { Records: [junk] }, { Records: [{ cf: junk }] }, { Records: [{ cf: { request: { method: 'GET', headers }, response: { status: '200', headers } } }] }];
        for (const event of shapes) {
          await artifacts.viewerRequestLambda(structuredClone(event) as never);
          await artifacts.originResponse(structuredClone(event) as never);
          artifacts.viewerRequestFunction({ request: { method: 'OPTIONS', headers } } as never);
          artifacts.viewerRequestFunction(structuredClone(event) as never);
        }
      }),
      { numRuns: RUNS },
    );
  });
});
