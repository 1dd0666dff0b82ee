/**
 * Reference handlers for `npm run bench`: the least work a Lambda@Edge handler can do on the
 * recorded events and still write what SPEC §4 and §5 ask for. They trust every value (no
 * grammar, no policy) and are right only for those events. No
 * correct handler can do less, so their ratio over the identity handler is a floor the built
 * handlers are measured against. Never part of a bundle.
 */
import type { CloudFrontHeaders, CloudFrontRequestEvent, CloudFrontResponseEvent } from 'aws-lambda';

type Entry = [name: string, key: string, value: string];

/** What the example policy answers for an allowed origin: the origin, credentials, exposed headers. */
function answerFor(origin: string): Entry[] {
  return [
    ['access-control-allow-origin', 'Access-Control-Allow-Origin', origin],
    ['access-control-allow-credentials', 'Access-Control-Allow-Credentials', 'true'],
    ['access-control-expose-headers', 'Access-Control-Expose-Headers', 'ETag, x-amz-version-id'],
  ];
}

function write(headers: CloudFrontHeaders, entries: Entry[]): void {
  for (let i = 0; i < entries.length; i++) {
    const [name, key, value] = entries[i] as Entry;
    headers[name] = [{ key, value }];
  }
}

function firstValue(headers: CloudFrontHeaders, name: string): string {
  const entries = headers[name];
  return entries !== undefined && entries.length === 1 ? (entries[0] as { value: string }).value : '';
}

const answers = new Map<string, Entry[]>();
const varies = new Map<string, string>();

/** Origin response: copies the headers other than `access-control-*` when there is one, writes the answer and `Vary`. */
export async function leastOriginResponse(event: CloudFrontResponseEvent): Promise<unknown> {
  const cf = event.Records[0]!.cf;
  const response = cf.response;
  let headers = response.headers;
  for (const name in headers) {
    if (name.startsWith('access-control-')) {
      const kept: CloudFrontHeaders = {};
      for (const other in headers) if (!other.startsWith('access-control-')) kept[other] = headers[other]!;
      headers = response.headers = kept;
      break;
    }
  }
  const origin = firstValue(cf.request.headers, 'origin');
  let answer = answers.get(origin);
  if (answer === undefined) answers.set(origin, (answer = origin === '' || origin === 'null' ? [] : answerFor(origin)));
  write(headers, answer);
  const vary = firstValue(headers, 'vary');
  let merged = varies.get(vary);
  if (merged === undefined) varies.set(vary, (merged = vary === '' ? 'Origin' : `${vary}, Origin`));
  headers['vary'] = [{ key: 'Vary', value: merged }];
  return response;
}

const preflights = new Map<string, Entry[]>();
const PREFLIGHT: Entry[] = [
  ['access-control-allow-methods', 'Access-Control-Allow-Methods', 'GET, HEAD, PUT'],
  ['access-control-max-age', 'Access-Control-Max-Age', '600'],
  ['access-control-allow-credentials', 'Access-Control-Allow-Credentials', 'true'],
  ['vary', 'Vary', 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers'],
];

/** Viewer request: rewrites `Origin` from a `Map`, or answers a preflight with the policy's headers. */
export async function leastViewerRequest(event: CloudFrontRequestEvent): Promise<unknown> {
  const request = event.Records[0]!.cf.request;
  const headers = request.headers;
  const origin = firstValue(headers, 'origin');
  if (origin === '') return request;
  if (request.method === 'OPTIONS') {
    const method = firstValue(headers, 'access-control-request-method');
    if (method !== '') {
      const key = `${origin}\n${method}\n${firstValue(headers, 'access-control-request-headers')}`;
      let answer = preflights.get(key);
      if (answer === undefined) {
        answer = [['access-control-allow-origin', 'Access-Control-Allow-Origin', origin], ...PREFLIGHT];
        preflights.set(key, answer);
      }
      const written: CloudFrontHeaders = {};
      write(written, answer);
      return { status: '204', statusDescription: 'No Content', headers: written };
    }
  }
  const canonical = origin.toLowerCase();
  if (canonical !== origin) headers['origin'] = [{ key: 'Origin', value: canonical }];
  return request;
}
