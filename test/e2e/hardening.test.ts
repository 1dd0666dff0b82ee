/**
 * What an attacker's review of the built handlers found (issue 8), each on the built artifacts:
 * every viewer request runs through Lambda@Edge, the CloudFront Function in V8 and the same file
 * under njs, and all three must give the same answer.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { CloudFrontHeaders, CloudFrontResponse } from 'aws-lambda';
import { build } from '../../build/build.ts';
import { PolicyError } from '../../build/policy-file.ts';
import { INTERNAL_PROPERTIES } from '../../functions/core/policy.ts';
import { functionAnswer, lambdaAnswer, type ViewerAnswer } from '../support/answers.ts';
import { builtArtifacts, testPolicy, type Artifacts } from '../support/artifacts.ts';
import { originResponseEvent, viewerRequestEvents, type HeaderSpec } from '../support/events.ts';

const DISTRIBUTION = 'd111111abcdef8.cloudfront.net';
const PREFLIGHT_VARY = 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers';
const REFUSED: ViewerAnswer = { kind: 'response', status: 403, headers: { vary: PREFLIGHT_VARY } };

interface Request {
  method: string;
  headers: HeaderSpec;
}

/**
 * Runs requests through all three runners, checks they agree, and returns the answers. The njs
 * runs are one batch, so a table of requests costs one njs process.
 */
async function answers(artifacts: Artifacts, requests: Request[]): Promise<ViewerAnswer[]> {
  const events = requests.map(({ method, headers }) => viewerRequestEvents(method, headers));
  const underNjs = artifacts.viewerRequestFunctionInNjs(events.map((pair) => pair.fn));
  const out: ViewerAnswer[] = [];
  for (const [i, { lambda, fn }] of events.entries()) {
    const fromLambda = lambdaAnswer(await artifacts.viewerRequestLambda(lambda));
    const label = JSON.stringify(requests[i]);
    expect(functionAnswer(artifacts.viewerRequestFunction(fn)), `CloudFront Function, V8: ${label}`).toEqual(fromLambda);
    expect(functionAnswer(underNjs[i]!), `CloudFront Function, njs: ${label}`).toEqual(fromLambda);
    out.push(fromLambda);
  }
  return out;
}

/** The `Origin` a request was forwarded with, or the status of the answer the edge gave. */
function outcome(answer: ViewerAnswer): string | number | undefined {
  if (answer.kind === 'response') return answer.status;
  const origin = answer.headers['origin'];
  return origin === undefined ? undefined : origin.join(' | ');
}

const preflight = (origin: string, method: string, headers?: string): Request => ({
  method: 'OPTIONS',
  headers: { origin, 'access-control-request-method': method, ...(headers === undefined ? {} : { 'access-control-request-headers': headers }) },
});

/** The allowlist of `test/policies/example.json`, and public mode: what same-origin must not depend on. */
const BOTH_MODES = [
  ['example policy', testPolicy('example')],
  ['public mode', { allowOrigins: ['*'] }],
] as const;

/** Builds a policy in a scratch folder and returns the problems it is refused for. */
async function refusal(policy: object): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), 'cloudfront-cors-hardening-'));
  writeFileSync(join(dir, 'cors.config.json'), JSON.stringify(policy));
  const failure = await build({ config: join(dir, 'cors.config.json'), outDir: join(dir, 'dist') }).catch((error: unknown) => error);
  expect(failure).toBeInstanceOf(PolicyError);
  return (failure as PolicyError).problems;
}

/** Every field name of the compiled policy and its decisions: the words the build shortens. */
const INTERNAL_NAMES = INTERNAL_PROPERTIES.source.replace(/^\^\(|\)\$$/g, '').split('|');
/** Names an object already has, and those the CloudFront event objects use. */
const OBJECT_WORDS = ['constructor', 'toString', 'hasOwnProperty', 'valueOf', 'length', 'prototype', 'headers', 'method', 'value', 'multiValue', 'status'];
/** What a shortened name looks like: one or two letters. */
const SHORT_NAMES = [...'abcdefghijklmnopqrstuvwxyz', ...['aa', 'ab', 'ba', 'ee', 'ei', 'ia']];

describe('1. policy words are data: a policy made of internal names', () => {
  const words = [...INTERNAL_NAMES, ...OBJECT_WORDS];
  let artifacts: Artifacts;
  beforeAll(async () => {
    artifacts = await builtArtifacts({ allowOrigins: ['https://app.example.com'], allowMethods: ['GET', ...words], allowHeaders: words, exposeHeaders: words });
  });

  it('covers every internal name the build shortens', () => {
    expect(INTERNAL_NAMES.length).toBeGreaterThan(10);
    for (const name of INTERNAL_NAMES) expect(INTERNAL_PROPERTIES.test(name)).toBe(true);
  });

  it('allows a preflight for each listed name, as header and as method, in every runner', async () => {
    const requests = words.flatMap((word) => [preflight('https://app.example.com', word), preflight('https://app.example.com', 'GET', word)]);
    const got = await answers(artifacts, requests);
    expect(got.map(outcome)).toEqual(requests.map(() => 204));
    expect(got[1]).toMatchObject({ headers: { 'access-control-allow-headers': words[0]!.toLowerCase() } });
  });

  it('refuses a preflight for every name it does not list, shortened names included', async () => {
    const requests = SHORT_NAMES.flatMap((name) => [preflight('https://app.example.com', name), preflight('https://app.example.com', 'GET', name)]);
    expect((await answers(artifacts, requests)).map(outcome)).toEqual(requests.map(() => 403));
  });

  it('still keys the origins on their own text', async () => {
    const got = await answers(artifacts, [
      { method: 'GET', headers: { origin: 'https://app.example.com' } },
      { method: 'GET', headers: { origin: 'https://origins.example.com' } },
    ]);
    expect(got.map(outcome)).toEqual(['https://app.example.com', 'null']);
  });
});

describe('2. entries are stored as browsers send them', () => {
  let artifacts: Artifacts;
  beforeAll(async () => {
    artifacts = await builtArtifacts({
      allowOrigins: ['http://[0:0:0:0:0:0:0:1]:3000', 'http://[::0001]', 'http://127.1:8080', 'http://0x7f.0.0.2', 'http://2130706435', 'http://0177.0.0.4:9000'],
    });
  });

  it.each([
    ['http://[::1]:3000', 'http://[0:0:0:0:0:0:0:1]:3000'],
    ['http://[::1]', 'http://[::0001]'],
    ['http://127.0.0.1:8080', 'http://127.1:8080'],
    ['http://127.0.0.2', 'http://0x7f.0.0.2'],
    ['http://127.0.0.3', 'http://2130706435'],
    ['http://127.0.0.4:9000', 'http://0177.0.0.4:9000'],
  ])('allows %s, which a browser sends for the entry %s', async (origin) => {
    const [answer] = await answers(artifacts, [{ method: 'GET', headers: { origin } }]);
    expect(outcome(answer!)).toBe(origin);
  });

  it('says what it rewrote', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cloudfront-cors-hardening-'));
    writeFileSync(join(dir, 'cors.config.json'), JSON.stringify({ allowOrigins: ['http://127.1:3000', 'http://[0:0::1]', 'https://app.example.com'] }));
    const report = await build({ config: join(dir, 'cors.config.json'), outDir: join(dir, 'dist') });
    expect(report.notes).toEqual([
      'allowOrigins[0] "http://127.1:3000" is sent by browsers as "http://127.0.0.1:3000" (IPv4 in dotted decimal); built as that',
      'allowOrigins[1] "http://[0:0::1]" is sent by browsers as "http://[::1]" (IPv6 compressed and in lower case, RFC 5952); built as that',
    ]);
  });

  it.each([
    ['https://*.example.123', 'ends in a number'],
    ['http://foo.123', 'ends in a number'],
    ['http://1.2.3.4.5', 'ends in a number'],
    ['http://256.0.0.1', 'ends in a number'],
    ['capacitor://127.1', 'ends in a number'],
    ['http://[1:2]', 'is not an IPv6 address'],
    ['https://xn--zz.com', 'not valid punycode'],
    ['https://*.xn--a.com', 'not valid punycode'],
    ['file://localhost', 'no browser sends a file: origin'],
    ['wss://app.example.com', 'the origin of the page that opened it'],
  ])('refuses %s, which no browser can send, naming it', async (entry, reason) => {
    const problems = await refusal({ allowOrigins: [entry] });
    expect(problems).toEqual([expect.stringContaining(`allowOrigins[0] ${JSON.stringify(entry)}`)]);
    expect(problems[0]).toContain(reason);
  });
});

/** Same-origin spellings a client may send with `Host: d111111abcdef8.cloudfront.net`. */
const SAME_ORIGIN: ReadonlyArray<[origin: string, forwarded: string]> = [
  [`https://${DISTRIBUTION}`, `https://${DISTRIBUTION}`],
  [`HTTPS://${DISTRIBUTION.toUpperCase()}:443`, `https://${DISTRIBUTION}`],
  [`http://${DISTRIBUTION}:80`, `http://${DISTRIBUTION}`],
  [`Http://${DISTRIBUTION}`, `http://${DISTRIBUTION}`],
  ...Array.from({ length: 5 }, (_, i) => [`s${i}://${DISTRIBUTION}`, 'null'] as [string, string]),
  [`ftp://${DISTRIBUTION}`, 'null'],
  [`wss://${DISTRIBUTION}`, 'null'],
  [`https://${DISTRIBUTION}:8443`, 'null'],
  [`http://${DISTRIBUTION}:443`, 'null'],
];

describe.each(BOTH_MODES)('3. same-origin is http or https, forwarded canonical (%s)', (_, policy) => {
  let artifacts: Artifacts;
  beforeAll(async () => {
    artifacts = await builtArtifacts(policy);
  });

  it('forwards each spelling of the distribution\'s own origin canonical, and any other scheme as null', async () => {
    const got = await answers(artifacts, SAME_ORIGIN.map(([origin]) => ({ method: 'POST', headers: { origin } })));
    expect(got.map(outcome)).toEqual(SAME_ORIGIN.map(([, forwarded]) => forwarded));
  });

  it('reads a Host with a default port the same way, and takes any other port for a cross-origin request', async () => {
    // CloudFront serves viewers on 80 and 443 only: `Host: h:8443` is a client's invention.
    const got = await answers(artifacts, [
      { method: 'POST', headers: { host: `${DISTRIBUTION}:443`, origin: `https://${DISTRIBUTION}` } },
      { method: 'POST', headers: { host: `${DISTRIBUTION.toUpperCase()}:80`, origin: `http://${DISTRIBUTION}` } },
      { method: 'POST', headers: { host: `${DISTRIBUTION}:8443`, origin: `HTTPS://${DISTRIBUTION}:8443` } },
      { method: 'POST', headers: { host: `${DISTRIBUTION}:1`, origin: `http://${DISTRIBUTION}:1` } },
      { method: 'POST', headers: { host: `${DISTRIBUTION}:8443`, origin: `ftp://${DISTRIBUTION}:8443` } },
    ]);
    expect(got.map(outcome)).toEqual([`https://${DISTRIBUTION}`, `http://${DISTRIBUTION}`, 'null', 'null', 'null']);
  });
});

describe('4. public mode keys the cache on one value for every cross-origin request', () => {
  let artifacts: Artifacts;
  beforeAll(async () => {
    artifacts = await builtArtifacts({ allowOrigins: ['*'], allowMethods: ['GET', 'PUT'] });
  });

  it('forwards every cross-origin request as null, well-formed or not', async () => {
    const origins = [...Array.from({ length: 30 }, (_, i) => `https://junk-${i}.example`), 'https://app.example.com/', 'null', 'HTTPS://A.EXAMPLE'];
    const got = await answers(artifacts, origins.map((origin) => ({ method: 'GET', headers: { origin } })));
    expect(new Set(got.map(outcome))).toEqual(new Set(['null']));
  });

  it('still answers a preflight with "*"', async () => {
    const [answer] = await answers(artifacts, [preflight('https://junk.example', 'PUT')]);
    expect(answer).toMatchObject({ status: 204, headers: { 'access-control-allow-origin': '*' } });
  });

  it('under preflight "origin", forwards a preflight with its canonical origin for origin-response to judge', async () => {
    const origin = await builtArtifacts({ allowOrigins: ['*'], allowMethods: ['GET', 'PUT'], preflight: 'origin' });
    const got = await answers(origin, [preflight('HTTPS://Junk.Example', 'PUT'), preflight('https://junk.example/', 'PUT'), { method: 'GET', headers: { origin: 'https://junk.example' } }]);
    expect(got.map(outcome)).toEqual(['https://junk.example', 'null', 'null']);
  });
});

describe('5. origin response keeps every header name it does not own', () => {
  let artifacts: Artifacts;
  beforeAll(async () => {
    artifacts = await builtArtifacts(testPolicy('example'));
  });

  /** A response whose headers hold an own `__proto__` header, as JSON.parse makes one. */
  function withProtoHeader(cors: boolean) {
    const event = originResponseEvent('no-origin', { headers: { origin: 'https://app.example.com' } });
    const response = event.Records[0]!.cf.response;
    const extra = JSON.parse(
      `{"__proto__":[{"key":"__proto__","value":"kept"}],"constructor":[{"key":"constructor","value":"kept too"}]${
        cors ? ',"access-control-allow-origin":[{"key":"Access-Control-Allow-Origin","value":"*"}]' : ''
      }}`,
    ) as CloudFrontHeaders;
    for (const name of Object.keys(extra)) Object.defineProperty(response.headers, name, { value: extra[name], enumerable: true, writable: true, configurable: true });
    return event;
  }

  it.each([
    ['the origin sent no CORS header', false],
    ['the origin sent CORS headers to remove', true],
  ])('keeps a __proto__ header when %s', async (_, cors) => {
    const result = (await artifacts.originResponse(withProtoHeader(cors))) as CloudFrontResponse;
    expect(Object.prototype.hasOwnProperty.call(result.headers, '__proto__')).toBe(true);
    expect(Object.getOwnPropertyDescriptor(result.headers, '__proto__')!.value).toEqual([{ key: '__proto__', value: 'kept' }]);
    expect(result.headers['constructor']).toEqual([{ key: 'constructor', value: 'kept too' }]);
    expect(result.headers['access-control-allow-origin']).toEqual([{ key: 'Access-Control-Allow-Origin', value: 'https://app.example.com' }]);
  });
});

describe('6. only spaces and tabs are trimmed, only ASCII letters change case', () => {
  let artifacts: Artifacts;
  beforeAll(async () => {
    artifacts = await builtArtifacts(testPolicy('example'));
  });

  it.each<[string, Request, number | string]>([
    ['a dotted capital I in a prefixed header', preflight('https://app.example.com', 'PUT', 'x-amz-\u0130d'), 403],
    ['a Kelvin sign in a prefixed header', preflight('https://app.example.com', 'PUT', 'x-amz-\u212Aey'), 403],
    ['a Kelvin sign in an exact header', preflight('https://app.example.com', 'PUT', 'content-type, \u212Aey'), 403],
    ['a long s that upper-cases to S', preflight('https://app.example.com', 'PUT', 'x-amz-\u017Fecret'), 403],
    ['a no-break space before the method', preflight('https://app.example.com', '\u00a0PUT'), 403],
    ['a byte order mark before the method', preflight('https://app.example.com', '\uFEFFPUT'), 403],
    ['an ideographic space after a header', preflight('https://app.example.com', 'PUT', 'content-type\u3000'), 403],
    ['spaces and tabs around method and headers', preflight('https://app.example.com', ' \tPUT\t ', ' Content-Type\t,\tX-Amz-Date '), 204],
    ['a Kelvin sign in Host', { method: 'POST', headers: { host: '\u212Aey.example', origin: 'https://key.example' } }, 'null'],
    ['a dotted capital I in Host', { method: 'POST', headers: { host: '\u0130t.example', origin: 'https://it.example' } }, 'null'],
    ['upper-case ASCII in Host', { method: 'POST', headers: { host: 'KEY.EXAMPLE', origin: 'https://key.example' } }, 'https://key.example'],
    // njs lets `$` match before a final line break: a Host ending so is no host, under njs as in V8.
    ['a Host ending in a space and a line feed', { method: 'GET', headers: { host: 'evil.example \n', origin: 'https://evil.example' } }, 'null'],
    ['a Host ending in a tab and a line feed', { method: 'GET', headers: { host: 'evil.example\t\n', origin: 'http://evil.example' } }, 'null'],
    ['a dotted Host ending in a space and a line feed', { method: 'GET', headers: { host: 'app.example.com. \n', origin: 'https://app.example.com.' } }, 'null'],
  ])('%s', async (_, request, expected) => {
    const [answer] = await answers(artifacts, [request]);
    expect(outcome(answer!)).toBe(expected);
  });

  it('refuses a preflight whose requested headers differ from allowed ones only beyond ASCII, under njs as in V8', async () => {
    const names = ['\u0130', '\u0131', '\u212A', '\u017F', '\u1E9E', '\u2126', '\u00DF'].map((c) => `x-amz-${c}d`);
    const got = await answers(artifacts, names.map((name) => preflight('https://app.example.com', 'PUT', name)));
    expect(got).toEqual(names.map(() => REFUSED));
  });
});

describe('7. wildcards never cover a public suffix, private section included', () => {
  it.each([
    ['https://*.amazonaws.com', 's3.amazonaws.com'],
    ['https://*.on.aws', '.on.aws'],
    ['https://*.compute.amazonaws.com', '*.compute.amazonaws.com'],
    ['https://*.herokuapp.com', 'public suffix'],
    ['https://*.s3.amazonaws.com', 'public suffix'],
  ])('refuses %s with credentials, naming the suffix (%s)', async (entry, named) => {
    const problems = await refusal({ allowOrigins: [entry], allowCredentials: true });
    expect(problems).toEqual([expect.stringContaining(`allowOrigins[0] ${JSON.stringify(entry)}`)]);
    expect(problems[0]).toContain(named);
  });

  it('builds a wildcard over a domain with no suffix beneath it', async () => {
    const artifacts = await builtArtifacts({ allowOrigins: ['https://*.example.com', 'https://*.cdn.example.net'] });
    expect((await answers(artifacts, [{ method: 'GET', headers: { origin: 'https://a.b.cdn.example.net' } }])).map(outcome)).toEqual(['https://a.b.cdn.example.net']);
  });
});

describe.each(BOTH_MODES)('8. a fully qualified host is its own origin (%s)', (_, policy) => {
  let artifacts: Artifacts;
  beforeAll(async () => {
    artifacts = await builtArtifacts(policy);
  });

  it('forwards a page on the dotted host to itself canonical, and no other dotted origin', async () => {
    const got = await answers(artifacts, [
      { method: 'POST', headers: { host: 'app.example.com.', origin: 'https://app.example.com.' } },
      { method: 'POST', headers: { host: 'APP.example.com.', origin: 'HTTPS://App.Example.Com.:443' } },
      { method: 'POST', headers: { host: 'app.example.com.:443', origin: 'https://app.example.com.' } },
      { method: 'POST', headers: { host: 'app.example.com', origin: 'https://app.example.com.' } },
      { method: 'POST', headers: { host: 'app.example.com.', origin: 'https://app.example.com..' } },
      { method: 'POST', headers: { host: 'app.example.com.', origin: 'ftp://app.example.com.' } },
      { method: 'POST', headers: { host: DISTRIBUTION, origin: 'https://x.preview.example.com.' } },
    ]);
    expect(got.map(outcome)).toEqual(['https://app.example.com.', 'https://app.example.com.', 'https://app.example.com.', 'null', 'null', 'null', 'null']);
  });

  it('refuses a preflight from a dotted origin that is not the site itself', async () => {
    const [answer] = await answers(artifacts, [preflight('https://app.example.com.', 'GET')]);
    expect(answer).toEqual(REFUSED);
  });
});
