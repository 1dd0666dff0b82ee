/**
 * A local CloudFront, enough of one to watch cloudfront-cors work: for each request, the viewer
 * request (CloudFront Function or Lambda@Edge), the cache (keyed on path, query string and the
 * headers the cache policy names), the origin (sent only what the cache and origin request policies
 * forward), the origin response on a miss, then the cache store. Answers say `X-Cache: Hit|Miss from
 * cloudfront` like CloudFront's.
 *
 * Without handlers it behaves like a distribution before this project: the cache key is the path
 * and query string alone, while `Origin` still reaches the origin (the usual CORS-S3Origin policy),
 * so the first site's answer is served to every site.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type {
  CloudFrontHeaders,
  CloudFrontRequest,
  CloudFrontRequestEvent,
  CloudFrontResponse,
  CloudFrontResponseEvent,
  CloudFrontResultResponse,
} from 'aws-lambda';
import type { EdgeHandlers, FunctionRequestEvent, FunctionResult } from './handlers.ts';
import type { Origin, OriginRequest } from './origins.ts';

export interface EdgeOptions {
  /** The built handlers, or `null` for a distribution without cloudfront-cors. */
  handlers: EdgeHandlers | null;
  /** Which viewer-request flavour runs. @default "cloudfront-functions" */
  viewer?: 'cloudfront-functions' | 'lambda-edge';
  origin: Origin;
  /** Headers in the cache key (the cache policy's); with handlers, `Origin` at least. @default ["origin"] */
  keyHeaders?: string[];
  /** Headers the origin request policy forwards on top of the key headers. @default [] */
  forwardHeaders?: string[];
  /** Shown in events as the distribution's domain. @default "d111111abcdef8.cloudfront.net" */
  distributionDomainName?: string;
}

/** A cached answer: what the origin-response handler left. */
interface Stored {
  status: number;
  statusText: string;
  headers: Array<[string, string]>;
  body: Buffer;
}

export interface Edge {
  server: Server;
  /** The cache, by key; tests and the cache figures read its size. */
  cache: Map<string, Stored>;
  /** Answers one request; the server calls it, and so can a script without a socket. */
  handle(request: EdgeRequest): Promise<Stored & { cache: CacheMark }>;
}

/** How an answer was made, and what CloudFront's X-Cache header says for it. */
type CacheMark = 'Hit' | 'Miss' | 'FunctionEdge' | 'LambdaEdge';
const X_CACHE: Record<CacheMark, string> = {
  Hit: 'Hit',
  Miss: 'Miss',
  FunctionEdge: 'FunctionGeneratedResponse',
  LambdaEdge: 'LambdaGeneratedResponse',
};

/** A viewer's request, as the edge receives it. */
export interface EdgeRequest {
  method: string;
  url: string;
  /** Header names as sent, every value, in order. */
  headers: Array<[string, string]>;
  body?: Buffer;
  clientIp?: string;
}

/**
 * Methods answered from the cache (the template's CachedMethods). Only GET answers are stored: a
 * HEAD answer has no body to serve a later GET, and a HEAD is answered from a stored GET.
 */
const CACHED_METHODS = ['GET', 'HEAD'];

/** Headers CloudFront sends the origin whatever the policies say, for a body to make sense. */
const ALWAYS_FORWARDED = ['content-type', 'content-length'];

export function createEdge(options: EdgeOptions): Edge {
  const viewer = options.viewer ?? 'cloudfront-functions';
  const handlers = options.handlers;
  const keyHeaders = handlers === null ? [] : (options.keyHeaders ?? ['origin']).map((h) => h.toLowerCase());
  const forwardHeaders = [
    ...keyHeaders,
    ...(options.forwardHeaders ?? []).map((h) => h.toLowerCase()),
    // Without cloudfront-cors the usual setup forwards the CORS headers without keying on them.
    ...(handlers === null ? ['origin', 'access-control-request-method', 'access-control-request-headers'] : []),
    ...ALWAYS_FORWARDED,
  ];
  const domain = options.distributionDomainName ?? 'd111111abcdef8.cloudfront.net';
  const cache = new Map<string, Stored>();
  let requestNumber = 0;

  async function handle(incoming: EdgeRequest): Promise<Stored & { cache: CacheMark }> {
    const requestId = `local-${++requestNumber}`;
    const [uri = '/', querystring = ''] = splitOnce(incoming.url, '?');
    let request: CloudFrontRequest = {
      clientIp: incoming.clientIp ?? '127.0.0.1',
      method: incoming.method,
      uri,
      querystring,
      headers: toLambdaHeaders(incoming.headers),
    };

    if (handlers !== null) {
      const answer =
        viewer === 'lambda-edge'
          ? await handlers.viewerRequestLambda(lambdaViewerEvent(request, domain, requestId))
          : await runFunction(handlers, request, domain, requestId);
      if (answer && 'status' in answer) return { ...fromResult(answer), cache: viewer === 'lambda-edge' ? 'LambdaEdge' : 'FunctionEdge' };
      if (answer) request = answer as CloudFrontRequest;
    }

    const cacheable = CACHED_METHODS.includes(request.method);
    const key = [request.uri, request.querystring, ...keyHeaders.map((name) => values(request.headers, name).join(','))].join('\n');
    const hit = cacheable ? cache.get(key) : undefined;
    if (hit) return { ...hit, cache: 'Hit' };

    const forwarded: OriginRequest = {
      method: request.method,
      url: request.querystring ? `${request.uri}?${request.querystring}` : request.uri,
      headers: Object.fromEntries(forwardHeaders.flatMap((name) => (request.headers[name] ? [[name, values(request.headers, name)]] : []))),
      body: incoming.body ?? Buffer.alloc(0),
    };
    const fromOrigin = await options.origin(forwarded);
    let stored: Stored = { status: fromOrigin.status, statusText: fromOrigin.statusText, headers: fromOrigin.headers, body: fromOrigin.body };

    if (handlers !== null) {
      const originRequest = { ...request, headers: toLambdaHeaders(Object.entries(forwarded.headers).flatMap(([n, vs]) => vs.map((v) => [n, v] as [string, string]))) };
      const event: CloudFrontResponseEvent = {
        Records: [{
          cf: {
            config: { distributionDomainName: domain, distributionId: 'ELOCALEDGE', eventType: 'origin-response', requestId },
            request: originRequest,
            response: { status: String(stored.status), statusDescription: stored.statusText, headers: toLambdaHeaders(stored.headers) },
          },
        }],
      };
      const result = (await handlers.originResponse(event)) as (CloudFrontResponse & { body?: string }) | undefined;
      if (result) {
        stored = {
          ...fromResult(result),
          body: result.body !== undefined ? Buffer.from(result.body) : stored.body,
        };
      }
    }
    if (request.method === 'GET' && storable(stored)) cache.set(key, stored);
    return { ...stored, cache: 'Miss' };
  }

  const server = createServer((req, res) => {
    void serve(req, res).catch((error: unknown) => {
      res.writeHead(502, { 'content-type': 'text/plain' }).end(`local edge: ${(error as Error).message}\n`);
    });
  });

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const headers: Array<[string, string]> = [];
    for (let i = 0; i < req.rawHeaders.length; i += 2) headers.push([req.rawHeaders[i]!, req.rawHeaders[i + 1]!]);
    const answer = await handle({
      method: req.method ?? 'GET',
      url: req.url ?? '/',
      headers,
      body: Buffer.concat(chunks),
      clientIp: req.socket.remoteAddress ?? '127.0.0.1',
    });
    const out: Array<[string, string]> = answer.headers.filter(([name]) => !['content-length', 'transfer-encoding', 'connection'].includes(name.toLowerCase()));
    out.push(['X-Cache', `${X_CACHE[answer.cache]} from cloudfront`]);
    out.push(['Via', '1.1 local-edge.cloudfront.net (CloudFront)']);
    res.writeHead(answer.status, answer.statusText, out.flat());
    res.end(req.method === 'HEAD' ? undefined : answer.body);
  }

  return { server, cache, handle };
}

/** Whether CloudFront would keep an answer: not when the origin said no-store or private. */
function storable(answer: Stored): boolean {
  const cacheControl = answer.headers
    .filter(([name]) => name.toLowerCase() === 'cache-control')
    .map(([, value]) => value.toLowerCase())
    .join(',');
  return !/\b(no-store|private)\b/.test(cacheControl);
}

function lambdaViewerEvent(request: CloudFrontRequest, domain: string, requestId: string): CloudFrontRequestEvent {
  return {
    Records: [{
      cf: { config: { distributionDomainName: domain, distributionId: 'ELOCALEDGE', eventType: 'viewer-request', requestId }, request: structuredClone(request) },
    }],
  };
}

/** The same request in CloudFront Functions' shape: lower-case names, `multiValue` for repeats. */
function functionViewerEvent(request: CloudFrontRequest, domain: string, requestId: string): FunctionRequestEvent {
  const headers: FunctionRequestEvent['request']['headers'] = {};
  for (const [name, entries] of Object.entries(request.headers)) {
    if (name === 'cookie') continue; // CloudFront Functions get cookies apart, in `cookies`
    const first = entries[0]?.value ?? '';
    headers[name] = entries.length > 1 ? { value: first, multiValue: entries.map((e) => ({ value: e.value })) } : { value: first };
  }
  const querystring: FunctionRequestEvent['request']['querystring'] = {};
  for (const [name, value] of new URLSearchParams(request.querystring)) {
    const existing = querystring[name];
    if (existing) existing.multiValue = [...(existing.multiValue ?? [{ value: existing.value }]), { value }];
    else querystring[name] = { value };
  }
  return {
    version: '1.0',
    context: { distributionDomainName: domain, distributionId: 'ELOCALEDGE', eventType: 'viewer-request', requestId },
    viewer: { ip: request.clientIp },
    request: { method: request.method, uri: request.uri, querystring, headers, cookies: {} },
  };
}

/** Runs the CloudFront Function on a request, as CloudFront would, and reads back what it returned. */
async function runFunction(handlers: EdgeHandlers, request: CloudFrontRequest, domain: string, requestId: string): Promise<CloudFrontRequest | CloudFrontResultResponse> {
  const event = functionViewerEvent(request, domain, requestId);
  // What cloudfront-js-2.0 adds to the request: the query string as the viewer sent it.
  Object.defineProperty(event.request, 'rawQueryString', { value: () => request.querystring, enumerable: false });
  return fromFunctionResult(await handlers.viewerRequestFunctionAsync(event), request);
}

/**
 * A CloudFront Function's answer in Lambda@Edge's shape, so the rest of the edge speaks one shape.
 * A function that wrote the query string as a string (`legacyQueryParameters`) changes what is
 * cached and sent on; otherwise the raw string stays as the viewer wrote it.
 */
function fromFunctionResult(result: FunctionResult, original: CloudFrontRequest): CloudFrontRequest | CloudFrontResultResponse {
  if ('statusCode' in result) {
    return {
      status: String(result.statusCode),
      statusDescription: result.statusDescription ?? '',
      headers: Object.fromEntries(Object.entries(result.headers ?? {}).map(([name, h]) => [name, [{ key: name, value: h.value }]])),
    };
  }
  const headers: CloudFrontHeaders = {};
  for (const [name, header] of Object.entries(result.headers)) {
    const list = header.multiValue && header.multiValue.length > 0 ? header.multiValue : [header];
    headers[name] = list.map((h) => ({ key: original.headers[name]?.[0]?.key ?? name, value: h.value }));
  }
  if (original.headers['cookie']) headers['cookie'] = original.headers['cookie'];
  const written: unknown = result.querystring;
  return { ...original, uri: result.uri, querystring: typeof written === 'string' ? written : original.querystring, headers };
}

function fromResult(result: CloudFrontResultResponse | CloudFrontResponse): Stored {
  const headers: Array<[string, string]> = [];
  for (const [name, entries] of Object.entries(result.headers ?? {})) for (const e of entries) headers.push([e.key ?? name, e.value]);
  const body = 'body' in result && typeof result.body === 'string' ? Buffer.from(result.body) : Buffer.alloc(0);
  return { status: Number(result.status), statusText: result.statusDescription ?? '', headers, body };
}

function toLambdaHeaders(pairs: Array<[string, string]>): CloudFrontHeaders {
  const headers: CloudFrontHeaders = {};
  for (const [key, value] of pairs) (headers[key.toLowerCase()] ??= []).push({ key, value });
  return headers;
}

function values(headers: CloudFrontHeaders, name: string): string[] {
  return (headers[name] ?? []).map((entry) => entry.value);
}

function splitOnce(text: string, separator: string): [string, string] {
  const at = text.indexOf(separator);
  return at < 0 ? [text, ''] : [text.slice(0, at), text.slice(at + 1)];
}
