/**
 * Origins in a CloudFront KeyValueStore (SPEC §10): the built CloudFront Function reads the store,
 * in V8 and under njs, with a bounded number of reads; the origin response allows a stored origin
 * only on the function's vouch, and fails closed without it.
 */
import { spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, build } from '../../build/build.ts';
import { loadHandlers, type EdgeHandlers, type FunctionRequestEvent, type FunctionResult } from '../../dev/handlers.ts';
import { startDev } from '../../dev/server.ts';
import { STORE_MAX_READS } from '../../functions/core/store.ts';
import { functionRequestEvent, header, originResponseEvent, status, type RequestOptions } from '../../testing/index.ts';
import { functionAnswer } from '../support/answers.ts';
import { builtArtifacts, runInNjs, testPolicy } from '../support/artifacts.ts';
import { ALLOWED_ORIGINS, ATTACK_ORIGINS } from '../support/attacks.ts';

const POLICY = {
  allowOrigins: ['https://app.example.com'],
  allowMethods: ['GET', 'PUT'],
  allowHeaders: ['content-type'],
  exposeHeaders: ['ETag'],
  allowCredentials: true,
  originStore: 'keyvaluestore',
};
const STORE = { 'https://shop.example.net': '', 'https://*.tenant.example.org': '', 'http://localhost:5173': '' };
const VOUCH = 'x-cors-vouch';
/** Seconds since 1970, then the hex HMAC. */
const VOUCH_FORM = /^\d{10}\.allowed\.[0-9a-f]{64}$/;

let root: string;
let handlers: EdgeHandlers;
const reads: string[] = [];

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'cloudfront-cors-store-'));
  writeFileSync(join(root, 'cors.config.json'), JSON.stringify(POLICY));
  await build({ config: join(root, 'cors.config.json'), outDir: join(root, 'dist') });
  handlers = await loadHandlers(join(root, 'dist'), { store: () => new Map(Object.entries(STORE)), onStoreRead: (key) => reads.push(key) });
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

type Answered = FunctionResult & { reads?: string[] };

/** Runs requests through the function in V8 and under njs; both must give the same answer. */
async function bothEngines(requests: RequestOptions[]): Promise<Answered[]> {
  const events = requests.map((request) => functionRequestEvent(request));
  const inNjs = (runInNjs(handlers.functionCode as string, events, STORE) as Answered[]).map(sameSecond);
  const inV8: Answered[] = [];
  for (const event of events) {
    reads.length = 0;
    inV8.push(sameSecond({ ...(await handlers.viewerRequestFunctionAsync(structuredClone(event) as FunctionRequestEvent)), reads: [...reads] }));
  }
  expect(inNjs).toEqual(inV8);
  return inV8;
}

/** A vouch's form checked, then its time set to 0: two engines run the same request a moment apart. */
function sameSecond(answer: Answered): Answered {
  const vouch = (answer as { headers?: Record<string, { value: string }> }).headers?.[VOUCH];
  if (vouch !== undefined) {
    expect(vouch.value).toMatch(VOUCH_FORM);
    vouch.value = vouch.value.replace(/^\d+\./, '0.');
  }
  return answer;
}

describe('the CloudFront Function with a KeyValueStore', () => {
  it('allows an inlined origin without reading the store, and vouches for nothing', async () => {
    const [answer] = await bothEngines([{ origin: 'https://APP.example.com' }]);
    expect(header(answer, 'origin')).toBe('https://app.example.com');
    expect(header(answer, VOUCH)).toBeUndefined();
    expect(answer!.reads).toEqual([]);
  });

  it.each([
    ['an exact stored origin', 'https://shop.example.net', 'https://shop.example.net'],
    ['an origin under a stored wildcard', 'https://a.b.Tenant.example.org', 'https://a.b.tenant.example.org'],
    ['a stored origin with a port', 'http://localhost:5173', 'http://localhost:5173'],
  ])('allows %s, forwarded canonical with a vouch', async (_, origin, canonical) => {
    const [answer] = await bothEngines([{ origin }]);
    expect(header(answer, 'origin')).toBe(canonical);
    expect(header(answer, VOUCH)).toMatch(/^0\.allowed\.[0-9a-f]{64}$/);
  });

  it('refuses an origin in neither the policy nor the store, after reading only its own keys', async () => {
    const [answer] = await bothEngines([{ origin: 'https://a.b.evil.example' }]);
    expect(header(answer, 'origin')).toBe('null');
    expect(header(answer, VOUCH)).toBeUndefined();
    expect(answer!.reads).toEqual(['https://a.b.evil.example', 'https://*.b.evil.example', 'https://*.evil.example']);
  });

  it(`reads at most ${STORE_MAX_READS} keys whatever the host, and none for what cannot be allowed`, async () => {
    const labels = (count: number) => Array.from({ length: count }, (_, i) => `l${i}`).join('.');
    const answers = await bothEngines([
      { origin: `https://${labels(60)}.evil.example` },
      { origin: `https://${labels(60)}.tenant.example.org` },
      { origin: 'https://x.y.z.example.com:8443' },
      { origin: 'https://evil.example/' },
      { origin: 'null' },
      { origin: ['https://shop.example.net', 'https://shop.example.net'] },
      { origin: 'https://d111111abcdef8.cloudfront.net' },
      { origin: 'https://app.example.com.' },
      { origin: 'http://127.0.0.1:5173' },
    ]);
    // The distribution's own origin is read too: a stored origin is vouched for as the site's own.
    expect(answers.map((answer) => answer.reads!.length)).toEqual([STORE_MAX_READS, 4, 4, 0, 0, 0, 2, 0, 1]);
    // A stored wildcard covers hosts of any depth beneath it: its domain is what is bounded.
    expect(header(answers[1], 'origin')).toBe(`https://${labels(60)}.tenant.example.org`);
    expect(answers[2]!.reads).toEqual(['https://x.y.z.example.com:8443', 'https://*.y.z.example.com:8443', 'https://*.z.example.com:8443', 'https://*.example.com:8443']);
    expect(header(answers[6], 'origin')).toBe('https://d111111abcdef8.cloudfront.net');
  });

  it('drops a vouch the viewer sent, whatever the origin', async () => {
    const forged = { [VOUCH]: 'f'.repeat(64) };
    const answers = await bothEngines([
      { origin: 'https://evil.example', headers: forged },
      { origin: 'https://app.example.com', headers: forged },
      { headers: forged },
    ]);
    for (const answer of answers) expect(header(answer, VOUCH)).toBeUndefined();
  });

  it('answers the preflight of a stored origin at the edge', async () => {
    const [allowed, refused] = await bothEngines([
      { method: 'OPTIONS', origin: 'https://shop.example.net', requestMethod: 'PUT', requestHeaders: 'content-type' },
      { method: 'OPTIONS', origin: 'https://shop.example.net', requestMethod: 'DELETE' },
    ]);
    expect(status(allowed)).toBe(204);
    expect(header(allowed, 'access-control-allow-origin')).toBe('https://shop.example.net');
    expect(header(allowed, 'access-control-allow-credentials')).toBe('true');
    expect(status(refused)).toBe(403);
  });

  it('refuses a stored origin when the store cannot be read', async () => {
    const broken = await loadHandlers(join(root, 'dist'), {
      store: () => {
        throw new Error('store unavailable');
      },
    });
    const answer = await broken.viewerRequestFunctionAsync(functionRequestEvent({ origin: 'https://shop.example.net' }));
    expect(header(answer, 'origin')).toBe('null');
    expect(header(answer, VOUCH)).toBeUndefined();
  });

  it('is an async top-level handler that imports only CloudFront modules, on the first lines', () => {
    const code = handlers.functionCode as string;
    expect(code).toMatch(/^import [\w$]+ from"cloudfront";import [\w$]+ from"crypto";/);
    expect(code).toMatch(/[;}]async function handler\(event\)\{return [\w$]+\(event\)\}\n$/);
    expect(() => handlers.viewerRequestFunction(functionRequestEvent({}))).toThrow(/async: run it with runEvent/);
  });
});

/** The S3 answer for a request as the function forwarded it (its `Origin` and vouch). */
function answerTo(forwarded: FunctionResult, extra: Record<string, string> = {}) {
  const headers = (forwarded as { headers: Record<string, { value: string }> }).headers;
  const requestHeaders: Record<string, string> = { ...extra };
  if (headers[VOUCH] !== undefined) requestHeaders[VOUCH] = headers[VOUCH].value;
  return originResponseEvent({
    request: { origin: headers['origin']?.value, headers: requestHeaders },
    headers: { 'Access-Control-Allow-Origin': '*', ETag: '"abc"' },
  });
}

describe('the origin response with a KeyValueStore', () => {
  it('allows a stored origin the function vouched for, and writes the policy', async () => {
    const forwarded = await handlers.viewerRequestFunctionAsync(functionRequestEvent({ origin: 'https://shop.example.net' }));
    const response = await handlers.originResponse(answerTo(forwarded));
    expect(header(response, 'access-control-allow-origin')).toBe('https://shop.example.net');
    expect(header(response, 'access-control-allow-credentials')).toBe('true');
    expect(header(response, 'access-control-expose-headers')).toBe('ETag');
    expect(header(response, 'vary')).toBe('Origin');
  });

  it.each([
    ['without a vouch (the function not attached)', {}],
    ['with a vouch the viewer made up', { [VOUCH]: 'f'.repeat(64) }],
    ['with the vouch of another origin', 'other'],
    ['with a vouch padded after its digits', 'padded'],
  ])('fails closed for a stored origin %s', async (_, vouch) => {
    const other = (await handlers.viewerRequestFunctionAsync(functionRequestEvent({ origin: 'https://a.tenant.example.org' }))) as { headers: Record<string, { value: string }> };
    const own = (await handlers.viewerRequestFunctionAsync(functionRequestEvent({ origin: 'https://shop.example.net' }))) as { headers: Record<string, { value: string }> };
    const given =
      vouch === 'other' ? { [VOUCH]: other.headers[VOUCH]!.value } : vouch === 'padded' ? { [VOUCH]: `${own.headers[VOUCH]!.value}zz` } : vouch;
    const response = await handlers.originResponse(
      originResponseEvent({ request: { origin: 'https://shop.example.net', headers: given }, headers: { 'Access-Control-Allow-Origin': '*' } }),
    );
    expect(header(response, 'access-control-allow-origin')).toBeUndefined();
    expect(header(response, 'vary')).toBe('Origin');
  });

  it('vouches for a stored origin sent as the site\'s own, so its cached answer carries CORS headers for that origin on any host name', async () => {
    const forwarded = await handlers.viewerRequestFunctionAsync(functionRequestEvent({ origin: 'https://Shop.example.net', host: 'shop.example.net' }));
    expect(header(forwarded, 'origin')).toBe('https://shop.example.net');
    const response = await handlers.originResponse(answerTo(forwarded));
    expect(header(response, 'access-control-allow-origin')).toBe('https://shop.example.net');
  });

  it.each([
    ['made sixteen minutes ago', -960, 'EDFDVBD6EXAMPLE'],
    ['made sixteen minutes ahead', 960, 'EDFDVBD6EXAMPLE'],
    ['made for another distribution', 0, 'E2OTHERDISTRIB'],
  ])('refuses a vouch with the right key %s', async (_, offset, distributionId) => {
    // Prepare: a vouch signed with the build's own key, as only the function could make one.
    const secret = readFileSync(join(root, 'cors.secret'), 'utf8').trim();
    const seconds = String(Math.floor(Date.now() / 1000) + offset);
    const vouch = `${seconds}.allowed.${createHmac('sha256', secret).update(`${distributionId}\n${seconds}\nallowed\nhttps://shop.example.net`).digest('hex')}`;
    const fresh = `${Math.floor(Date.now() / 1000)}.allowed.${createHmac('sha256', secret).update(`EDFDVBD6EXAMPLE\n${Math.floor(Date.now() / 1000)}\nallowed\nhttps://shop.example.net`).digest('hex')}`;
    const respond = (value: string) =>
      handlers.originResponse(originResponseEvent({ request: { origin: 'https://shop.example.net', headers: { [VOUCH]: value } }, headers: { 'Access-Control-Allow-Origin': '*' } }));
    // Act and assess: the same made now is good, which shows the key and the message are right.
    expect(header(await respond(fresh), 'access-control-allow-origin')).toBe('https://shop.example.net');
    expect(header(await respond(vouch), 'access-control-allow-origin')).toBeUndefined();
  });

  it('still allows the inlined origins without any vouch', async () => {
    const response = await handlers.originResponse(originResponseEvent({ request: { origin: 'https://app.example.com' } }));
    expect(header(response, 'access-control-allow-origin')).toBe('https://app.example.com');
  });
});

describe('building with a KeyValueStore', () => {
  it('keeps the store secret in cors.secret beside the policy, so builds vouch alike', async () => {
    // Prepare
    const project = mkdtempSync(join(tmpdir(), 'cloudfront-cors-secret-'));
    try {
      writeFileSync(join(project, 'cors.config.json'), JSON.stringify(POLICY));
      const notes: string[][] = [];
      // Act: two builds of the same project
      for (const out of ['one', 'two']) notes.push((await build({ config: join(project, 'cors.config.json'), outDir: join(project, out) })).notes);
      // Assess
      expect(readFileSync(join(project, 'cors.secret'), 'utf8')).toMatch(/^[0-9a-f]{64}\n$/);
      expect(notes[0]).toEqual([expect.stringMatching(/^wrote .*cors\.secret, the key .* keep it/)]);
      expect(notes[1]).toEqual([]);
      const code = (out: string) => readFileSync(join(project, out, 'cloudfront-functions', 'viewer-request.js'), 'utf8');
      expect(code('two')).toBe(code('one'));
    } finally {
      rmSync(project, { recursive: true, force: true });
    }
  });

  it('refuses a cors.secret that holds no key, and a Lambda@Edge viewer request', async () => {
    const project = mkdtempSync(join(tmpdir(), 'cloudfront-cors-secret-'));
    try {
      writeFileSync(join(project, 'cors.config.json'), JSON.stringify(POLICY));
      writeFileSync(join(project, 'cors.secret'), 'password\n');
      await expect(build({ config: join(project, 'cors.config.json'), outDir: join(project, 'dist') })).rejects.toThrow(/cors\.secret must hold at least 32 hexadecimal characters/);
      await expect(build({ policy: POLICY, outDir: join(project, 'dist'), viewerRequest: 'lambda' })).rejects.toThrow(/only the CloudFront Function can read a KeyValueStore/);
    } finally {
      rmSync(project, { recursive: true, force: true });
    }
  });
});

describe('npx cloudfront-cors dev --kvs', () => {
  it('serves the store from a file and takes an edit on the next request', async () => {
    // Prepare: a project with a store policy and an empty list of stored origins.
    const project = mkdtempSync(join(tmpdir(), 'cloudfront-cors-dev-kvs-'));
    writeFileSync(join(project, 'cors.config.json'), JSON.stringify({ allowOrigins: [], originStore: 'keyvaluestore' }));
    writeFileSync(join(project, 'origins.txt'), '');
    const child = spawn(process.execPath, [join(ROOT, 'bin', 'cloudfront-cors.js'), 'dev', '--kvs', 'origins.txt', '--port', '0', '--demo-port', '0'], { cwd: project });
    try {
      const edgeUrl = await new Promise<string>((found, failed) => {
        let out = '';
        child.stdout.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          const match = /local edge:\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(out);
          if (match) found(match[1] as string);
        });
        child.once('exit', (code) => failed(new Error(`dev exited with ${code}`)));
      });
      let request = 0; // a new query string each time: a new cache entry, so each answer is the store's
      const allowOrigin = async (origin: string) =>
        (await fetch(`${edgeUrl}/demo.json?n=${++request}`, { headers: { Origin: origin } })).headers.get('access-control-allow-origin');
      let err = '';
      child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
      // Act and assess
      expect(await allowOrigin('https://shop.example.net')).toBeNull();
      writeFileSync(join(project, 'origins.txt'), 'https://shop.example.net\n');
      expect(await allowOrigin('https://shop.example.net')).toBe('https://shop.example.net');
      writeFileSync(join(project, 'origins.txt'), 'https://*.com\n'); // refused: the store keeps what it held
      expect(await allowOrigin('https://shop.example.net')).toBe('https://shop.example.net');
      expect(err).toMatch(/warning: .*origins\.txt: an origin is refused:\n  - "https:\/\/\*\.com"/);
      writeFileSync(join(project, 'origins.txt'), '# nobody\n');
      expect(await allowOrigin('https://shop.example.net')).toBeNull();
    } finally {
      child.kill('SIGINT');
      await new Promise((done) => child.once('exit', done));
      rmSync(project, { recursive: true, force: true });
    }
  });
});

describe('refusals around a store', () => {
  it('refuses dev with the Lambda@Edge viewer request, or a --kvs file that holds a refused origin at start', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cloudfront-cors-dev-refusals-'));
    try {
      writeFileSync(join(dir, 'bad.txt'), 'https://*.com\n');
      writeFileSync(join(dir, 'good.txt'), 'https://a.example.com\n');
      await expect(startDev({ policy: POLICY, viewer: 'lambda-edge', kvs: join(dir, 'good.txt'), port: 0, demoPort: 0 })).rejects.toThrow(/only the CloudFront Function can read the store, so run it \(drop --viewer lambda\)/);
      await expect(startDev({ policy: POLICY, kvs: join(dir, 'bad.txt'), port: 0, demoPort: 0 })).rejects.toThrow(/bad\.txt: an origin is refused:\n  - "https:\/\/\*\.com"/);
      await expect(startDev({ policy: { allowOrigins: ['https://a.example.com'] }, kvs: join(dir, 'good.txt'), port: 0, demoPort: 0 })).rejects.toThrow(/the policy keeps no origins in a store/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('says which store secret file it cannot write, and notes one given for a policy without a store', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cloudfront-cors-secret-file-'));
    try {
      await expect(build({ policy: POLICY, outDir: join(dir, 'dist'), storeSecretFile: join(dir, 'missing', 'cors.secret') })).rejects.toThrow(/cannot write .*missing\/cors\.secret \(ENOENT\), the file that keeps the key/);
      const report = await build({ policy: { allowOrigins: ['https://a.example.com'] }, outDir: join(dir, 'dist'), storeSecretFile: join(dir, 'cors.secret') });
      expect(report.notes).toEqual([expect.stringContaining('no "originStore", so no store secret: --store-secret is ignored')]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('a store changes nothing for what the policy decides alone', () => {
  it('gives every attack, allowed origin, same-origin request and preflight the answer of the function without a store, reading nothing for inlined origins', async () => {
    // Prepare: the example policy built without a store and with an empty one.
    const example = testPolicy('example');
    const without = await builtArtifacts(example);
    const dir = mkdtempSync(join(tmpdir(), 'cloudfront-cors-store-same-'));
    try {
      await build({ policy: { ...example, originStore: 'keyvaluestore' }, outDir: join(dir, 'dist') });
      const storeReads: string[] = [];
      const withStore = await loadHandlers(join(dir, 'dist'), { onStoreRead: (key) => storeReads.push(key) });
      const requests: RequestOptions[] = [
        ...ATTACK_ORIGINS.map(({ origin }) => ({ origin })),
        ...ALLOWED_ORIGINS.map(({ origin }) => ({ origin })),
        { origin: 'https://d111111abcdef8.cloudfront.net' },
        { origin: 'https://APP.example.com', host: 'app.example.com:443' },
        { origin: ['https://app.example.com', 'https://app.example.com'] },
        {},
        { method: 'OPTIONS', origin: 'https://pr-1.preview.example.com', requestMethod: 'PUT', requestHeaders: 'content-type, x-amz-meta-a' },
        { method: 'OPTIONS', origin: 'https://app.example.com', requestMethod: 'DELETE' },
        { method: 'OPTIONS', origin: 'https://evil.example', requestMethod: 'GET' },
        { method: 'OPTIONS', origin: 'https://app.example.com' },
      ];
      // The allowed origins, and one of them as the site's own: inlined, so never read.
      const inlined = new Set([...ALLOWED_ORIGINS.keys()].map((i) => ATTACK_ORIGINS.length + i).concat(ATTACK_ORIGINS.length + ALLOWED_ORIGINS.length + 1));
      const events = requests.map((request) => functionRequestEvent(request));
      const inNjs = runInNjs(withStore.functionCode as string, events, {});
      for (const [i, event] of events.entries()) {
        const label = JSON.stringify(requests[i]);
        const expected = functionAnswer(without.viewerRequestFunction(structuredClone(event)));
        storeReads.length = 0;
        // Act
        const got = functionAnswer(await withStore.viewerRequestFunctionAsync(structuredClone(event)));
        // Assess
        expect(got, label).toEqual(expected);
        const { reads, ...njsAnswer } = inNjs[i] as Answered;
        expect(functionAnswer(njsAnswer as FunctionResult), label).toEqual(expected);
        expect(reads, label).toEqual(storeReads);
        if (inlined.has(i)) expect(storeReads, label).toEqual([]);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('stored origins and rules (SPEC §11)', () => {
  const readers = { id: 'readers', allowOrigins: [], allowMethods: ['GET', 'HEAD'] };
  const writers = { id: 'writers', allowOrigins: ['https://app.example.com'], allowMethods: ['GET', 'PUT'], allowCredentials: true };

  /** One policy built into its own folder with a given secret, and loaded with a store. */
  async function built(policy: object, store: Record<string, string>, secret = 'a'.repeat(64)): Promise<EdgeHandlers> {
    const dir = mkdtempSync(join(tmpdir(), 'cloudfront-cors-rules-store-'));
    try {
      writeFileSync(join(dir, 'cors.config.json'), JSON.stringify(policy));
      await build({ config: join(dir, 'cors.config.json'), outDir: join(dir, 'dist'), storeSecret: secret });
      return await loadHandlers(join(dir, 'dist'), { store: () => new Map(Object.entries(store)) });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  it('keeps a stored origin in its rule while the function and the origin response run policies with rules in another order', async () => {
    // Prepare: the origin response is published with a rule inserted before "readers"; the function is not yet.
    const store = { 'https://customer.example.net': 'readers' };
    const before = await built({ originStore: 'keyvaluestore', rules: [writers, readers] }, store);
    const partners = { id: 'partners', allowOrigins: ['https://partner.example.org'], allowMethods: ['GET', 'PUT'], allowCredentials: true };
    const after = await built({ originStore: 'keyvaluestore', rules: [writers, partners, readers] }, store);
    // Act
    const forwarded = await before.viewerRequestFunctionAsync(functionRequestEvent({ origin: 'https://customer.example.net' }));
    const response = await after.originResponse(answerTo(forwarded));
    // Assess: the readers' answer, by name, never the rule now at the readers' old position.
    expect(header(forwarded, VOUCH)).toMatch(/^\d+\.readers\.[0-9a-f]{64}$/);
    expect(header(response, 'access-control-allow-origin')).toBe('https://customer.example.net');
    expect(header(response, 'access-control-allow-credentials')).toBeUndefined();
  });

  const values = { 'https://stale.example.net': 'retired', 'https://proto.example.net': '__proto__', 'https://fine.example.net': 'allowed', 'https://empty.example.net': '', 'https://one.example.net': '1' };

  it.each([
    ['one rule with an id', { originStore: 'keyvaluestore', rules: [writers] }, [403, 403, 204, 204, 403]],
    ['two rules', { originStore: 'keyvaluestore', rules: [writers, readers] }, [403, 403, 204, 204, 403]],
    // Before rules, the function read whether a key exists: a store written then still works.
    ['one rule at the top level, without ids', { originStore: 'keyvaluestore', allowOrigins: ['https://app.example.com'], allowMethods: ['GET', 'PUT'], allowCredentials: true }, [204, 204, 204, 204, 204]],
  ])('reads stored values in a policy of %s: a stale id allows nothing once rules have ids', async (_, policy, statuses) => {
    const handlers = await built(policy, values);
    const events = Object.keys(values).map((origin) => functionRequestEvent({ method: 'OPTIONS', origin, requestMethod: 'GET' }));
    const inV8 = await Promise.all(events.map((event) => handlers.viewerRequestFunctionAsync(event)));
    const inNjs = runInNjs(handlers.functionCode as string, events, values);
    expect(inV8.map((answer) => status(answer))).toEqual(statuses);
    expect(inNjs.map((answer) => status(answer))).toEqual(statuses);
    // What the function forwards for a stored origin, the origin response allows, by the name the vouch carries.
    const forwarded = await handlers.viewerRequestFunctionAsync(functionRequestEvent({ origin: 'https://empty.example.net' }));
    expect(header(forwarded, VOUCH)).toMatch(/^\d+\.allowed\.[0-9a-f]{64}$/);
    expect(header(await handlers.originResponse(answerTo(forwarded)), 'access-control-allow-origin')).toBe('https://empty.example.net');
  });
});
