/**
 * A CloudFront KeyValueStore for tests: a loopback HTTP server speaking the data-plane wire format
 * (restJson1, SigV4A-signed) exactly as `@aws-sdk/client-cloudfront-keyvaluestore` sends and reads
 * it, so the real client (and a child process running the CLI) can be pointed at it unchanged.
 *
 * The wire format, as read from the client's schemas (dist-es/schemas/schemas_0.js):
 * - every path starts `/key-value-stores/{KvsARN}`, the whole ARN one percent-encoded path label
 *   (`arn%3Aaws%3Acloudfront%3A%3A123456789012%3Akey-value-store%2F…`); keys are one label too,
 *   `/` sent as `%2F`;
 * - DescribeKeyValueStore `GET /key-value-stores/{arn}`; ListKeys `GET …/keys?MaxResults=&NextToken=`;
 *   GetKey `GET …/keys/{Key}`; PutKey `PUT …/keys/{Key}` body `{"Value"}`; DeleteKey
 *   `DELETE …/keys/{Key}`; UpdateKeys `POST …/keys` body `{"Puts":[{Key,Value}],"Deletes":[{Key}]}`;
 * - writes send the store's version in `If-Match`; the version comes back in the `ETag` header;
 *   timestamps (`Created`, `LastModified`) are epoch seconds in the JSON body;
 * - errors: HTTP status from the error's `httpError` trait, the type in `x-amzn-errortype` (read
 *   first by the client), the text in `Message` (`message` is accepted too).
 *
 * The endpoint rules put the ARN's account id in front of the configured endpoint's host
 * (`http://localhost:PORT` becomes `http://123456789012.localhost:PORT`), a name Node 20's resolver
 * (getaddrinfo through /etc/nsswitch.conf) does not know. {@link loopbackAgent} resolves it in this
 * process; {@link localhostDnsNodeOptions} does the same for a child `node` process.
 */
import { randomUUID } from 'node:crypto';
import { Agent, createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import type { AddressInfo } from 'node:net';

/** The store served unless {@link KvsServerOptions.arn} says otherwise. */
export const KVS_ARN = 'arn:aws:cloudfront::123456789012:key-value-store/0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d';

/** Static credentials the server accepts (it checks the SigV4A scheme, not the signature). */
export const FAKE_CREDENTIALS = { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' } as const;

/** Most keys one UpdateKeys call may put and delete together. */
export const MAX_KEYS_PER_UPDATE = 50;
/** Most items one ListKeys page may hold (MaxResults above it is refused), and the page size by default. */
export const MAX_LIST_RESULTS = 50;
/** Items per ListKeys page when the request names no MaxResults, as the service documents. */
export const DEFAULT_LIST_RESULTS = 10;
/** Most bytes in a key (UTF-8), as the service allows; longer answers ValidationException. */
export const KEY_MAX_BYTES = 512;
/** Most bytes in a value (UTF-8), as the service allows; larger answers ValidationException. */
export const VALUE_MAX_BYTES = 1024;
/** Most bytes of keys and values in the whole store; a write past it answers ServiceQuotaExceededException. */
export const STORE_MAX_BYTES = 5 * 1024 * 1024;

/** The data-plane operations, named as the service names them. */
export type KvsOperation = 'DescribeKeyValueStore' | 'ListKeys' | 'GetKey' | 'PutKey' | 'DeleteKey' | 'UpdateKeys';

/** The errors the service can answer, with the HTTP status each comes with. */
export const KVS_ERROR_STATUS = {
  ValidationException: 400,
  ServiceQuotaExceededException: 402,
  AccessDeniedException: 403,
  ResourceNotFoundException: 404,
  ConflictException: 409,
  InternalServerException: 500,
} as const;

/** Type name of an error the service can answer. */
export type KvsErrorType = keyof typeof KVS_ERROR_STATUS;

/** One HTTP call the server received, whatever its outcome. */
export interface KvsCall {
  /** The operation the method and path name, or `Unknown`. */
  operation: KvsOperation | 'Unknown';
  method: string;
  /** The request path and query, still percent-encoded. */
  url: string;
  /** The `Host` header: `{account}.localhost:PORT` when the client applied the endpoint rules. */
  host: string;
  /** The store ARN from the path, decoded. */
  arn?: string;
  /** The `If-Match` header of a write. */
  ifMatch?: string;
  /** ListKeys query parameters. */
  maxResults?: number;
  nextToken?: string;
  /** The key of GetKey; PutKey and DeleteKey list theirs in `put` / `deleted`. */
  key?: string;
  /** Keys the call asked to put (PutKey, UpdateKeys), written or not: see `status`. */
  put: string[];
  /** Keys the call asked to delete (DeleteKey, UpdateKeys), written or not: see `status`. */
  deleted: string[];
  /** True for PutKey, DeleteKey and UpdateKeys. Something was written iff `write && status === 200`. */
  write: boolean;
  /** The `Authorization` header as sent. */
  authorization?: string;
  /** HTTP status answered. */
  status: number;
  /** Error type answered, when status is not 200. */
  error?: string;
}

/** How {@link startKvsServer} sets the store up. */
export interface KvsServerOptions {
  /** ARN of the one store served; any other answers ResourceNotFoundException. Default {@link KVS_ARN}. */
  arn?: string;
  /** Keys the store holds at the start. */
  keys?: Record<string, string> | Iterable<readonly [string, string]>;
  /** Most items per ListKeys page, whatever MaxResults asks (default {@link MAX_LIST_RESULTS}). */
  pageSize?: number;
  /** Start refusing every call with AccessDeniedException (see {@link KvsServer.denyAll}). */
  denyAll?: boolean;
}

/** A running store; see {@link startKvsServer}. */
export interface KvsServer {
  /** Endpoint to configure: `http://localhost:PORT` (the client prefixes the account id). */
  readonly url: string;
  /** The port it listens on, on 127.0.0.1. */
  readonly port: number;
  /** ARN of the store served. */
  readonly arn: string;
  /** Current version of the store, as DescribeKeyValueStore answers it; every write changes it. */
  readonly etag: string;
  /** The store's contents, live. Change it through {@link KvsServer.externalWrite} to bump the ETag. */
  readonly keys: Map<string, string>;
  /** Every call received, in order. Clear with `calls.length = 0`. */
  readonly calls: KvsCall[];
  /** Most items per ListKeys page from now on (at least 1). */
  setPageSize(n: number): void;
  /** While true, every call answers AccessDeniedException (403), as refused credentials would. */
  denyAll(deny: boolean): void;
  /**
   * Change the store behind the client's back, as another writer would: put `value`, or delete the
   * key when `value` is undefined. Bumps the ETag, so a write holding the old one gets a conflict.
   * Not recorded in {@link KvsServer.calls}.
   */
  externalWrite(key: string, value?: string): void;
  /**
   * Called once, just before the next UpdateKeys is judged, then cleared: set it to slip in one
   * concurrent change (usually {@link KvsServer.externalWrite}) between a client's Describe and its
   * update.
   */
  beforeUpdate: (() => void) | undefined;
  /** Stop listening and drop open connections. */
  close(): Promise<void>;
}

class KvsError extends Error {
  constructor(readonly type: KvsErrorType, message: string) {
    super(message);
  }
}

const PATH = /^\/key-value-stores\/([^/]+)(?:\/(keys)(?:\/([^/]+))?)?$/;
const SIGV4A = 'AWS4-ECDSA-P256-SHA256 ';

function bytes(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function operationOf(method: string, keys: string | undefined, key: string | undefined): KvsOperation | 'Unknown' {
  if (keys === undefined) return method === 'GET' ? 'DescribeKeyValueStore' : 'Unknown';
  if (key === undefined) return method === 'GET' ? 'ListKeys' : method === 'POST' ? 'UpdateKeys' : 'Unknown';
  return ({ GET: 'GetKey', PUT: 'PutKey', DELETE: 'DeleteKey' } as const)[method as 'GET'] ?? 'Unknown';
}

function decodeLabel(label: string): string {
  try {
    return decodeURIComponent(label);
  } catch {
    throw new KvsError('ValidationException', `Malformed percent-encoding in path label ${label}`);
  }
}

function parseJson(text: string): Record<string, unknown> {
  if (text === '') return {};
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
  } catch {
    // answered below
  }
  throw new KvsError('ValidationException', 'Request body is not a JSON object');
}

function checkKey(key: unknown): string {
  if (typeof key !== 'string' || key.length === 0) throw new KvsError('ValidationException', 'Key must be a non-empty string');
  if (bytes(key) > KEY_MAX_BYTES) throw new KvsError('ValidationException', `Key is longer than ${KEY_MAX_BYTES} bytes`);
  return key;
}

function checkValue(value: unknown): string {
  if (typeof value !== 'string') throw new KvsError('ValidationException', 'Value must be a string');
  if (bytes(value) > VALUE_MAX_BYTES) throw new KvsError('ValidationException', `Value is larger than ${VALUE_MAX_BYTES} bytes`);
  return value;
}

function listOf(body: Record<string, unknown>, field: string): Record<string, unknown>[] {
  const list = body[field];
  if (list === undefined || list === null) return [];
  if (!Array.isArray(list) || list.some((item) => item === null || typeof item !== 'object')) {
    throw new KvsError('ValidationException', `${field} must be a list of objects`);
  }
  return list as Record<string, unknown>[];
}

/**
 * Start a KeyValueStore on 127.0.0.1 at a free port, holding one store.
 *
 * @example
 * const kvs = await startKvsServer({ keys: { 'a.example': '1' } });
 * const client = new CloudFrontKeyValueStoreClient(kvsClientConfig(kvs));
 */
export async function startKvsServer(options: KvsServerOptions = {}): Promise<KvsServer> {
  const arn = options.arn ?? KVS_ARN;
  const keys = new Map<string, string>(options.keys === undefined ? [] : Symbol.iterator in options.keys
    ? (options.keys as Iterable<readonly [string, string]>)
    : Object.entries(options.keys));
  const calls: KvsCall[] = [];
  const created = Date.now() / 1000;
  let lastModified = created;
  let pageSize = options.pageSize ?? MAX_LIST_RESULTS;
  let deny = options.denyAll ?? false;
  // The service's ETags are opaque upper-case tokens (`KV1F83G8C2ARO7P`); a fresh stem per server
  // keeps one server's versions from matching another's.
  const stem = `KV${randomUUID().replace(/-/g, '').slice(0, 8).toUpperCase()}`;
  let version = 0;
  let etag = `${stem}${version.toString(36).toUpperCase()}`;

  const totalSize = (): number => {
    let size = 0;
    for (const [key, value] of keys) size += bytes(key) + bytes(value);
    return size;
  };
  const bump = (): void => {
    version += 1;
    etag = `${stem}${version.toString(36).toUpperCase()}`;
    lastModified = Date.now() / 1000;
  };
  const summary = (): { ItemCount: number; TotalSizeInBytes: number } => ({ ItemCount: keys.size, TotalSizeInBytes: totalSize() });
  const checkVersion = (ifMatch: string | undefined): void => {
    if (ifMatch === undefined || ifMatch === '') throw new KvsError('ValidationException', 'If-Match header is required');
    if (ifMatch !== etag) throw new KvsError('ConflictException', `Pre-condition failed: ETag ${ifMatch} is not the current version of the store`);
  };

  /** Judge one call; returns the JSON body and extra headers, or throws a {@link KvsError}. */
  async function handle(req: IncomingMessage, call: KvsCall, match: RegExpMatchArray | null): Promise<{ body: object; headers?: Record<string, string> }> {
    if (match === null || call.operation === 'Unknown') {
      throw new KvsError('ValidationException', `No operation for ${req.method} ${call.url}`);
    }
    const authorization = req.headers.authorization;
    if (authorization === undefined || !authorization.startsWith(SIGV4A)) {
      // The real service would answer IncompleteSignatureException; AccessDenied is the client's nearest.
      throw new KvsError('AccessDeniedException', 'The request is not signed with SigV4A (AWS4-ECDSA-P256-SHA256)');
    }
    if (deny) {
      throw new KvsError(
        'AccessDeniedException',
        `User: arn:aws:iam::${arn.split(':')[4] ?? ''}:user/test is not authorized to perform: cloudfront-keyvaluestore:${call.operation} on resource: ${call.arn ?? ''}`,
      );
    }
    if (call.arn !== arn) throw new KvsError('ResourceNotFoundException', `Key value store ${call.arn ?? ''} not found`);
    const text = await readBody(req);

    switch (call.operation) {
      case 'DescribeKeyValueStore':
        return {
          body: { ...summary(), KvsARN: arn, Created: created, LastModified: lastModified, Status: 'READY' },
          headers: { ETag: etag },
        };
      case 'ListKeys': {
        const query = new URL(call.url, 'http://kvs').searchParams;
        const maxText = query.get('MaxResults');
        const token = query.get('NextToken');
        if (maxText !== null) call.maxResults = Number(maxText);
        if (token !== null) call.nextToken = token;
        const max = call.maxResults ?? DEFAULT_LIST_RESULTS;
        if (!Number.isInteger(max) || max < 1 || max > MAX_LIST_RESULTS) {
          throw new KvsError('ValidationException', `MaxResults must be between 1 and ${MAX_LIST_RESULTS}`);
        }
        // The token is the last key of the page before, so a page never repeats or skips a key
        // even if keys are written between pages.
        let after: string | undefined;
        if (token !== null) {
          after = Buffer.from(token, 'base64url').toString('utf8');
          if (token === '' || Buffer.from(after, 'utf8').toString('base64url') !== token) {
            throw new KvsError('ValidationException', 'NextToken is not valid');
          }
        }
        const sorted = [...keys.keys()].sort().filter((key) => after === undefined || key > after);
        const page = sorted.slice(0, Math.min(max, pageSize));
        const last = page.at(-1);
        return {
          body: {
            Items: page.map((key) => ({ Key: key, Value: keys.get(key) })),
            ...(page.length < sorted.length && last !== undefined ? { NextToken: Buffer.from(last, 'utf8').toString('base64url') } : {}),
          },
        };
      }
      case 'GetKey': {
        const key = call.key ?? '';
        const value = keys.get(key);
        if (value === undefined) throw new KvsError('ResourceNotFoundException', `Key ${key} not found`);
        return { body: { Key: key, Value: value, ...summary() } };
      }
      case 'PutKey': {
        const key = checkKey(call.put[0]);
        const value = checkValue(parseJson(text).Value);
        checkVersion(call.ifMatch);
        const old = keys.get(key);
        if (totalSize() - (old === undefined ? 0 : bytes(key) + bytes(old)) + bytes(key) + bytes(value) > STORE_MAX_BYTES) {
          throw new KvsError('ServiceQuotaExceededException', `The store would exceed ${STORE_MAX_BYTES} bytes`);
        }
        keys.set(key, value);
        bump();
        return { body: summary(), headers: { ETag: etag } };
      }
      case 'DeleteKey': {
        const key = call.deleted[0] ?? '';
        checkVersion(call.ifMatch);
        if (!keys.has(key)) throw new KvsError('ResourceNotFoundException', `Key ${key} not found`);
        keys.delete(key);
        bump();
        return { body: summary(), headers: { ETag: etag } };
      }
      case 'UpdateKeys': {
        const body = parseJson(text);
        const puts = listOf(body, 'Puts').map((item) => ({ Key: checkKey(item.Key), Value: checkValue(item.Value) }));
        const deletes = listOf(body, 'Deletes').map((item) => checkKey(item.Key));
        call.put = puts.map((item) => item.Key);
        call.deleted = deletes;
        const hook = server.beforeUpdate;
        server.beforeUpdate = undefined;
        hook?.();
        if (puts.length + deletes.length > MAX_KEYS_PER_UPDATE) {
          throw new KvsError('ValidationException', `At most ${MAX_KEYS_PER_UPDATE} keys may be put or deleted in one UpdateKeys call; got ${puts.length + deletes.length}`);
        }
        const named = [...call.put, ...deletes];
        if (new Set(named).size !== named.length) throw new KvsError('ValidationException', 'A key appears more than once in Puts and Deletes');
        checkVersion(call.ifMatch);
        const next = new Map(keys);
        for (const key of deletes) next.delete(key);
        for (const { Key, Value } of puts) next.set(Key, Value);
        let size = 0;
        for (const [key, value] of next) size += bytes(key) + bytes(value);
        if (size > STORE_MAX_BYTES) throw new KvsError('ServiceQuotaExceededException', `The store would exceed ${STORE_MAX_BYTES} bytes`);
        keys.clear();
        for (const [key, value] of next) keys.set(key, value);
        bump();
        return { body: summary(), headers: { ETag: etag } };
      }
    }
  }

  function answer(res: ServerResponse, call: KvsCall, status: number, body: object, headers: Record<string, string> = {}): void {
    call.status = status;
    const text = JSON.stringify(body);
    res.writeHead(status, {
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength(text)),
      'x-amzn-requestid': randomUUID(),
      ...headers,
    });
    res.end(text);
  }

  const http = createServer((req, res) => {
    const url = req.url ?? '/';
    const method = req.method ?? 'GET';
    const match = new URL(url, 'http://kvs').pathname.match(PATH);
    const ifMatch = req.headers['if-match'];
    const call: KvsCall = {
      operation: match === null ? 'Unknown' : operationOf(method, match[2], match[3]),
      method,
      url,
      host: req.headers.host ?? '',
      put: [],
      deleted: [],
      write: false,
      status: 0,
      ...(req.headers.authorization === undefined ? {} : { authorization: req.headers.authorization }),
      ...(ifMatch === undefined ? {} : { ifMatch }),
    };
    call.write = call.operation === 'PutKey' || call.operation === 'DeleteKey' || call.operation === 'UpdateKeys';
    calls.push(call);
    (async () => {
      if (match !== null) {
        call.arn = decodeLabel(match[1] ?? '');
        if (match[3] !== undefined) {
          const key = decodeLabel(match[3]);
          if (call.operation === 'PutKey') call.put = [key];
          else if (call.operation === 'DeleteKey') call.deleted = [key];
          else call.key = key;
        }
      }
      const { body, headers } = await handle(req, call, match);
      answer(res, call, 200, body, headers);
    })().catch((error: unknown) => {
      const type: KvsErrorType = error instanceof KvsError ? error.type : 'InternalServerException';
      const message = error instanceof Error ? error.message : String(error);
      call.error = type;
      req.resume();
      answer(res, call, KVS_ERROR_STATUS[type], { __type: type, Message: message }, { 'x-amzn-errortype': type });
    });
  });

  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = http.address() as AddressInfo;

  const server: KvsServer = {
    url: `http://localhost:${port}`,
    port,
    arn,
    get etag() {
      return etag;
    },
    keys,
    calls,
    beforeUpdate: undefined,
    setPageSize(n) {
      if (!Number.isInteger(n) || n < 1) throw new RangeError(`page size must be a positive integer, not ${n}`);
      pageSize = n;
    },
    denyAll(value) {
      deny = value;
    },
    externalWrite(key, value) {
      if (value === undefined) keys.delete(key);
      else keys.set(key, value);
      bump();
    },
    close() {
      return new Promise((resolve, reject) => {
        http.close((error) => (error ? reject(error) : resolve()));
        http.closeAllConnections();
      });
    },
  };
  return server;
}

// ---------------------------------------------------------------------------------------------
// Reaching the server: `{account}.localhost` to 127.0.0.1
// ---------------------------------------------------------------------------------------------

/**
 * True for `localhost` and any name under it (`123456789012.localhost`), which RFC 6761 reserves
 * for loopback but glibc's resolver (what Node 20 `dns.lookup` uses) answers ENOTFOUND.
 */
export function isLocalhostName(hostname: string): boolean {
  return /(^|\.)localhost\.?$/i.test(hostname);
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * A `lookup` for `net.connect` / `http.Agent` that answers 127.0.0.1 for `*.localhost` and hands
 * every other name to the system resolver.
 */
export function loopbackLookup(hostname: string, options: LookupOptions, callback: LookupCallback): void {
  if (!isLocalhostName(hostname)) {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) callback(error, []);
      else if (options.all) callback(null, addresses);
      else callback(null, addresses[0]?.address ?? '', addresses[0]?.family);
    });
    return;
  }
  process.nextTick(() => (options.all ? callback(null, [{ address: '127.0.0.1', family: 4 }]) : callback(null, '127.0.0.1', 4)));
}

/** An `http.Agent` that reaches `*.localhost` on 127.0.0.1 (see {@link loopbackLookup}). */
export function loopbackAgent(): Agent {
  return new Agent({ lookup: loopbackLookup });
}

/**
 * Everything a `CloudFrontKeyValueStoreClient` needs to talk to `server` from this process:
 * `new CloudFrontKeyValueStoreClient(kvsClientConfig(kvs))`. Region us-east-1, the fake static
 * credentials, one attempt (so an error comes back at once), the endpoint, and a request handler
 * (the SDK takes NodeHttpHandler options here) whose agent resolves `*.localhost` to 127.0.0.1.
 * `import '@aws-sdk/signature-v4a'` before sending: the client signs with SigV4A.
 */
export function kvsClientConfig(server: Pick<KvsServer, 'url'>, agent: Agent = loopbackAgent()): {
  region: string;
  endpoint: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  maxAttempts: number;
  requestHandler: { httpAgent: Agent };
} {
  return { region: 'us-east-1', endpoint: server.url, credentials: { ...FAKE_CREDENTIALS }, maxAttempts: 1, requestHandler: { httpAgent: agent } };
}

/**
 * The module a child process preloads: it wraps `dns.lookup` (which `net.connect`, hence
 * `http.request` and the SDK's NodeHttpHandler, reads from the `dns` module at every connect) so
 * `*.localhost` answers 127.0.0.1, and leaves every other name to the original.
 */
const LOCALHOST_DNS_MODULE = `import dns from 'node:dns';
const original = dns.lookup;
dns.lookup = function lookup(hostname, options, callback) {
  if (typeof hostname !== 'string' || !/(^|\\.)localhost\\.?$/i.test(hostname)) return original.apply(this, arguments);
  if (typeof options === 'function') { callback = options; options = {}; }
  if (typeof options === 'number') options = { family: options };
  const all = Boolean(options && options.all);
  process.nextTick(() => all ? callback(null, [{ address: '127.0.0.1', family: 4 }]) : callback(null, '127.0.0.1', 4));
};
`;

/**
 * A `data:` URL for `node --import`, of the module that resolves `*.localhost` to 127.0.0.1 in
 * the process it is imported into. Base64, so it holds no space or quote and survives NODE_OPTIONS.
 */
export function localhostDnsImport(): string {
  return `data:text/javascript;base64,${Buffer.from(LOCALHOST_DNS_MODULE, 'utf8').toString('base64')}`;
}

/**
 * NODE_OPTIONS for a child `node` process (one running the CLI, which makes its own client) so it
 * reaches the server: `existing` options, then `--import=<data: URL>` of {@link localhostDnsImport}.
 * Needs Node 20.6 or later (`--import`).
 */
export function localhostDnsNodeOptions(existing: string | undefined = process.env.NODE_OPTIONS): string {
  return [existing?.trim(), `--import=${localhostDnsImport()}`].filter(Boolean).join(' ');
}

/**
 * Environment for a child process whose SDK client should use `server`: the endpoint through
 * `AWS_ENDPOINT_URL_CLOUDFRONT_KEYVALUESTORE` (the client's service id "CloudFront KeyValueStore"),
 * us-east-1, the fake credentials, and NODE_OPTIONS from {@link localhostDnsNodeOptions}. Merge it
 * over a clean base such as `{ PATH: process.env.PATH, HOME: tmpdir }` rather than over
 * `process.env`, whose AWS_SESSION_TOKEN, AWS_PROFILE or AWS_IGNORE_CONFIGURED_ENDPOINT_URLS would
 * leak in.
 */
export function kvsChildEnv(server: Pick<KvsServer, 'url'>, existingNodeOptions?: string): Record<string, string> {
  return {
    AWS_ENDPOINT_URL_CLOUDFRONT_KEYVALUESTORE: server.url,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: FAKE_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: FAKE_CREDENTIALS.secretAccessKey,
    NODE_OPTIONS: localhostDnsNodeOptions(existingNodeOptions),
  };
}
