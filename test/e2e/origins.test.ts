/**
 * `npx cloudfront-cors origins` (SPEC §10), run as a user runs it: the compiled CLI in a child
 * process, its real `@aws-sdk/client-cloudfront-keyvaluestore` client (SigV4A) pointed by its
 * environment at a loopback server that speaks the service's wire format. Then the built
 * CloudFront Function, in V8 and under njs, reads what the CLI wrote.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ROOT, build } from '../../build/build.ts';
import { main } from '../../cli/main.ts';
import { loadHandlers } from '../../dev/handlers.ts';
import { functionRequestEvent, header, originResponseEvent } from '../../testing/index.ts';
import { runInNjs } from '../support/artifacts.ts';
import { KVS_ARN, kvsChildEnv, localhostDnsImport, startKvsServer, type KvsServer } from '../support/kvs-server.ts';

const BIN = join(ROOT, 'bin', 'cloudfront-cors.js');

let kvs: KvsServer;
let project: string;

beforeAll(() => {
  project = mkdtempSync(join(tmpdir(), 'cloudfront-cors-origins-'));
});
afterAll(() => rmSync(project, { recursive: true, force: true }));
beforeEach(async () => {
  kvs = await startKvsServer();
});
afterEach(() => kvs.close());

/** Runs `npx cloudfront-cors origins …` in the project folder, configured only by its environment. */
function origins(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, 'origins', ...args],
      { cwd: project, env: { PATH: process.env['PATH'] ?? '', HOME: project, ...kvsChildEnv(kvs) } },
      (error, stdout, stderr) => resolve({ code: error === null ? 0 : Number(error.code), stdout, stderr }),
    );
  });
}

const STORE = ['--kvs-arn', KVS_ARN];
/** The calls that changed the store. */
const writes = () => kvs.calls.filter((call) => call.operation === 'UpdateKeys');

describe('cloudfront-cors origins', () => {
  it('adds origins in their canonical form, and a second run writes nothing', async () => {
    // Act
    const first = await origins('add', 'https://Shop.Example.NET:443', 'https://*.tenant.example.org', ...STORE);
    const second = await origins('add', 'https://shop.example.net', ...STORE);
    // Assess
    expect(first).toMatchObject({ code: 0, stderr: '' });
    expect(first.stdout).toBe('+ https://*.tenant.example.org\n+ https://shop.example.net\n2 changes written; CloudFront copies them to its edge locations, no redeploy needed\n');
    expect([...kvs.keys.keys()].sort()).toEqual(['https://*.tenant.example.org', 'https://shop.example.net']);
    expect(second).toMatchObject({ code: 0, stdout: 'nothing to change: the store already holds what was asked\n' });
    expect(writes()).toHaveLength(1);
    expect(writes()[0]!.authorization).toMatch(/^AWS4-ECDSA-P256-SHA256 /);
  });

  it('checks every origin before writing: one refused origin writes nothing', async () => {
    const result = await origins('add', 'https://ok.example.com', 'https://*.com', 'http://x.example.com/path', 'https://*.a.b.c.d.example.com', ...STORE);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('nothing written; 3 origins are refused');
    expect(result.stderr).toContain('"https://*.com"');
    expect(result.stderr).toContain('"http://x.example.com/path": a path is not part of an origin');
    expect(result.stderr).toContain("a stored wildcard's domain has at most 5 labels");
    expect(result.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(kvs.calls).toEqual([]);
  });

  it('removes origins, and removing one that is not there writes nothing', async () => {
    kvs.externalWrite('https://a.example.com', 'allowed');
    kvs.externalWrite('https://b.example.com', 'allowed');
    kvs.calls.length = 0;
    expect(await origins('remove', 'https://a.example.com', ...STORE)).toMatchObject({ code: 0, stdout: expect.stringMatching(/^- https:\/\/a\.example\.com\n1 change written/) });
    expect(await origins('remove', 'https://a.example.com', ...STORE)).toMatchObject({ code: 0, stdout: expect.stringMatching(/^nothing to change/) });
    expect([...kvs.keys.keys()]).toEqual(['https://b.example.com']);
    expect(writes()).toHaveLength(1);
  });

  it('syncs a few hundred origins from a file in batches of at most 50, then writes nothing', async () => {
    // Prepare: the store holds one origin the file does not, and one it does.
    kvs.externalWrite('https://gone.example.com', 'allowed');
    kvs.externalWrite('https://s0.shop0.com', 'allowed');
    kvs.setPageSize(7); // several pages to read
    kvs.calls.length = 0;
    const list = Array.from({ length: 300 }, (_, i) => `https://s${i}.shop${i}.com`);
    writeFileSync(join(project, 'origins.txt'), `# customer domains\n${list.join('\n')}\n\n`);
    // Act
    const first = await origins('sync', '--from', 'origins.txt', ...STORE);
    const second = await origins('sync', '--from', 'origins.txt', ...STORE);
    // Assess
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('- https://gone.example.com\n');
    expect(first.stdout).toMatch(/300 changes written/);
    expect([...kvs.keys.keys()].sort()).toEqual([...list].sort());
    expect(writes().every((call) => call.put.length + call.deleted.length <= 50)).toBe(true);
    expect(writes()).toHaveLength(Math.ceil(300 / 50));
    expect(second.stdout).toMatch(/^nothing to change/);
    expect(writes()).toHaveLength(6);
  });

  it('reads a JSON array with --from as well', async () => {
    writeFileSync(join(project, 'origins.json'), JSON.stringify(['https://a.example.com', 'http://localhost:5173']));
    expect((await origins('sync', '--from', 'origins.json', ...STORE)).code).toBe(0);
    expect([...kvs.keys.keys()].sort()).toEqual(['http://localhost:5173', 'https://a.example.com']);
    writeFileSync(join(project, 'misspelt.json'), JSON.stringify(['https://a.example.com', { origin: 'https://b.example.com', rul: 'writers' }]));
    const misspelt = await origins('sync', '--from', 'misspelt.json', ...STORE);
    expect(misspelt.code).toBe(1);
    expect(misspelt.stderr).toMatch(/misspelt\.json: item 1, \{"origin":"https:\/\/b\.example\.com","rul":"writers"\}, is neither an origin string nor \{ "origin": "…", "rule": "…" \}/);
  });

  it('reads the store again and retries once when someone else changed it meanwhile', async () => {
    kvs.beforeUpdate = () => kvs.externalWrite('https://theirs.example.com', 'allowed');
    const result = await origins('add', 'https://mine.example.com', ...STORE);
    expect(result.code).toBe(0);
    expect([...kvs.keys.keys()].sort()).toEqual(['https://mine.example.com', 'https://theirs.example.com']);
    expect(writes().map((call) => call.status)).toEqual([409, 200]);
  });

  it('gives up, saying so, when the store changes again during the retry', async () => {
    kvs.beforeUpdate = () => {
      kvs.externalWrite('https://one.example.com', 'allowed');
      kvs.beforeUpdate = () => kvs.externalWrite('https://two.example.com', 'allowed');
    };
    const result = await origins('add', 'https://mine.example.com', ...STORE);
    expect(result).toMatchObject({ code: 1, stderr: expect.stringContaining('the store changed twice while this command wrote to it') });
    expect(kvs.keys.has('https://mine.example.com')).toBe(false);
  });

  it('refuses to empty the store from a file with no origin, unless told to', async () => {
    kvs.externalWrite('https://a.example.com', 'allowed');
    writeFileSync(join(project, 'empty.txt'), '# nothing yet\n');
    const refused = await origins('sync', '--from', 'empty.txt', ...STORE);
    expect(refused).toMatchObject({ code: 1, stderr: expect.stringContaining('empty.txt lists no origin, so sync would empty the store: pass --allow-empty') });
    expect(kvs.keys.size).toBe(1);
    expect((await origins('sync', '--from', 'empty.txt', '--allow-empty', ...STORE)).code).toBe(0);
    expect(kvs.keys.size).toBe(0);
  });

  it('refuses a list file that holds a JSON object, saying what to write', async () => {
    writeFileSync(join(project, 'object.json'), JSON.stringify({ origins: ['https://a.example.com'] }));
    expect(await origins('sync', '--from', 'object.json', ...STORE)).toMatchObject({ code: 1, stderr: expect.stringContaining('holds a JSON object; write a JSON array of origins') });
  });

  it('lists a key written by other means with a warning, and removes it as written', async () => {
    kvs.externalWrite('https://App.Example.com', 'x');
    kvs.externalWrite('https://*.github.io', 'x');
    const listed = await origins('list', ...STORE);
    expect(listed.stderr).toContain('warning: "https://App.Example.com" is never read as written: the function looks up "https://app.example.com"');
    expect(listed.stderr).toMatch(/warning: "https:\/\/\*\.github\.io" is never allowed: .*public suffix/);
    expect((await origins('remove', 'https://*.github.io', 'https://App.Example.com', ...STORE)).code).toBe(0);
    expect([...kvs.keys.keys()]).toEqual([]);
  });

  it('prints the change with --dry-run and writes nothing', async () => {
    const result = await origins('add', 'https://a.example.com', '--dry-run', ...STORE);
    expect(result).toMatchObject({ code: 0, stdout: '+ https://a.example.com\ndry run: 1 change, nothing written\n' });
    expect(writes()).toEqual([]);
    expect(kvs.keys.size).toBe(0);
  });

  it('lists the stored origins, sorted, as lines or JSON', async () => {
    for (const key of ['https://b.example.com', 'https://a.example.com']) kvs.externalWrite(key, 'allowed');
    expect((await origins('list', ...STORE)).stdout).toBe('https://a.example.com\nhttps://b.example.com\n');
    expect(JSON.parse((await origins('list', '--json', ...STORE)).stdout)).toEqual(['https://a.example.com', 'https://b.example.com']);
  });

  it.each([
    ['a store that does not exist', () => ['--kvs-arn', 'arn:aws:cloudfront::123456789012:key-value-store/ffffffff-0000-4000-8000-000000000000'], /no KeyValueStore arn:aws:cloudfront::123456789012:key-value-store\/ffff/],
    ['credentials the service refuses', () => (kvs.denyAll(true), STORE), /access denied/],
  ])('says what is wrong, without a stack trace, for %s', async (_, flags, message) => {
    const result = await origins('list', ...flags());
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it.each([
    [[], /name what to do: list, add, remove, sync/],
    [['purge', ...STORE], /unknown action "purge"/],
    [['add', ...STORE], /add takes one or more origins/],
    [['sync', ...STORE], /sync needs --from FILE/],
    [['list', '--stack-name', 'cors', ...STORE], /--stack-name NAME .* or --kvs-arn ARN, one of the two/],
    [['list', '--kvs-arn', 'not-an-arn'], /not a KeyValueStore ARN/],
  ])('refuses arguments %j with exit 2', async (args, message) => {
    const result = await origins(...args);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(kvs.calls).toEqual([]);
  });

  it('finds the store from the stack, with --stack-name', async () => {
    // Prepare: in this process, CloudFormation mocked, the store client on the loopback server.
    const cloudformation = mockClient(CloudFormationClient);
    cloudformation.on(DescribeStacksCommand, { StackName: 'cors' }).resolves({
      Stacks: [{ StackName: 'cors', CreationTime: new Date(), StackStatus: 'CREATE_COMPLETE', Outputs: [{ OutputKey: 'KeyValueStoreArn', OutputValue: KVS_ARN }] }],
    });
    await import(localhostDnsImport());
    const saved = { ...process.env };
    Object.assign(process.env, kvsChildEnv(kvs), { NODE_OPTIONS: saved['NODE_OPTIONS'] ?? '' });
    const lines: string[] = [];
    try {
      // Act
      const code = await main(['origins', 'add', 'https://a.example.com', '--stack-name', 'cors'], { out: (line) => lines.push(line), err: (line) => lines.push(line) });
      // Assess
      expect(code).toBe(0);
      expect(kvs.keys.has('https://a.example.com')).toBe(true);
    } finally {
      process.env = saved;
      cloudformation.restore();
    }
  });
});

describe('the CloudFront Function reads what origins wrote', () => {
  it('allows an origin once it is added, and refuses it once removed, with no rebuild', async () => {
    // Prepare: one build of a store policy; the function's store is the loopback server's keys.
    writeFileSync(join(project, 'cors.config.json'), JSON.stringify({ allowOrigins: [], originStore: 'keyvaluestore' }));
    await build({ config: join(project, 'cors.config.json'), outDir: join(project, 'dist') });
    const handlers = await loadHandlers(join(project, 'dist'), { store: () => kvs.keys });
    const request = () => functionRequestEvent({ origin: 'https://a.b.tenant.example.org' });
    const answer = async () => {
      const inV8 = header(await handlers.viewerRequestFunctionAsync(request()), 'origin');
      const [inNjs] = runInNjs(handlers.functionCode as string, [request()], Object.fromEntries(kvs.keys));
      expect(header(inNjs, 'origin')).toBe(inV8);
      return inV8;
    };
    // Act and assess
    expect(await answer()).toBe('null');
    expect((await origins('add', 'https://*.tenant.example.org', ...STORE)).code).toBe(0);
    expect(await answer()).toBe('https://a.b.tenant.example.org');
    expect((await origins('remove', 'https://*.tenant.example.org', ...STORE)).code).toBe(0);
    expect(await answer()).toBe('null');
  });

  it('reads at most 5 of the keys origins wrote, whatever the host sends', async () => {
    // Prepare: wildcards at every depth the store takes, written by the CLI.
    const wildcards = ['https://*.example.org', 'https://*.a.example.org', 'https://*.b.a.example.org', 'https://*.c.b.a.example.org'];
    expect((await origins('add', ...wildcards, ...STORE)).code).toBe(0);
    writeFileSync(join(project, 'cors.config.json'), JSON.stringify({ allowOrigins: [], originStore: 'keyvaluestore' }));
    await build({ config: join(project, 'cors.config.json'), outDir: join(project, 'dist') });
    const reads: string[] = [];
    const handlers = await loadHandlers(join(project, 'dist'), { store: () => kvs.keys, onStoreRead: (key) => reads.push(key) });
    const deep = `https://${Array.from({ length: 60 }, (_, i) => `l${i}`).join('.')}.evil.example`;
    // Act
    const inV8 = await handlers.viewerRequestFunctionAsync(functionRequestEvent({ origin: deep }));
    const [inNjs] = runInNjs(handlers.functionCode as string, [functionRequestEvent({ origin: deep })], Object.fromEntries(kvs.keys)) as unknown as Array<{ reads: string[] }>;
    // Assess
    expect(header(inV8, 'origin')).toBe('null');
    expect(reads).toHaveLength(5);
    expect(inNjs!.reads).toEqual(reads);
  });
});

describe('origins with rules (SPEC §11): a stored origin joins the rule its value names', () => {
  const POLICY = {
    rules: [
      { id: 'customers', allowOrigins: [], allowMethods: ['GET', 'PUT'], allowHeaders: ['content-type'], allowCredentials: true },
      { id: 'partners', allowOrigins: ['https://partner.example.com'], allowMethods: ['GET', 'HEAD'] },
      { id: 'everyone', allowOrigins: ['*'], allowMethods: ['GET'] },
    ],
    originStore: 'keyvaluestore',
  };
  beforeEach(() => {
    writeFileSync(join(project, 'cors.config.json'), JSON.stringify(POLICY));
    writeFileSync(join(project, 'no-store.json'), JSON.stringify({ rules: POLICY.rules.map((rule) => ({ ...rule, allowOrigins: rule.allowOrigins.length > 0 ? rule.allowOrigins : ['https://c.example.com'] })) }));
  });

  it('stores the rule an origin joins, moves it to another with one write, and writes nothing the second time', async () => {
    const first = await origins('add', 'https://Shop.example.net', '--rule', 'partners', ...STORE);
    expect(first).toMatchObject({ code: 0, stderr: '' });
    expect(first.stdout).toMatch(/^\+ https:\/\/shop\.example\.net \(rule "partners"\)\n1 change written/);
    expect(kvs.keys.get('https://shop.example.net')).toBe('partners');
    expect((await origins('add', 'https://shop.example.net', '--rule', 'partners', ...STORE)).stdout).toMatch(/^nothing to change/);
    // Without --rule the origin joins the first rule: a change of value, written once.
    expect((await origins('add', 'https://shop.example.net', ...STORE)).stdout).toMatch(/^\+ https:\/\/shop\.example\.net\n1 change written/);
    expect(kvs.keys.get('https://shop.example.net')).toBe('allowed');
    expect(writes()).toHaveLength(2);
  });

  it.each([
    [['--rule', 'gone'], /rule "gone" \(for https:\/\/shop\.example\.net\) is no rule id of cors\.config\.json; the rules a stored origin can join are "customers", "partners"/],
    [['--rule', 'everyone'], /rule "everyone" \(for https:\/\/shop\.example\.net\) is a "\*" rule, which holds every origin already/],
    [['--rule', 'partners', '--config', 'no-store.json'], /no-store\.json keeps no origins in a store: add "originStore": "keyvaluestore" to it/],
    [['--rule', 'partners', '--config', 'missing.json'], /missing\.json: the policy is refused:\n {2}- cannot read the file \(ENOENT\)/],
  ])('refuses %j, writing nothing', async (flags, message) => {
    const result = await origins('add', 'https://shop.example.net', ...flags, ...STORE);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).toMatch(/^cloudfront-cors origins: nothing written;/);
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(kvs.calls).toEqual([]);
  });

  it('syncs a file that names rules, lists them back in that form, and a sync of the listing changes nothing', async () => {
    writeFileSync(join(project, 'rules.txt'), '# customers by default\nhttps://shop.example.net\nhttps://*.tenant.example.org   partners\n');
    expect((await origins('sync', '--from', 'rules.txt', ...STORE)).code).toBe(0);
    expect(Object.fromEntries(kvs.keys)).toEqual({ 'https://shop.example.net': 'allowed', 'https://*.tenant.example.org': 'partners' });
    const listed = await origins('list', ...STORE);
    expect(listed.stdout).toBe('https://*.tenant.example.org partners\nhttps://shop.example.net\n');
    const json = await origins('list', '--json', ...STORE);
    expect(JSON.parse(json.stdout)).toEqual([{ origin: 'https://*.tenant.example.org', rule: 'partners' }, 'https://shop.example.net']);
    writeFileSync(join(project, 'listed.json'), json.stdout);
    expect((await origins('sync', '--from', 'listed.json', ...STORE)).stdout).toMatch(/^nothing to change/);
    writeFileSync(join(project, 'twice.txt'), 'https://shop.example.net partners\nhttps://SHOP.example.net customers\n');
    expect((await origins('sync', '--from', 'twice.txt', ...STORE)).stderr).toMatch(/listed for two rules, rule "partners" and rule "customers"; keep one/);
  });

  it('warns, when listing, of a value that names no rule the policy has', async () => {
    kvs.externalWrite('https://old.example.net', 'retired');
    const listed = await origins('list', ...STORE);
    expect(listed.stderr).toMatch(/"https:\/\/old\.example\.net" names rule "retired", which cors\.config\.json has no rule to join: the function allows it nowhere/);
  });

  it('gives a stored origin its rule at the edge: the function in V8 and njs, then the origin response with the vouch', async () => {
    // Prepare: one build; the store as origins wrote it.
    await build({ config: join(project, 'cors.config.json'), outDir: join(project, 'dist') });
    const handlers = await loadHandlers(join(project, 'dist'), { store: () => kvs.keys });
    expect((await origins('add', 'https://shop.example.net', ...STORE)).code).toBe(0);
    expect((await origins('add', 'https://*.tenant.example.org', '--rule', 'partners', ...STORE)).code).toBe(0);
    kvs.externalWrite('https://old.example.net', 'retired');
    const preflight = (origin: string) => functionRequestEvent({ method: 'OPTIONS', origin, requestMethod: 'PUT', requestHeaders: 'content-type' });
    const events = [preflight('https://shop.example.net'), preflight('https://a.tenant.example.org'), functionRequestEvent({ origin: 'https://a.tenant.example.org' }), functionRequestEvent({ origin: 'https://old.example.net' })];
    // Act
    const inV8 = await Promise.all(events.map((event) => handlers.viewerRequestFunctionAsync(event)));
    const inNjs = runInNjs(handlers.functionCode as string, events, Object.fromEntries(kvs.keys));
    // Assess: the customer may write with credentials; the partner may only read; a stale value allows nothing.
    expect(header(inV8[0], 'access-control-allow-credentials')).toBe('true');
    expect(header(inV8[1], 'access-control-allow-origin')).toBeUndefined();
    expect(header(inV8[2], 'origin')).toBe('https://a.tenant.example.org');
    expect(header(inV8[2], 'x-cors-vouch')).toMatch(/^\d+\.partners\.[0-9a-f]{64}$/);
    expect(header(inV8[3], 'origin')).toBe('null');
    for (const [i, answer] of inNjs.entries()) expect(header(answer, 'access-control-allow-origin'), String(i)).toBe(header(inV8[i], 'access-control-allow-origin'));
    const vouch = header(inV8[2], 'x-cors-vouch') as string;
    const response = (value: string) =>
      handlers.originResponse(originResponseEvent({ request: { origin: 'https://a.tenant.example.org', headers: { 'X-Cors-Vouch': value } }, headers: { 'Access-Control-Allow-Origin': '*' } }));
    const read = await response(vouch);
    expect(header(read, 'access-control-allow-origin')).toBe('https://a.tenant.example.org');
    expect(header(read, 'access-control-allow-credentials')).toBeUndefined();
    // The same vouch claiming the customers' rule is not the function's: only "*" answers.
    expect(header(await response(vouch.replace('.partners.', '.customers.')), 'access-control-allow-origin')).toBe('*');
  });
});
