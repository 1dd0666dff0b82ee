/**
 * Origins for the local edge: a folder served the way S3 serves a bucket whose CORS rule is
 * `AllowedOrigin: *` (it reflects whatever `Origin` it is sent, with credentials: the very answer
 * that a shared cache then hands to every other site), or any URL, proxied.
 */
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';

/** A request as CloudFront sends it to the origin. */
export interface OriginRequest {
  method: string;
  /** Path and query string, e.g. `/data/catalog.json?v=2`. */
  url: string;
  /** Lower-case names, every value. */
  headers: Record<string, string[]>;
  body: Buffer;
}

export interface OriginResponse {
  status: number;
  statusText: string;
  /** Header names as the origin wrote them, every value. */
  headers: Array<[string, string]>;
  body: Buffer;
}

export type Origin = (request: OriginRequest) => Promise<OriginResponse>;

/** An origin that keeps every request it answered, to show what reached it. */
export type RecordingOrigin = Origin & { requests: OriginRequest[] };

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.json': 'application/json',
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.txt': 'text/plain; charset=utf-8',
};

const STATUS_TEXT: Record<number, string> = { 200: 'OK', 400: 'Bad Request', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed' };

/**
 * A folder served like an S3 bucket with the CORS rule `AllowedOrigin: *`, `AllowedMethods: GET, HEAD,
 * PUT, POST, DELETE`, `AllowedHeaders: *`, `ExposeHeaders: ETag`. PUT stores the object in memory,
 * never in the folder. `requests` lists every request it answered, for tests to see what reached it.
 */
export function s3Folder(root: string): RecordingOrigin {
  const written = new Map<string, { body: Buffer; type: string }>();
  const requests: OriginRequest[] = [];
  const origin = async (request: OriginRequest): Promise<OriginResponse> => {
    requests.push(request);
    let key: string;
    try {
      key = decodeURIComponent(request.url.split('?')[0] ?? '/');
    } catch {
      return s3Error(400, 'InvalidURI', 'Could not parse the specified URI.');
    }
    const cors = s3Cors(request);
    if (request.method === 'OPTIONS') {
      return cors === null ? s3Error(403, 'AccessForbidden', 'CORSResponse: This CORS request is not allowed.') : respond(200, cors, Buffer.alloc(0));
    }
    const headers = cors ?? [];
    if (request.method === 'PUT') {
      const body = request.body;
      written.set(key, { body, type: request.headers['content-type']?.[0] ?? 'binary/octet-stream' });
      return respond(200, [...headers, ['ETag', etag(body)]], Buffer.alloc(0));
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') return s3Error(405, 'MethodNotAllowed', 'The specified method is not allowed against this resource.', headers);

    const object = written.get(key) ?? (await readObject(root, key));
    if (object === null) return s3Error(404, 'NoSuchKey', 'The specified key does not exist.', headers);
    return respond(
      200,
      [
        ...headers,
        ['Content-Type', object.type],
        ['ETag', etag(object.body)],
        ['Last-Modified', 'Mon, 23 Nov 2026 12:00:00 GMT'],
        ['x-amz-version-id', 'null'],
        ['Accept-Ranges', 'bytes'],
      ],
      request.method === 'HEAD' ? Buffer.alloc(0) : object.body,
    );
  };
  return Object.assign(origin, { requests });
}

/** S3's CORS answer for the wildcard rule: the request's own Origin back, with credentials. */
function s3Cors(request: OriginRequest): Array<[string, string]> | null {
  const origin = request.headers['origin']?.[0];
  if (origin === undefined) return null;
  const headers: Array<[string, string]> = [
    ['Access-Control-Allow-Origin', origin],
    ['Access-Control-Allow-Methods', 'GET, HEAD, PUT, POST, DELETE'],
    ['Access-Control-Expose-Headers', 'ETag'],
    ['Access-Control-Max-Age', '3000'],
    ['Access-Control-Allow-Credentials', 'true'],
    ['Vary', 'Origin, Access-Control-Request-Headers, Access-Control-Request-Method'],
  ];
  const requested = request.headers['access-control-request-headers']?.[0];
  if (requested) headers.push(['Access-Control-Allow-Headers', requested]);
  return headers;
}

async function readObject(root: string, key: string): Promise<{ body: Buffer; type: string } | null> {
  const path = normalize(join(root, key.endsWith('/') ? `${key}index.html` : key));
  if (!path.startsWith(normalize(root + sep)) && path !== normalize(root)) return null; // no ../ out of the bucket
  try {
    if (!(await stat(path)).isFile()) return null;
    return { body: await readFile(path), type: TYPES[extname(path)] ?? 'binary/octet-stream' };
  } catch {
    return null;
  }
}

function s3Error(status: number, code: string, message: string, headers: Array<[string, string]> = []): OriginResponse {
  const body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message><RequestId>A1B2C3D4E5F6G7H8</RequestId></Error>`;
  return respond(status, [...headers, ['Content-Type', 'application/xml']], Buffer.from(body));
}

function respond(status: number, headers: Array<[string, string]>, body: Buffer): OriginResponse {
  return {
    status,
    statusText: STATUS_TEXT[status] ?? '',
    headers: [...headers, ['x-amz-request-id', 'A1B2C3D4E5F6G7H8'], ['Server', 'AmazonS3']],
    body,
  };
}

function etag(body: Buffer): string {
  return `"${createHash('md5').update(body).digest('hex')}"`;
}

/** Any HTTP origin, proxied: what it answers, as it answers it. */
export function urlOrigin(base: string): RecordingOrigin {
  const requests: OriginRequest[] = [];
  const origin = async (request: OriginRequest): Promise<OriginResponse> => {
    requests.push(request);
    const headers = new Headers();
    for (const [name, values] of Object.entries(request.headers)) for (const value of values) headers.append(name, value);
    const response = await fetch(new URL(request.url, base), {
      method: request.method,
      headers,
      body: request.method === 'GET' || request.method === 'HEAD' ? undefined : request.body,
      redirect: 'manual',
    });
    // fetch decodes a compressed body, so the headers describing the encoded one no longer apply.
    const out: Array<[string, string]> = [];
    response.headers.forEach((value, name) => {
      if (name !== 'content-encoding' && name !== 'content-length') out.push([name, value]);
    });
    return { status: response.status, statusText: response.statusText, headers: out, body: Buffer.from(await response.arrayBuffer()) };
  };
  return Object.assign(origin, { requests });
}
