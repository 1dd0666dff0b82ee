/**
 * `cloudfront-cors/testing`: test your policy with the handlers CloudFront will run, in your own
 * test suite. Build the handlers from a policy (a file or an object), make an event (from a
 * recording, or with the builders below in either runtime's shape), run it, and read a header or
 * the status from whatever came back. Nothing is left on disk.
 *
 * @example
 * import { buildHandlers, viewerRequestEvent, runEvent, header, status } from 'cloudfront-cors/testing';
 * const handlers = await buildHandlers('cors.config.json');
 * const answer = await runEvent(handlers, viewerRequestEvent({ origin: 'HTTPS://App.Example.com' }));
 * header(answer, 'origin'); // 'https://app.example.com'
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { CloudFrontHeaders, CloudFrontRequestEvent, CloudFrontResponseEvent } from 'aws-lambda';
import { buildInMemory, type EdgeHandlers, type FunctionRequestEvent, type FunctionResult } from '../dev/handlers.ts';
import { parseRecorded, recordedEvent, replayEvent, type EventKind, type RecordedEvent } from '../dev/replay.ts';
import { fileStore } from '../dev/file-store.ts';
import { storeEntriesOf } from '../deploy/origin-list.ts';

export type { EdgeHandlers, EventKind, FunctionRequestEvent, FunctionResult, RecordedEvent };

/** What {@link buildHandlers} takes beside the policy. */
export interface BuildHandlersOptions {
  /** The handlers log every event they receive, as `build --record-events` makes them. @default false */
  recordEvents?: boolean;
  /**
   * With `"originStore"`: what the function's KeyValueStore holds, as a file of origins (one a line,
   * or a JSON array, as `origins sync --from` reads; read again whenever it changes) or as a list.
   * Each origin is checked as `origins add` checks it. With rules, an origin joins the rule its
   * `rule` names (`{ origin: 'https://shop.example.net', rule: 'writers' }`), the first by default;
   * a `rule` the policy has no such rule for is kept, and allows nothing, as a stale value in a
   * deployed store does.
   * @default an empty store
   */
  kvs?: string | ReadonlyArray<string | { origin: string; rule?: string }>;
}

/**
 * Builds a policy and loads the three handlers as CloudFront runs them: the Lambda@Edge viewer
 * request and origin response, and the CloudFront Function.
 *
 * @param policy a policy file's path (relative to the working directory), or a policy object
 * @throws PolicyError naming every problem of a refused policy
 * @example const handlers = await buildHandlers('cors.config.json', { kvs: ['https://customer.example.net'] });
 */
export function buildHandlers(policy: string | object = 'cors.config.json', options: BuildHandlersOptions = {}): Promise<EdgeHandlers> {
  const kvs = options.kvs;
  const fixed = Array.isArray(kvs) ? storeEntriesOf(kvs.map((entry) => (typeof entry === 'string' ? { origin: entry } : entry))) : undefined;
  const store = typeof kvs === 'string' ? fileStore(resolve(kvs)) : fixed === undefined ? undefined : () => fixed;
  return buildInMemory(typeof policy === 'string' ? resolve(policy) : policy, { recordEvents: options.recordEvents, ...(store === undefined ? {} : { store }) });
}

/** Loads the one event in a fixture or recording file, and what kind of event it is. */
export function loadEvent(path: string): RecordedEvent {
  const events = parseRecorded(readFileSync(path, 'utf8'), path);
  if (events.length !== 1) throw new Error(`${path} holds ${events.length} events; loadEvent takes a file with one`);
  return events[0] as RecordedEvent;
}

/** Any event a handler takes: a loaded recording, or an event of either runtime. */
export type AnyEvent = RecordedEvent | CloudFrontRequestEvent | CloudFrontResponseEvent | FunctionRequestEvent;

/**
 * Runs an event through the handler for its kind (Lambda@Edge viewer request or origin response, or
 * the CloudFront Function) and resolves to what that handler returned. The event is copied first.
 */
export function runEvent(handlers: EdgeHandlers, event: AnyEvent): Promise<unknown> {
  if (event === null || typeof event !== 'object') {
    throw new TypeError(`runEvent takes an event (a CloudFront event, or what loadEvent returns), not ${event === null ? 'null' : typeof event}`);
  }
  const recorded = 'kind' in event && 'event' in event ? event : recordedEvent(event, 'event');
  return replayEvent(handlers, recorded);
}

/**
 * One header's value from anything a handler returns: a Lambda@Edge request or response
 * (`{ name: [{ key, value }] }`) or a CloudFront Functions one (`{ name: { value } }`). Several
 * values are joined with ", "; `undefined` when absent.
 */
export function header(result: unknown, name: string): string | undefined {
  const headers = (result as { headers?: Record<string, unknown> } | null)?.headers;
  const entry = headers?.[name.toLowerCase()];
  if (Array.isArray(entry)) return entry.map((e: { value: string }) => e.value).join(', ');
  if (entry && typeof entry === 'object') {
    const { value, multiValue } = entry as { value: string; multiValue?: Array<{ value: string }> };
    return multiValue ? multiValue.map((v) => v.value).join(', ') : value;
  }
  return undefined;
}

/** The status of a response a handler returned (`status` or `statusCode`), or `undefined` for a request. */
export function status(result: unknown): number | undefined {
  const answer = result as { status?: string; statusCode?: number } | null;
  if (answer?.statusCode !== undefined) return answer.statusCode;
  return answer?.status !== undefined ? Number(answer.status) : undefined;
}

/** Header values as a test writes them: one value, or several for a repeated header. */
export type HeaderValues = Record<string, string | string[]>;

/** A viewer request, described the way a test thinks of it. Every field is optional. */
export interface RequestOptions {
  /** @default "GET" */
  method?: string;
  /** The request's `Origin`; several values for a request that sends the header twice. */
  origin?: string | string[];
  /** `Access-Control-Request-Method`: with `method: 'OPTIONS'` and `origin`, a preflight. */
  requestMethod?: string;
  /** `Access-Control-Request-Headers`, e.g. `"content-type, x-amz-date"`. */
  requestHeaders?: string;
  /** @default "d111111abcdef8.cloudfront.net" (the distribution's own domain) */
  host?: string;
  /** @default "/index.html" */
  uri?: string;
  /** The raw query string, without `?`. @default "" */
  querystring?: string;
  /** Any other request headers. */
  headers?: HeaderValues;
}

/** An origin's response to a request, for the origin-response handler. */
export interface ResponseOptions {
  /** The request as the origin saw it (after the viewer-request function). */
  request?: RequestOptions;
  /** @default 200 */
  status?: number;
  /** The origin's response headers, e.g. `{ 'Access-Control-Allow-Origin': '*', Vary: 'Accept-Encoding' }`. */
  headers?: HeaderValues;
}

const DISTRIBUTION = { distributionDomainName: 'd111111abcdef8.cloudfront.net', distributionId: 'EDFDVBD6EXAMPLE' };
const REQUEST_ID = '4TyzHTaYWb1GX1qTfsHhEqV6HUDd_BzoBZnwfnvQc_1oF26ClkoUSE02==';

/** The request's headers, names lower-cased, each with every value. */
function requestHeaderValues(options: RequestOptions): Array<[string, string, string[]]> {
  const all: HeaderValues = { Host: options.host ?? DISTRIBUTION.distributionDomainName, ...options.headers };
  if (options.origin !== undefined) all['Origin'] = options.origin;
  if (options.requestMethod !== undefined) all['Access-Control-Request-Method'] = options.requestMethod;
  if (options.requestHeaders !== undefined) all['Access-Control-Request-Headers'] = options.requestHeaders;
  return Object.entries(all).map(([name, value]) => [name.toLowerCase(), name, Array.isArray(value) ? value : [value]]);
}

function lambdaHeaders(values: Array<[string, string, string[]]>): CloudFrontHeaders {
  const headers: CloudFrontHeaders = {};
  for (const [lower, name, list] of values) headers[lower] = list.map((value) => ({ key: name, value }));
  return headers;
}

function lambdaRequest(options: RequestOptions) {
  return {
    clientIp: '203.0.113.178',
    method: options.method ?? 'GET',
    uri: options.uri ?? '/index.html',
    querystring: options.querystring ?? '',
    headers: lambdaHeaders(requestHeaderValues(options)),
  };
}

/**
 * A Lambda@Edge viewer-request event, as CloudFront sends it.
 *
 * @example viewerRequestEvent({ method: 'OPTIONS', origin: 'https://app.example.com', requestMethod: 'PUT' })
 */
export function viewerRequestEvent(options: RequestOptions = {}): CloudFrontRequestEvent {
  return { Records: [{ cf: { config: { ...DISTRIBUTION, eventType: 'viewer-request', requestId: REQUEST_ID }, request: lambdaRequest(options) } }] };
}

/**
 * A CloudFront Functions viewer-request event (cloudfront-js-2.0), as CloudFront sends it.
 *
 * @example functionRequestEvent({ origin: 'https://app.example.com' })
 */
export function functionRequestEvent(options: RequestOptions = {}): FunctionRequestEvent {
  const headers: FunctionRequestEvent['request']['headers'] = {};
  for (const [lower, , list] of requestHeaderValues(options)) {
    headers[lower] = list.length === 1 ? { value: list[0] as string } : { value: list[0] as string, multiValue: list.map((value) => ({ value })) };
  }
  const querystring: FunctionRequestEvent['request']['querystring'] = {};
  for (const pair of (options.querystring ?? '').split('&')) {
    if (pair === '') continue;
    const at = pair.indexOf('=');
    const name = decodeURIComponent(at < 0 ? pair : pair.slice(0, at));
    const value = at < 0 ? '' : decodeURIComponent(pair.slice(at + 1));
    const previous = querystring[name];
    if (previous === undefined) querystring[name] = { value };
    else querystring[name] = { value: previous.value, multiValue: [...(previous.multiValue ?? [{ value: previous.value }]), { value }] };
  }
  return {
    version: '1.0',
    context: { ...DISTRIBUTION, eventType: 'viewer-request', requestId: REQUEST_ID },
    viewer: { ip: '203.0.113.178' },
    request: { method: options.method ?? 'GET', uri: options.uri ?? '/index.html', querystring, headers, cookies: {} },
  };
}

/**
 * A Lambda@Edge origin-response event: the request as the origin saw it, and the origin's answer.
 *
 * @example originResponseEvent({ request: { origin: 'https://app.example.com' }, headers: { 'Access-Control-Allow-Origin': '*' } })
 */
export function originResponseEvent(options: ResponseOptions = {}): CloudFrontResponseEvent {
  const code = options.status ?? 200;
  const headers = lambdaHeaders(Object.entries(options.headers ?? {}).map(([name, value]) => [name.toLowerCase(), name, Array.isArray(value) ? value : [value]]));
  return {
    Records: [
      {
        cf: {
          config: { ...DISTRIBUTION, eventType: 'origin-response', requestId: REQUEST_ID },
          request: lambdaRequest(options.request ?? {}),
          response: { status: String(code), statusDescription: code === 200 ? 'OK' : '', headers },
        },
      },
    ],
  };
}
