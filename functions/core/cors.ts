/**
 * The CORS decisions (SPEC §4 and §5), free of any event shape. Handlers read their event into a
 * {@link CorsRequest}, ask one of the two functions here, and write the answer back.
 *
 * Runs on every request in both runtimes: ES5.1 built-ins only, no regular expressions.
 */
import { authorityOf, canonicalOrigin } from './origin.ts';
import { has, isAllowedHeader, isListedOrigin, type CompiledPolicy } from './policy.ts';
import { asciiLowerCase, trimWhitespace } from './text.ts';

/** Response headers as `[name, value]` pairs, names in their canonical case. */
export type HeaderList = Array<[string, string]>;

/** What a handler reads from a request. Each field lists every value the header had. */
export interface CorsRequest {
  method: string;
  host: string[];
  origin: string[];
  requestMethod: string[];
  requestHeaders: string[];
}

/** What the viewer-request handler does with a request. */
export type ViewerAction =
  | { action: 'continue' }
  | { action: 'forward'; origin: string }
  | { action: 'respond'; status: 204 | 403; headers: HeaderList };

/** What the origin-response handler does to the origin's response. */
export interface OriginResponseAction {
  /** 204 for an allowed preflight the origin refused (SPEC §5.5); `null` keeps the origin's status. */
  status: 204 | null;
  /** CORS headers to add after every CORS header the origin sent is removed. */
  headers: HeaderList;
  /** The single `Vary` value to write, or `null` to leave the origin's `Vary` as it was. */
  vary: string | null;
}

/** The literal `Origin` that every refused request shares (SPEC §4.4). */
export const NULL_ORIGIN = 'null';

/** Status text for the statuses the handlers produce. */
export const STATUS_TEXT: Record<number, string> = { 204: 'No Content', 403: 'Forbidden' };

const PREFLIGHT_VARY = 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers';

/**
 * Decides what the viewer-request handler does (SPEC §4): pass the request on, forward it with a
 * canonical (or `null`) `Origin` so the cache keys on one value per allowed origin, or answer a
 * preflight at the edge.
 *
 * @example viewerRequest(policy, { method: 'GET', host: ['d1.cloudfront.net'],
 *   origin: ['https://evil.example'], requestMethod: [], requestHeaders: [] })
 *   // { action: 'forward', origin: 'null' }
 */
export function viewerRequest(policy: CompiledPolicy, request: CorsRequest): ViewerAction {
  if (request.origin.length === 0) return { action: 'continue' };
  const origin = requestOrigin(policy, request);
  // SPEC §4.2: the site's own pages, forwarded canonical so the cache holds at most two such values
  // (http and https) per host, whatever spellings a client invents.
  const own = sameOrigin(origin, request);
  if (own !== null) return own === request.origin[0] ? { action: 'continue' } : { action: 'forward', origin: own };

  const allowed = isAllowed(policy, origin);
  const preflight = isPreflight(request);
  if (policy.preflightAtEdge && preflight) {
    const headers = allowed ? preflightHeaders(policy, origin as string, request) : null;
    if (headers === null) return { action: 'respond', status: 403, headers: [['Vary', PREFLIGHT_VARY]] };
    headers.push(['Vary', PREFLIGHT_VARY]);
    return { action: 'respond', status: 204, headers };
  }
  // SPEC §4.6: in public mode the answer is `*` whoever asks, so every cross-origin request shares
  // the `null` entry. A preflight the origin answers keeps its origin: origin-response judges it.
  return { action: 'forward', origin: allowed && (!policy.anyOrigin || preflight) ? (origin as string) : NULL_ORIGIN };
}

/**
 * Decides how the origin-response handler rewrites a response (SPEC §5). The request is the one
 * the origin saw, so its `Origin` is already canonical or `null` when the viewer-request handler
 * ran; it is canonicalized again so this handler is safe on its own.
 *
 * @param status the origin's status code
 * @param vary every `Vary` value the origin sent
 */
export function originResponse(
  policy: CompiledPolicy,
  request: CorsRequest,
  status: number,
  vary: string[],
): OriginResponseAction {
  const origin = requestOrigin(policy, request);
  const allowed = isAllowed(policy, origin);

  if (!policy.preflightAtEdge && isPreflight(request)) {
    // SPEC §5.5: the policy, not the origin, decides; an S3 bucket without CORS rules answers 403.
    const headers = allowed ? preflightHeaders(policy, origin as string, request) : null;
    return {
      status: headers !== null && status >= 400 ? 204 : null,
      headers: headers === null ? [] : headers,
      vary: mergeVary(vary, PREFLIGHT_VARY),
    };
  }

  const headers: HeaderList = [];
  if (policy.anyOrigin) {
    // `*` does not depend on the request, so it is safe in a cache entry every viewer shares,
    // including one first filled by a request without `Origin`.
    headers.push(['Access-Control-Allow-Origin', '*']);
  } else if (allowed) {
    headers.push(['Access-Control-Allow-Origin', origin as string]);
    if (policy.allowCredentials) headers.push(['Access-Control-Allow-Credentials', 'true']);
  }
  if (headers.length > 0 && policy.exposeHeaders !== '') {
    headers.push(['Access-Control-Expose-Headers', policy.exposeHeaders]);
  }
  return { status: null, headers, vary: policy.anyOrigin ? null : mergeVary(vary, 'Origin') };
}

/**
 * Returns whether a lower-case response header name is one the origin-response handler owns and
 * removes from whatever the origin sent (SPEC §5.1).
 */
export function isCorsResponseHeader(name: string): boolean {
  return (
    name.indexOf('access-control-allow-') === 0 ||
    name === 'access-control-expose-headers' ||
    name === 'access-control-max-age'
  );
}

/**
 * Merges `Vary` values into one: every token the origin sent, once each in its first spelling,
 * then each of `add` that is missing. `*` anywhere stays `*` alone (RFC 9110 §12.5.5).
 *
 * @example mergeVary(['Accept-Encoding', 'origin'], 'Origin') // 'Accept-Encoding, origin'
 */
export function mergeVary(values: string[], add: string): string {
  const tokens: string[] = [];
  const seen: Record<string, 1> = {};
  const lists = values.concat(add);
  for (let i = 0; i < lists.length; i++) {
    const parts = (lists[i] as string).split(',');
    for (let j = 0; j < parts.length; j++) {
      const token = trimWhitespace(parts[j] as string);
      if (token === '') continue;
      if (token === '*') return '*';
      // The `$` keeps a token such as `__proto__` from meaning anything to the object.
      const key = '$' + asciiLowerCase(token);
      if (has(seen, key)) continue;
      seen[key] = 1;
      tokens.push(token);
    }
  }
  return tokens.join(', ');
}

/**
 * A CORS preflight: `OPTIONS` with `Origin` and `Access-Control-Request-Method`
 * (Fetch standard, "CORS-preflight request").
 */
function isPreflight(request: CorsRequest): boolean {
  return request.method === 'OPTIONS' && request.origin.length > 0 && request.requestMethod.length > 0;
}

/**
 * The headers of an allowed preflight answer, or `null` when the policy refuses the requested
 * method or any requested header. `Vary` is left to the caller.
 */
function preflightHeaders(policy: CompiledPolicy, origin: string, request: CorsRequest): HeaderList | null {
  if (request.requestMethod.length !== 1) return null;
  // Fetch compares methods case-sensitively: browsers upper-case only the six standard methods.
  if (!has(policy.methods, trimWhitespace(request.requestMethod[0] as string))) return null;

  const names: string[] = [];
  const parts = request.requestHeaders.join(',').split(',');
  for (let i = 0; i < parts.length; i++) {
    const part = trimWhitespace(parts[i] as string);
    if (part === '') continue;
    // A token is ASCII, so lower-casing it changes ASCII letters only (SPEC §4.7).
    if (!isToken(part)) return null;
    const name = part.toLowerCase();
    if (!isAllowedHeader(policy, name)) return null;
    names.push(name);
  }

  const headers: HeaderList = [
    ['Access-Control-Allow-Origin', policy.anyOrigin ? '*' : origin],
    ['Access-Control-Allow-Methods', policy.allowMethods],
  ];
  if (names.length > 0) headers.push(['Access-Control-Allow-Headers', names.join(', ')]);
  if (policy.maxAge !== '') headers.push(['Access-Control-Max-Age', policy.maxAge]);
  if (policy.allowCredentials) headers.push(['Access-Control-Allow-Credentials', 'true']);
  return headers;
}

/**
 * Reads a request's CORS fields through a runtime's header reader, so both runtimes read the same
 * headers the same way.
 */
export function readCorsRequest(method: unknown, values: (name: string) => string[]): CorsRequest {
  return {
    method: typeof method === 'string' ? method : '',
    host: values('host'),
    origin: values('origin'),
    requestMethod: values('access-control-request-method'),
    requestHeaders: values('access-control-request-headers'),
  };
}

/**
 * The canonical form of the request's one `Origin`, or `null` when it is malformed or there are
 * several (SPEC §4.4). A value the policy lists exactly is canonical already (the table holds
 * canonical forms only), which is what browsers send: one lookup, no parsing.
 */
function requestOrigin(policy: CompiledPolicy, request: CorsRequest): string | null {
  if (request.origin.length !== 1) return null;
  const value = request.origin[0] as string;
  return has(policy.origins, value) ? value : canonicalOrigin(value);
}

/** Whether the policy allows a canonical origin (public mode allows every well-formed one). */
function isAllowed(policy: CompiledPolicy, origin: string | null): boolean {
  return origin !== null && (policy.anyOrigin || isListedOrigin(policy, origin));
}

/**
 * The canonical `Origin` when it names the distribution itself (SPEC §4.2), else `null`: an `http`
 * or `https` origin on the scheme's default port whose host equals the `Host` header's, compared
 * without ASCII case and without a default port in `Host`. Any other scheme is a cross-origin
 * request like any other, and so is any other port: CloudFront serves viewers on 80 and 443 only,
 * so a page of the site never has one, and each `Host: h:N` a client invents cannot add entries.
 *
 * A fully qualified host is its own site to browsers: `https://app.example.com.` is same-origin
 * only with `Host: app.example.com.`, and never matches a policy entry.
 */
function sameOrigin(origin: string | null, request: CorsRequest): string | null {
  if (request.host.length !== 1) return null;
  // Only a fully qualified host can still be the site's own when the strict parse failed.
  const own = origin !== null ? origin : request.origin.length === 1 ? canonicalOrigin(request.origin[0] as string, true) : null;
  if (own === null) return null;
  const authority = authorityOf(own);
  const scheme = own.slice(0, own.length - authority.length - 3);
  if (scheme !== 'https' && scheme !== 'http') return null;
  if (authority.lastIndexOf(':') > authority.lastIndexOf(']')) return null; // a port that is not the default
  const host = request.host[0] as string;
  if (host === authority) return own; // what browsers send: no parsing
  // Most requests are cross-origin: refuse cheaply a Host whose name, without spaces, tabs and a
  // port, is not even as long as the origin's host. Any other spelling (case, a default port) is
  // read with the origin grammar itself.
  const trimmed = trimWhitespace(host);
  const colon = trimmed.lastIndexOf(':');
  if ((colon > trimmed.lastIndexOf(']') ? colon : trimmed.length) !== authority.length) return null;
  return canonicalOrigin(scheme + '://' + trimmed, true) === own ? own : null;
}

/** An HTTP token (RFC 9110 §5.6.2): the grammar of header names and methods. */
export function isToken(value: string): boolean {
  if (value.length === 0) return false;
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    const alphaNumeric = (code >= 48 && code <= 57) || (code >= 65 && code <= 90) || (code >= 97 && code <= 122);
    if (!alphaNumeric && "!#$%&'*+-.^_`|~".indexOf(value.charAt(i)) < 0) return false;
  }
  return true;
}
