/**
 * The KeyValueStore test server (test/support/kvs-server.ts) against the real
 * `@aws-sdk/client-cloudfront-keyvaluestore`, signing with SigV4A and fake static credentials:
 * what the server answers is what the SDK reads, typed errors included, in this process and in a
 * child `node` process configured only through its environment, as the CLI would be.
 */
import '@aws-sdk/signature-v4a';
import { execFile } from 'node:child_process';
import { lookup } from 'node:dns/promises';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  AccessDeniedException,
  CloudFrontKeyValueStoreClient,
  CloudFrontKeyValueStoreServiceException,
  ConflictException,
  DeleteKeyCommand,
  DescribeKeyValueStoreCommand,
  GetKeyCommand,
  ListKeysCommand,
  PutKeyCommand,
  ResourceNotFoundException,
  UpdateKeysCommand,
  ValidationException,
  paginateListKeys,
} from '@aws-sdk/client-cloudfront-keyvaluestore';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ROOT } from '../../build/build.ts';
import { KVS_ARN, kvsChildEnv, kvsClientConfig, startKvsServer, type KvsServer } from '../support/kvs-server.ts';

const UNKNOWN_ARN = 'arn:aws:cloudfront::123456789012:key-value-store/ffffffff-0000-4000-8000-000000000000';

/** The error a promise rejects with (fails the test if it resolves). */
async function failure(promise: Promise<unknown>): Promise<CloudFrontKeyValueStoreServiceException> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(CloudFrontKeyValueStoreServiceException);
    return error as CloudFrontKeyValueStoreServiceException;
  }
  throw new Error('expected the call to fail');
}

/** A script for a child `node` process: a client configured by nothing but its environment. */
const CHILD_SCRIPT = `
import '@aws-sdk/signature-v4a';
import { CloudFrontKeyValueStoreClient, DescribeKeyValueStoreCommand, UpdateKeysCommand } from '@aws-sdk/client-cloudfront-keyvaluestore';
const client = new CloudFrontKeyValueStoreClient({});
const arn = process.argv[1];
try {
  const { ETag } = await client.send(new DescribeKeyValueStoreCommand({ KvsARN: arn }));
  const updated = await client.send(new UpdateKeysCommand({ KvsARN: arn, IfMatch: ETag, Puts: [{ Key: 'from-child', Value: 'yes' }] }));
  console.log(JSON.stringify({ before: ETag, after: updated.ETag, items: updated.ItemCount }));
} catch (error) {
  console.log(JSON.stringify({ error: error.name, code: error.code, message: error.message }));
}
`;

async function runChild(env: Record<string, string>): Promise<Record<string, unknown>> {
  // A clean environment with an empty HOME, so no ~/.aws profile or session token leaks in.
  const home = mkdtempSync(join(tmpdir(), 'cloudfront-cors-kvs-home-'));
  try {
    // Asynchronous on purpose: the server answers from this process's event loop.
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', CHILD_SCRIPT, KVS_ARN], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: home, ...env },
      timeout: 30_000,
    });
    return JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as Record<string, unknown>;
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

describe('the KeyValueStore test server, through the real SDK client', () => {
  let kvs: KvsServer;
  let client: CloudFrontKeyValueStoreClient;

  beforeEach(async () => {
    kvs = await startKvsServer({ keys: { 'a.example': 'allow' } });
    client = new CloudFrontKeyValueStoreClient(kvsClientConfig(kvs));
  });

  afterEach(async () => {
    client.destroy();
    await kvs.close();
  });

  it('describes the store with its ETag, item count and dates, reached at {account}.localhost and signed with SigV4A', async () => {
    // Prepare: a store holding one key.

    // Act
    const described = await client.send(new DescribeKeyValueStoreCommand({ KvsARN: KVS_ARN }));

    // Assess
    expect(described.ETag).toBe(kvs.etag);
    expect(described.ETag).toMatch(/^KV[0-9A-Z]+$/);
    expect(described).toMatchObject({ KvsARN: KVS_ARN, ItemCount: 1, TotalSizeInBytes: 'a.example'.length + 'allow'.length, Status: 'READY' });
    expect(described.Created).toBeInstanceOf(Date);
    expect(Math.abs(described.Created!.getTime() - Date.now())).toBeLessThan(60_000);
    expect(described.$metadata.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(kvs.calls).toHaveLength(1);
    expect(kvs.calls[0]).toMatchObject({ operation: 'DescribeKeyValueStore', arn: KVS_ARN, host: `123456789012.localhost:${kvs.port}`, status: 200 });
    expect(kvs.calls[0]?.authorization).toMatch(/^AWS4-ECDSA-P256-SHA256 Credential=AKIAIOSFODNN7EXAMPLE\/\d{8}\/cloudfront-keyvaluestore\/aws4_request, /);
  });

  it('puts, lists, gets and deletes a key, each write answering a new ETag', async () => {
    // Prepare
    const first = (await client.send(new DescribeKeyValueStoreCommand({ KvsARN: KVS_ARN }))).ETag;
    const key = 'b.example/path with spaces/ü';

    // Act
    const put = await client.send(new PutKeyCommand({ KvsARN: KVS_ARN, Key: key, Value: 'allow-credentials', IfMatch: first }));
    const listed = await client.send(new ListKeysCommand({ KvsARN: KVS_ARN }));
    const got = await client.send(new GetKeyCommand({ KvsARN: KVS_ARN, Key: key }));
    const deleted = await client.send(new DeleteKeyCommand({ KvsARN: KVS_ARN, Key: key, IfMatch: put.ETag }));
    const gone = await failure(client.send(new GetKeyCommand({ KvsARN: KVS_ARN, Key: key })));

    // Assess
    expect(put).toMatchObject({ ItemCount: 2 });
    expect(put.ETag).not.toBe(first);
    expect(listed.Items).toEqual([{ Key: 'a.example', Value: 'allow' }, { Key: key, Value: 'allow-credentials' }]);
    expect(listed.NextToken).toBeUndefined();
    expect(got).toMatchObject({ Key: key, Value: 'allow-credentials', ItemCount: 2 });
    expect(deleted).toMatchObject({ ItemCount: 1 });
    expect(deleted.ETag).not.toBe(put.ETag);
    expect(deleted.ETag).toBe(kvs.etag);
    expect(gone).toBeInstanceOf(ResourceNotFoundException);
    expect(kvs.calls.map((call) => [call.operation, call.put, call.deleted, call.status])).toEqual([
      ['DescribeKeyValueStore', [], [], 200],
      ['PutKey', [key], [], 200],
      ['ListKeys', [], [], 200],
      ['GetKey', [], [], 200],
      ['DeleteKey', [], [key], 200],
      ['GetKey', [], [], 404],
    ]);
    expect([...kvs.keys]).toEqual([['a.example', 'allow']]);
  });

  it('puts and deletes in one UpdateKeys call, answering the new ETag and item count', async () => {
    // Prepare
    const { ETag } = await client.send(new DescribeKeyValueStoreCommand({ KvsARN: KVS_ARN }));

    // Act
    const updated = await client.send(new UpdateKeysCommand({
      KvsARN: KVS_ARN,
      IfMatch: ETag,
      Puts: [{ Key: 'c.example', Value: '1' }, { Key: 'd.example', Value: '2' }],
      Deletes: [{ Key: 'a.example' }],
    }));

    // Assess
    expect(updated).toMatchObject({ ItemCount: 2, TotalSizeInBytes: 2 * ('c.example'.length + 1) });
    expect(updated.ETag).not.toBe(ETag);
    expect(Object.fromEntries(kvs.keys)).toEqual({ 'c.example': '1', 'd.example': '2' });
    expect(kvs.calls.at(-1)).toMatchObject({ operation: 'UpdateKeys', ifMatch: ETag, put: ['c.example', 'd.example'], deleted: ['a.example'], write: true, status: 200 });
  });

  it('pages ListKeys by NextToken: 120 keys in pages of at most 50 come back whole, each once', async () => {
    // Prepare
    for (let i = 0; i < 120; i++) kvs.keys.set(`origin-${String(i).padStart(3, '0')}.example`, String(i));
    kvs.keys.delete('a.example');
    kvs.setPageSize(50);

    // Act
    const seen: string[] = [];
    for await (const page of paginateListKeys({ client, pageSize: 50 }, { KvsARN: KVS_ARN })) {
      seen.push(...(page.Items ?? []).map((item) => item.Key ?? ''));
    }

    // Assess
    expect(seen).toHaveLength(120);
    expect(new Set(seen).size).toBe(120);
    expect(kvs.calls.map((call) => call.operation)).toEqual(['ListKeys', 'ListKeys', 'ListKeys']);
    expect(kvs.calls.map((call) => call.maxResults)).toEqual([50, 50, 50]);
    expect(kvs.calls[0]?.nextToken).toBeUndefined();
    expect(kvs.calls[1]?.nextToken).toEqual(expect.any(String));
  });

  it('caps ListKeys pages at the page size set on the server, whatever MaxResults asks', async () => {
    // Prepare
    for (let i = 0; i < 20; i++) kvs.keys.set(`k${String(i).padStart(2, '0')}`, 'v');
    kvs.setPageSize(7);

    // Act
    const sizes: number[] = [];
    for await (const page of paginateListKeys({ client, pageSize: 50 }, { KvsARN: KVS_ARN })) sizes.push(page.Items?.length ?? 0);

    // Assess
    expect(sizes).toEqual([7, 7, 7]);
  });

  it('refuses an UpdateKeys of 51 keys with ValidationException and writes nothing', async () => {
    // Prepare
    const { ETag } = await client.send(new DescribeKeyValueStoreCommand({ KvsARN: KVS_ARN }));
    const puts = Array.from({ length: 50 }, (_, i) => ({ Key: `p${i}.example`, Value: 'allow' }));

    // Act
    const refused = await failure(client.send(new UpdateKeysCommand({ KvsARN: KVS_ARN, IfMatch: ETag, Puts: puts, Deletes: [{ Key: 'a.example' }] })));
    const accepted = await client.send(new UpdateKeysCommand({ KvsARN: KVS_ARN, IfMatch: ETag, Puts: puts }));

    // Assess
    expect(refused).toBeInstanceOf(ValidationException);
    expect(refused.$metadata.httpStatusCode).toBe(400);
    expect(refused.message).toMatch(/At most 50 keys/);
    expect(kvs.calls[1]).toMatchObject({ operation: 'UpdateKeys', write: true, status: 400, error: 'ValidationException' });
    expect(kvs.calls[1]?.put).toHaveLength(50);
    expect(accepted.ItemCount).toBe(51);
    expect(kvs.calls.filter((call) => call.write && call.status === 200)).toHaveLength(1);
  });

  it('answers a write holding a stale ETag with ConflictException (409), leaving the store as the other writer left it', async () => {
    // Prepare
    const { ETag } = await client.send(new DescribeKeyValueStoreCommand({ KvsARN: KVS_ARN }));
    kvs.externalWrite('other.example', 'written elsewhere');

    // Act
    const conflict = await failure(client.send(new UpdateKeysCommand({ KvsARN: KVS_ARN, IfMatch: ETag, Puts: [{ Key: 'mine.example', Value: '1' }] })));

    // Assess
    expect(conflict).toBeInstanceOf(ConflictException);
    expect(conflict.name).toBe('ConflictException');
    expect(conflict.$metadata.httpStatusCode).toBe(409);
    expect(conflict.message).toContain(ETag);
    expect(Object.fromEntries(kvs.keys)).toEqual({ 'a.example': 'allow', 'other.example': 'written elsewhere' });
  });

  it('lets a test slip one concurrent change in just before the next UpdateKeys', async () => {
    // Prepare
    const { ETag } = await client.send(new DescribeKeyValueStoreCommand({ KvsARN: KVS_ARN }));
    kvs.beforeUpdate = () => kvs.externalWrite('a.example');

    // Act
    const conflict = await failure(client.send(new UpdateKeysCommand({ KvsARN: KVS_ARN, IfMatch: ETag, Puts: [{ Key: 'mine.example', Value: '1' }] })));
    const { ETag: fresh } = await client.send(new DescribeKeyValueStoreCommand({ KvsARN: KVS_ARN }));
    const retried = await client.send(new UpdateKeysCommand({ KvsARN: KVS_ARN, IfMatch: fresh, Puts: [{ Key: 'mine.example', Value: '1' }] }));

    // Assess
    expect(conflict).toBeInstanceOf(ConflictException);
    expect(kvs.beforeUpdate).toBeUndefined();
    expect(retried.ItemCount).toBe(1);
    expect(Object.fromEntries(kvs.keys)).toEqual({ 'mine.example': '1' });
  });

  it('answers an unknown store ARN with ResourceNotFoundException (404)', async () => {
    // Prepare: the server holds KVS_ARN only.

    // Act
    const missing = await failure(client.send(new DescribeKeyValueStoreCommand({ KvsARN: UNKNOWN_ARN })));

    // Assess
    expect(missing).toBeInstanceOf(ResourceNotFoundException);
    expect(missing.$metadata.httpStatusCode).toBe(404);
    expect(kvs.calls[0]).toMatchObject({ arn: UNKNOWN_ARN, status: 404, error: 'ResourceNotFoundException' });
  });

  it('refuses every call with AccessDeniedException (403) while denying, and serves again after', async () => {
    // Prepare
    kvs.denyAll(true);

    // Act
    const denied = await failure(client.send(new DescribeKeyValueStoreCommand({ KvsARN: KVS_ARN })));
    const deniedWrite = await failure(client.send(new UpdateKeysCommand({ KvsARN: KVS_ARN, IfMatch: kvs.etag, Deletes: [{ Key: 'a.example' }] })));
    kvs.denyAll(false);
    const served = await client.send(new DescribeKeyValueStoreCommand({ KvsARN: KVS_ARN }));

    // Assess
    expect(denied).toBeInstanceOf(AccessDeniedException);
    expect(denied.$metadata.httpStatusCode).toBe(403);
    expect(denied.message).toMatch(/not authorized to perform: cloudfront-keyvaluestore:DescribeKeyValueStore/);
    expect(deniedWrite).toBeInstanceOf(AccessDeniedException);
    expect(kvs.keys.has('a.example')).toBe(true);
    expect(served.ItemCount).toBe(1);
  });

  it('refuses a request not signed with SigV4A', async () => {
    // Prepare
    const url = `http://127.0.0.1:${kvs.port}/key-value-stores/${encodeURIComponent(KVS_ARN)}`;

    // Act
    const response = await fetch(url);

    // Assess
    expect(response.status).toBe(403);
    expect(response.headers.get('x-amzn-errortype')).toBe('AccessDeniedException');
    expect(await response.json()).toMatchObject({ __type: 'AccessDeniedException', Message: expect.stringMatching(/SigV4A/) });
  });

  it('serves a child node process configured only by AWS_ENDPOINT_URL_CLOUDFRONT_KEYVALUESTORE and the localhost DNS preload', async () => {
    // Prepare
    const env = kvsChildEnv(kvs, '');

    // Act
    const result = await runChild(env);

    // Assess
    expect(result).toMatchObject({ items: 2 });
    expect(result.after).toBe(kvs.etag);
    expect(result.before).not.toBe(result.after);
    expect(kvs.keys.get('from-child')).toBe('yes');
    expect(kvs.calls.map((call) => [call.operation, call.host])).toEqual([
      ['DescribeKeyValueStore', `123456789012.localhost:${kvs.port}`],
      ['UpdateKeys', `123456789012.localhost:${kvs.port}`],
    ]);
    expect(kvs.calls.every((call) => call.authorization?.startsWith('AWS4-ECDSA-P256-SHA256 '))).toBe(true);
  });

  it('is out of a child process\'s reach without the DNS preload where the system resolver does not know *.localhost', async ({ skip }) => {
    // Prepare
    const known = await lookup('123456789012.localhost').then(() => true, () => false);
    if (known) skip('this system resolves *.localhost itself');
    const { NODE_OPTIONS: _preload, ...env } = kvsChildEnv(kvs, '');

    // Act
    const result = await runChild({ ...env, AWS_MAX_ATTEMPTS: '1' });

    // Assess
    expect(result).toMatchObject({ code: 'ENOTFOUND' });
    expect(kvs.calls).toEqual([]);
  });
});
