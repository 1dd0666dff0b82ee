/**
 * Policy fuzzing: random policy files are either built or refused with messages (never an
 * exception of another kind), and a built policy never allows an origin the policy does not name.
 * Plus the limits: every regular expression on the request path is proven linear, so no input can
 * make the handlers backtrack, and huge or deep inputs are answered.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';
import { full } from 'acorn-walk';
import { parse } from 'acorn';
import fc from 'fast-check';
import { checkSync } from 'recheck';
import { beforeAll, describe, expect, it } from 'vitest';
import { build } from '../../build/build.ts';
import { PolicyError, validatePolicy } from '../../build/policy-file.ts';
import { canonicalOrigin } from '../../functions/core/origin.ts';
import { compilePolicy } from '../../functions/core/policy.ts';
import { decideViewerRequest as viewerRequest } from '../support/decisions.ts';
import { builtArtifacts, testPolicy, type Artifacts } from '../support/artifacts.ts';
import { viewerRequestEvents, type HeaderSpec } from '../support/events.ts';

const RUNS = Number(process.env['PROPERTY_RUNS'] ?? 2000);

/** DNS labels; never `xn--`, whose labels browsers read as punycode and the build refuses unless valid (hardening.test covers them). */
const label = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,6}[a-z0-9])?$/).filter((text) => !text.startsWith('xn--'));
const domain = fc.array(label, { minLength: 1, maxLength: 3 }).map((labels) => [...labels, 'example'].join('.'));
const port = fc.option(fc.integer({ min: 1, max: 65535 }).map(String), { nil: undefined });
const scheme = fc.constantFrom('https', 'http', 'capacitor');
/** Valid entries: exact origins and wildcards over domains that are not public suffixes. */
const validEntry = fc.oneof(
  fc.tuple(scheme, domain, port).map(([s, d, p]) => `${s}://${d}${p ? `:${p}` : ''}`),
  fc.tuple(scheme, domain, port).map(([s, d, p]) => `${s}://*.${d}${p ? `:${p}` : ''}`),
);
/** Anything at all where an entry goes, and near-misses. */
const anyEntry = fc.oneof(
  validEntry,
  validEntry.map((entry) => `${entry}/`),
  validEntry.map((entry) => entry.replace('://', '://user@')),
  fc.constantFrom('null', '*', 'https://*.com', 'https://*.co.uk', 'https://a.*.example', 'https://bücher.example', ''),
  fc.string({ maxLength: 30 }),
  fc.anything({ maxDepth: 1 }),
);
const anyPolicy = fc.record(
  {
    allowOrigins: fc.oneof(fc.array(anyEntry, { maxLength: 5 }), fc.anything({ maxDepth: 1 })),
    allowMethods: fc.oneof(fc.array(fc.oneof(fc.constantFrom('GET', 'put', 'PATCH', '*', '__proto__', 'B AD'), fc.string({ maxLength: 8 })), { maxLength: 4 }), fc.anything({ maxDepth: 1 })),
    allowHeaders: fc.array(fc.oneof(fc.constantFrom('content-type', 'x-amz-*', '*', 'a b', 'x-*-y'), fc.string({ maxLength: 8 })), { maxLength: 4 }),
    exposeHeaders: fc.array(fc.oneof(fc.constantFrom('ETag', '*', 'x-amz-*'), fc.string({ maxLength: 8 })), { maxLength: 3 }),
    allowCredentials: fc.oneof(fc.boolean(), fc.anything({ maxDepth: 0 })),
    maxAge: fc.oneof(fc.integer({ min: -10, max: 90000 }), fc.double(), fc.anything({ maxDepth: 0 })),
    preflight: fc.oneof(fc.constantFrom('edge', 'origin'), fc.string({ maxLength: 6 })),
    typo: fc.anything({ maxDepth: 0 }),
  },
  { requiredKeys: [] },
);

/** Whether an origin is named by a list of valid entries: written from SPEC §1 for this test. */
function named(entries: string[], origin: string): boolean {
  const canonical = canonicalOrigin(origin);
  if (canonical === null) return false;
  return entries.some((entry) => {
    const wild = entry.indexOf('://*.');
    const normalized = wild < 0 ? canonicalOrigin(entry) : null;
    if (wild < 0) return normalized === canonical;
    const [schemePart, rest] = [entry.slice(0, wild).toLowerCase(), entry.slice(wild + 5)];
    const [hostPart, portPart] = rest.split(':') as [string, string | undefined];
    const defaultPort = (schemePart === 'https' && portPart === '443') || (schemePart === 'http' && portPart === '80');
    const suffix = `.${hostPart.toLowerCase()}${portPart && !defaultPort ? `:${portPart}` : ''}`;
    return canonical.startsWith(`${schemePart}://`) && canonical.endsWith(suffix) && canonical.length > `${schemePart}://`.length + suffix.length;
  });
}

describe('policy fuzzing', () => {
  it('builds a random policy file or refuses it with a message for each problem', () => {
    fc.assert(
      fc.property(anyPolicy, (policy) => {
        try {
          validatePolicy(policy, 'fuzz.json');
        } catch (error) {
          expect(error).toBeInstanceOf(PolicyError);
          expect((error as PolicyError).problems.length).toBeGreaterThan(0);
          for (const problem of (error as PolicyError).problems) expect(problem.length).toBeGreaterThan(10);
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('never allows an origin the policy does not name', () => {
    const requestOrigin = fc.oneof(
      fc.tuple(scheme, fc.array(label, { maxLength: 2 }), domain, port).map(([s, extra, d, p]) => `${s}://${[...extra, d].join('.')}${p ? `:${p}` : ''}`),
      fc.string({ maxLength: 30 }),
    );
    fc.assert(
      fc.property(fc.array(validEntry, { minLength: 1, maxLength: 6 }), fc.array(requestOrigin, { minLength: 1, maxLength: 10 }), (entries, origins) => {
        const policy = compilePolicy(validatePolicy({ allowOrigins: entries }));
        for (const origin of origins.concat(entries.map((entry) => entry.replace('*.', 'x.')))) {
          const decision = viewerRequest(policy, { method: 'GET', host: ['d1.cloudfront.net'], origin: [origin], requestMethod: [], requestHeaders: [] });
          const forwarded = decision.action === 'forward' ? decision.origin : null;
          expect(forwarded !== 'null', `${origin} under ${JSON.stringify(entries)}`).toBe(named(entries, origin));
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('gives the built artifacts the same answer as the core for fuzzed policies', async () => {
    const policies = fc.sample(fc.array(validEntry, { minLength: 1, maxLength: 4 }), { numRuns: 6, seed: 7 });
    for (const entries of policies) {
      const artifacts = await builtArtifacts({ allowOrigins: entries });
      const core = compilePolicy(validatePolicy({ allowOrigins: entries }));
      for (const origin of [...entries.map((entry) => entry.replace('*.', 'a.b.')), ...entries.map((entry) => entry.replace('*.', ''))]) {
        const { lambda } = viewerRequestEvents('GET', { origin });
        const answer = (await artifacts.viewerRequestLambda(lambda)) as { headers: Record<string, Array<{ value: string }>> };
        const decision = viewerRequest(core, { method: 'GET', host: ['d111111abcdef8.cloudfront.net'], origin: [origin], requestMethod: [], requestHeaders: [] });
        expect(answer.headers['origin']?.[0]?.value).toBe(decision.action === 'forward' ? decision.origin : origin);
      }
    }
  });
});

describe('a policy too large for the CloudFront Function', () => {
  it('is held in a sorted list by Lambda@Edge, which answers as the engine does', async () => {
    // Prepare: 1,500 exact origins and 50 wildcards, over the build's threshold for a sorted list.
    const entries = [
      ...Array.from({ length: 1500 }, (_, i) => `https://s${i}.shop${i}.com`),
      ...Array.from({ length: 50 }, (_, i) => `https://*.tenant${i}.example.com`),
      'http://localhost:3000',
    ];
    const root = mkdtempSync(join(tmpdir(), 'cloudfront-cors-set-'));
    try {
      await build({ policy: { allowOrigins: entries }, outDir: join(root, 'dist'), viewerRequest: 'lambda' });
      const code = readFileSync(join(root, 'dist', 'lambda-edge', 'viewer-request', 'index.mjs'), 'utf8');
      // Sorted as `<` compares strings: `*` before letters, `s10` before `s2`.
      expect(code).toMatch(/"\*\.tenant0\.example\.com [^"]* s0\.shop0\.com s1\.shop1\.com s10\.shop10\.com [^"]*"\.split\(" "\)/);
      const { handler } = (await import(pathToFileURL(join(root, 'dist', 'lambda-edge', 'viewer-request', 'index.mjs')).href)) as {
        handler: (event: unknown) => Promise<{ headers: Record<string, Array<{ value: string }>> }>;
      };
      const core = compilePolicy(validatePolicy({ allowOrigins: entries }));
      const origins = [
        'https://s0.shop0.com', 'https://s1499.shop1499.com', 'https://S7.SHOP7.COM:443', 'https://s1500.shop1500.com', 'https://s1.shop2.com',
        'https://a.tenant49.example.com', 'https://a.b.tenant0.example.com', 'https://tenant0.example.com', 'https://a.tenant50.example.com',
        'http://localhost:3000', 'http://localhost', 'https://constructor', 'https://has', 'https://*.tenant1.example.com', 'null',
      ];
      // Act, twice: the second time the container's memo answers.
      for (const round of [1, 2]) {
        for (const origin of origins) {
          const { lambda } = viewerRequestEvents('GET', { origin });
          const answer = await handler(lambda);
          // Assess
          const decision = viewerRequest(core, { method: 'GET', host: ['d111111abcdef8.cloudfront.net'], origin: [origin], requestMethod: [], requestHeaders: [] });
          expect(answer.headers['origin']?.[0]?.value, `${origin}, round ${round}`).toBe(decision.action === 'forward' ? decision.origin : origin);
        }
      }
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('limits', () => {
  let artifacts: Artifacts;
  beforeAll(async () => {
    artifacts = await builtArtifacts(testPolicy('example'));
  });

  it('has only regular expressions that run in linear time on the request path: nothing a request sends can make them backtrack', () => {
    const bundles = [
      artifacts.functionCode,
      readFileSync(join(artifacts.deployed['viewer-request'], 'index.mjs'), 'utf8'),
      readFileSync(join(artifacts.deployed['origin-response'], 'index.mjs'), 'utf8'),
    ];
    const found: string[] = [];
    for (const code of bundles) {
      full(parse(code, { ecmaVersion: 'latest', sourceType: code.includes('export') ? 'module' : 'script' }), (node) => {
        const literal = node as unknown as { type: string; regex?: { pattern: string; flags: string }; callee?: { name?: string } };
        if (literal.type === 'Literal' && literal.regex !== undefined) {
          found.push(literal.regex.pattern);
          // recheck proves a pattern safe or finds an input that makes it backtrack (ReDoS).
          const verdict = checkSync(literal.regex.pattern, literal.regex.flags);
          expect(verdict.status, `/${literal.regex.pattern}/ is ${verdict.status}`).toBe('safe');
        }
        // A pattern built at run time cannot be checked here.
        expect(literal.type === 'NewExpression' || literal.type === 'CallExpression' ? literal.callee?.name : undefined).not.toBe('RegExp');
      });
    }
    expect(found.length).toBeGreaterThan(3); // the origin grammar, IPv6 groups, list items, Host
  });

  it.each<[string, HeaderSpec]>([
    ['a 1 MB Origin', { origin: `https://${'a'.repeat(1 << 20)}` }],
    ['an Origin of 10,000 labels under a wildcard domain', { origin: `https://${'a.'.repeat(10_000)}preview.example.com` }],
    ['127 labels, the most a host can have, under a wildcard domain', { origin: `https://${'a.'.repeat(117)}preview.example.com` }],
    ['a 1 MB Access-Control-Request-Headers', { origin: 'https://app.example.com', 'access-control-request-method': 'PUT', 'access-control-request-headers': 'x-amz-a,'.repeat(130_000) }],
    ['10,000 Origin headers', { origin: Array.from({ length: 10_000 }, () => 'https://app.example.com') }],
  ])('answers %s', async (_, headers) => {
    const { lambda, fn } = viewerRequestEvents(headers['access-control-request-method'] ? 'OPTIONS' : 'GET', headers);
    await expect(artifacts.viewerRequestLambda(lambda)).resolves.toBeDefined();
    expect(artifacts.viewerRequestFunction(fn)).toBeDefined();
  });
});
