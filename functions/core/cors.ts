/**
 * The CORS decisions (SPEC §4 and §5), free of any event shape. A handler passes a reader of its
 * request's headers, asks one of the two functions here, and writes the answer back in its
 * runtime's shape. Headers are read only when a decision needs them: `Host` for a request whose
 * origin might be the site's own, the preflight headers for a preflight.
 *
 * Runs on every request in both runtimes: ES5.1 built-ins only. Code a policy cannot use sits
 * behind a `CORS_CODE` flag, which the build sets from the policy so the CloudFront Function
 * carries only what its policy needs (see `functions/policy-inline.d.ts`).
 */
import { parseOrigin, type Origin } from './origin.ts';
import { isAllowedHeader, isListedOrigin, ruleAt, type CompiledPolicy, type CompiledRule } from './policy.ts';
import { asciiLowerCase, trimWhitespace } from './text.ts';

/** Returns every value a request header has, in order; `[]` when it has none. Names are lower case. */
export type HeaderReader = (name: string) => string[];

/**
 * Response headers by lower-case name, in the order they are written: the CloudFront Function's
 * shape, and the keys of Lambda@Edge's header map (which also wants each name's usual spelling,
 * see `headerKey`).
 */
export type HeaderFields = Record<string, string>;

/** An origin as {@link judgeOrigin} reads it: canonical, and whether the policy allows it. */
export interface JudgedOrigin extends Origin {
  /** Some rule's origins hold it, `"*"` included. */
  allowed: boolean;
  /** With rules (`CORS_CODE.usesRules`): the positions of the rules whose origins hold it, in order. */
  inRules?: number[];
  /** With rules: a rule names it (not only `"*"`), so it has a cache entry of its own (SPEC §11). */
  named?: boolean;
}

/** Reads an `Origin` value against a policy; the Lambda@Edge handlers pass a memoized one. */
export type OriginJudge = (policy: CompiledPolicy, value: string) => JudgedOrigin | null;

/**
 * Answers an allowed origin's preflight: its answer's headers, or `null` when no rule allows it
 * (see {@link preflightHeaders}, {@link rulesPreflightHeaders}); Lambda@Edge passes a memoized one.
 */
export type PreflightJudge = (policy: CompiledPolicy, origin: JudgedOrigin, methods: string[], header: HeaderReader) => HeaderFields | null;

/** A preflight answered at the edge (SPEC §4.5). */
export interface PreflightAnswer {
  answerStatus: 204 | 403;
  answerHeaders: HeaderFields;
}

/**
 * What the viewer-request handler does: `undefined` passes the request unchanged, a string is the
 * `Origin` to forward, and an answer is sent instead of forwarding.
 */
export type ViewerAnswer = undefined | string | PreflightAnswer;

/** What the origin-response handler does to the origin's response. */
export interface OriginResponseAction {
  /** 204 for an allowed preflight the origin refused (SPEC §5.5); `null` keeps the origin's status. */
  status: 204 | null;
  /** CORS headers to add after every CORS header the origin sent is removed. */
  headers: HeaderFields;
  /** The single `Vary` value to write, or `null` to leave the origin's `Vary` as it was. */
  vary: string | null;
}

/** Status text for the statuses the handlers produce. */
export const STATUS_TEXT: Record<number, string> = { 204: 'No Content', 403: 'Forbidden' };

/**
 * The response headers' names, made once: most start with `access-control-allow-`, which the
 * CloudFront Function then carries once. (Built per request, a key would be a new string to hash
 * each time.)
 */
const ALLOW = 'access-control-allow-';
const ALLOW_ORIGIN = ALLOW + 'origin';
const ALLOW_METHODS = ALLOW + 'methods';
const ALLOW_HEADERS = ALLOW + 'headers';
const ALLOW_CREDENTIALS = ALLOW + 'credentials';

/** What a header that is not read reads as; never written. */
const NO_VALUES: string[] = [];

/** The `Vary` of every preflight answer, whoever gives it. */
export const PREFLIGHT_VARY = 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers';

/** The rules that hold an allowed origin of a one-rule policy; never written. */
const ONE_RULE = [0];

/**
 * Decides what the viewer-request handler does (SPEC §4): pass the request on, forward it with a
 * canonical (or `null`) `Origin` so the cache keys on one value per allowed origin, or answer a
 * preflight at the edge.
 *
 * @param method the request's method, as the event gives it
 * @param judge how `Origin` values are read, {@link judgeOrigin} unless a handler memoizes it
 * @param answer how an allowed origin's preflight is answered, {@link preflightHeaders} unless a
 *        handler memoizes it; the headers it returns may be kept and handed out again
 * @example viewerRequest(policy, 'GET', (name) => (name === 'origin' ? ['https://evil.example'] : []))
 *          // 'null'
 */
export function viewerRequest(
  policy: CompiledPolicy,
  method: unknown,
  header: HeaderReader,
  judge?: OriginJudge,
  answer?: PreflightJudge,
): ViewerAnswer {
  const values = header('origin');
  if (values.length === 0) return undefined;
  const value = values[0] as string;
  const origin = values.length === 1 ? (judge || judgeOrigin)(policy, value) : null;
  // SPEC §4.2: the site's own pages, forwarded canonical so the cache holds at most two such values
  // (http and https) per host, whatever spellings a client invents.
  if (origin !== null && isSameOrigin(origin, header('host'))) return origin.serialized === value ? undefined : origin.serialized;

  const allowed = origin !== null && origin.allowed;
  const methods = method === 'OPTIONS' ? header('access-control-request-method') : NO_VALUES;
  const preflight = methods.length > 0;
  if (CORS_CODE.usesEdgePreflight && policy.preflightAtEdge && preflight) {
    const headers = allowed ? (answer || (CORS_CODE.usesRules ? rulesPreflightHeaders : preflightHeaders))(policy, origin as JudgedOrigin, methods, header) : null;
    if (headers === null) return { answerStatus: 403, answerHeaders: { vary: PREFLIGHT_VARY } };
    headers['vary'] = PREFLIGHT_VARY; // the same value each time, so an answer a memo keeps stays right
    return { answerStatus: 204, answerHeaders: headers };
  }
  // SPEC §4.6: in public mode the answer is `*` whoever asks, so every cross-origin request shares
  // the `null` entry, as every refused request does (§4.4); with rules, so does every origin that
  // only a `"*"` rule holds (§11). A preflight the origin answers keeps its origin: origin-response
  // judges it.
  const forward =
    allowed && (CORS_CODE.usesRules ? (origin as JudgedOrigin).named || preflight : !(CORS_CODE.usesAnyOrigin && policy.anyOrigin) || preflight)
      ? (origin as Origin).serialized
      : 'null';
  return forward === value && values.length === 1 ? undefined : forward; // what browsers send: nothing to write
}

/** Why the policy refuses a request (SPEC §11, `"mode": "report-only"`). */
export type RefusalReason = 'not allowed' | 'malformed' | 'method' | 'header';

/**
 * Why the policy refuses a viewer request, or `null` when it does not: no `Origin`, the site's own,
 * or an origin a rule allows asking for a method and headers that rule allows. `"null"` and a value
 * that is not an origin, or two `Origin` headers, are `malformed` except the literal `null`, which
 * is `not allowed`. The same judgement as {@link viewerRequest} and {@link originResponse}, with
 * the reason kept, for report-only logging.
 */
export function refusalReason(policy: CompiledPolicy, method: unknown, header: HeaderReader, judge?: OriginJudge): RefusalReason | null {
  const values = header('origin');
  if (values.length === 0) return null;
  const origin = values.length === 1 ? (judge || judgeOrigin)(policy, values[0] as string) : null;
  // A `"*"` rule answers a request that is not a preflight whatever its `Origin` (SPEC §4.6).
  const publicRead = isPublicRead(policy, method, header);
  if (origin === null) return publicRead ? null : values.length === 1 && values[0] === 'null' ? 'not allowed' : 'malformed';
  if (isSameOrigin(origin, header('host'))) return null;
  if (!origin.allowed) return publicRead ? null : 'not allowed';
  return requestRefusal(policy, method, header, origin);
}

/** Whether a request that is not a preflight gets `*` whatever its origin: a `"*"` rule allows its method. */
export function isPublicRead(policy: CompiledPolicy, method: unknown, header: HeaderReader): boolean {
  return CORS_CODE.usesAnyOrigin && !isPreflight(method, header) && readingRule(policy, null, method) !== null;
}

/** Whether a request is a CORS preflight: `OPTIONS` with `Access-Control-Request-Method`. */
export function isPreflight(method: unknown, header: HeaderReader): boolean {
  return method === 'OPTIONS' && header('access-control-request-method').length > 0;
}

/**
 * Why the policy refuses a request from an origin some rule holds: no such rule allows its method
 * (the requested one, for a preflight), or, for a preflight, one of its headers; `null` when a
 * rule allows it.
 */
export function requestRefusal(policy: CompiledPolicy, method: unknown, header: HeaderReader, origin: JudgedOrigin): 'method' | 'header' | null {
  const methods = method === 'OPTIONS' ? header('access-control-request-method') : NO_VALUES;
  if (methods.length === 0) return readingRule(policy, origin, method) === null ? 'method' : null;
  const requested = methods.length === 1 ? listItem(methods[0] as string) : null;
  const rules = CORS_CODE.usesRules ? (origin.inRules as number[]) : ONE_RULE;
  let refusal: 'method' | 'header' = 'method';
  for (let i = 0; i < rules.length; i++) {
    const rule = ruleAt(policy, rules[i] as number);
    if (requested === null || rule.methods[requested] !== 1) continue;
    if (preflightHeaders(rule, origin, methods, header) !== null) return null;
    refusal = 'header';
  }
  return refusal;
}

/**
 * The rule that answers a request that is not a preflight (SPEC §11): the first whose origins hold
 * the origin and whose methods hold the method, as S3 picks among its CORS rules. For `origin`
 * `null` (no `Origin`, `null`, or one no rule can name), the first `"*"` rule that does.
 *
 * A policy of one rule answers every method from an origin it holds, as it always has (SPEC §5.2):
 * its `allowMethods` govern preflights, as `Access-Control-Allow-Methods` does in browsers, where
 * `GET`, `HEAD` and `POST` need no preflight. The method chooses only among several rules.
 */
export function readingRule(policy: CompiledPolicy, origin: JudgedOrigin | null, method: unknown): CompiledRule | null {
  if (!CORS_CODE.usesRules) return origin !== null || policy.anyOrigin ? policy : null;
  const rules = origin === null ? null : (origin.inRules as number[]);
  const count = rules !== null ? rules.length : policy.laterRules.length + 1;
  const byMethod = policy.laterRules.length > 0;
  for (let i = 0; i < count; i++) {
    const rule = ruleAt(policy, rules === null ? i : (rules[i] as number));
    if ((rules !== null || rule.anyOrigin) && (!byMethod || rule.methods[method as string] === 1)) return rule;
  }
  return null;
}

/**
 * An allowed origin's preflight answer under rules (SPEC §11): the headers of the first rule whose
 * origins hold the origin and which allows the requested method and every requested header, or
 * `null` when none does.
 */
export function rulesPreflightHeaders(policy: CompiledPolicy, origin: JudgedOrigin, methods: string[], header: HeaderReader): HeaderFields | null {
  const rules = origin.inRules as number[];
  for (let i = 0; i < rules.length; i++) {
    const headers = preflightHeaders(ruleAt(policy, rules[i] as number), origin, methods, header);
    if (headers !== null) return headers;
  }
  return null;
}

/** The line a report-only handler logs for a request the policy refuses: what `npx cloudfront-cors report` reads. */
export function refusalLine(origins: string[], reason: RefusalReason): string {
  return JSON.stringify({ 'cloudfront-cors': 'refused', origin: origins.join(', '), reason: reason });
}

/**
 * Decides how the origin-response handler rewrites a response (SPEC §5). The request is the one
 * the origin saw, so its `Origin` is already canonical or `null` when the viewer-request handler
 * ran; it is read again so this handler is safe on its own.
 *
 * @param status the origin's status code
 * @param vary every `Vary` value the origin sent
 * @param merge how `Vary` values are merged, {@link mergeVary} unless a handler memoizes it
 */
export function originResponse(
  policy: CompiledPolicy,
  method: unknown,
  header: HeaderReader,
  status: number,
  vary: string[],
  judge?: OriginJudge,
  merge?: typeof mergeVary,
): OriginResponseAction {
  const values = header('origin');
  const origin = values.length === 1 ? (judge || judgeOrigin)(policy, values[0] as string) : null;
  const allowed = origin !== null && origin.allowed;
  const mergeInto = merge || mergeVary;

  const methods = method === 'OPTIONS' && values.length > 0 ? header('access-control-request-method') : NO_VALUES;
  if (!policy.preflightAtEdge && methods.length > 0) {
    // SPEC §5.5: the policy, not the origin, decides; an S3 bucket without CORS rules answers 403.
    const headers = allowed ? (CORS_CODE.usesRules ? rulesPreflightHeaders : preflightHeaders)(policy, origin as JudgedOrigin, methods, header) : null;
    return { status: headers !== null && status >= 400 ? 204 : null, headers: headers || {}, vary: mergeInto(vary, PREFLIGHT_VARY) };
  }

  // SPEC §11: the first rule that holds the origin and allows the method (the requested one, for a
  // preflight the viewer request let through) answers; for a request whose origin no rule names
  // (`null` from the viewer request), a `"*"` rule.
  const requested = methods.length === 0 ? method : methods.length === 1 ? listItem(methods[0] as string) : null;
  const rule = readingRule(policy, allowed ? origin : null, requested);
  const headers: HeaderFields = {};
  if (rule !== null) {
    // `*` does not depend on the request, so it is safe in a cache entry every viewer shares,
    // including one first filled by a request without `Origin`.
    headers[ALLOW_ORIGIN] = rule.anyOrigin ? '*' : (origin as Origin).serialized;
    if (rule.allowCredentials) headers[ALLOW_CREDENTIALS] = 'true';
    if (rule.exposeHeaders !== '') headers['access-control-expose-headers'] = rule.exposeHeaders;
  }
  return { status: null, headers, vary: isPublic(policy) ? null : mergeInto(vary, 'Origin') };
}

/** Whether every rule is `"*"`: no answer depends on `Origin`, so none needs `Vary: Origin`. */
function isPublic(policy: CompiledPolicy): boolean {
  if (!CORS_CODE.usesRules) return policy.anyOrigin;
  for (let i = 0; i < policy.laterRules.length; i++) if (!(policy.laterRules[i] as CompiledRule).anyOrigin) return false;
  return policy.anyOrigin;
}

/**
 * Reads an `Origin` value: its canonical form, and whether the policy allows it. A fully qualified
 * host (`https://app.example.com.`) is read, so the same-origin check can compare it with `Host`,
 * but never allowed: it matches no entry, and public mode refuses it as the strict grammar does.
 *
 * @returns `null` when the value is malformed
 */
export function judgeOrigin(policy: CompiledPolicy, value: string): JudgedOrigin | null {
  const origin = parseOrigin(value, true) as JudgedOrigin | null;
  if (origin === null) return null;
  const host = origin.hostName;
  origin.allowed = host.slice(-1) !== '.' && ((CORS_CODE.usesAnyOrigin && policy.anyOrigin) || isListedOrigin(policy, origin));
  if (CORS_CODE.usesRules) judgeRules(policy, origin);
  return origin;
}

/**
 * With rules (SPEC §11): which rules' origins hold an origin, in order, and whether one names it;
 * allowed when any does. A fully qualified host is held by none, `"*"` rules included.
 */
export function judgeRules(policy: CompiledPolicy, origin: JudgedOrigin): void {
  const inRules: number[] = [];
  let named = false;
  if (origin.hostName.slice(-1) !== '.') {
    for (let i = 0; i <= policy.laterRules.length; i++) {
      const rule = ruleAt(policy, i);
      const any = CORS_CODE.usesAnyOrigin && rule.anyOrigin;
      if (any || isListedOrigin(rule, origin)) {
        inRules.push(i);
        if (!any) named = true;
      }
    }
  }
  origin.inRules = inRules;
  origin.named = named;
  origin.allowed = inRules.length > 0;
}

/**
 * An origin found in the store (SPEC §10), allowed in the rule its value names: that rule joins the
 * rules that hold it, in order (SPEC §11). Without rules, the policy's one rule. Writes new
 * values, so a judgement a memo keeps is never changed.
 */
export function joinRule(origin: JudgedOrigin, rule: number): void {
  origin.allowed = true;
  if (CORS_CODE.usesRules) {
    origin.inRules = (origin.inRules as number[]).concat(rule).sort((a, b) => a - b);
    origin.named = true;
  }
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
 * then each of `add` that is missing. `*` anywhere stays `*` alone (RFC 9110 §12.5.5). Merging
 * `values.join(',')` gives the same answer as merging `values`, which lets a handler memoize it.
 *
 * @example mergeVary(['Accept-Encoding', 'origin'], 'Origin') // 'Accept-Encoding, origin'
 */
export function mergeVary(values: string[], add: string): string {
  const tokens: string[] = [];
  const seen: Record<string, 1> = {};
  const parts = values.concat(add).join(',').split(',');
  for (let i = 0; i < parts.length; i++) {
    const token = trimWhitespace(parts[i] as string);
    if (token === '') continue;
    if (token === '*') return '*';
    // The `$` keeps a token such as `__proto__` from meaning anything to the object.
    const key = '$' + asciiLowerCase(token);
    if (seen[key] === 1) continue;
    seen[key] = 1;
    tokens.push(token);
  }
  return tokens.join(', ');
}

/**
 * One item of a header's comma-separated list: an HTTP token (RFC 9110 §5.6.2, the grammar of
 * header names and methods) or nothing, between optional spaces and tabs (OWS, RFC 9110 §5.6.3).
 * Group 1 is the token. No two parts can match the same character, so the match is linear
 * (checked by `recheck` in test/e2e/policy-fuzz.test.ts).
 */
const LIST_ITEM = /^[ \t]*(?:([-!#$%&'*+.^`|~\w]+)[ \t]*)?$/;

/** A `Host` value between optional spaces and tabs; group 1 is the value. */
const HOST_VALUE = /^[ \t]*(?:([^ \t]+)[ \t]*)?$/;

/**
 * Returns the token in one item of a list header, `""` for an empty item, or `null` when the item
 * is not a token. njs lets `$` match before a final line break, as PCRE does, so the match must
 * cover the whole value.
 */
function listItem(value: string): string | null {
  const match = LIST_ITEM.exec(value);
  return match !== null && (match[0] as string).length === value.length ? match[1] || '' : null;
}

/** Returns whether a value is an HTTP token (RFC 9110 §5.6.2). */
export function isToken(value: string): boolean {
  return value !== '' && listItem(value) === value;
}

/**
 * The headers of a preflight answer under one rule, or `null` when the rule refuses the requested
 * method or any requested header. `Vary` is left to the caller.
 *
 * @param methods every `Access-Control-Request-Method` value, as the caller has read them
 */
export function preflightHeaders(policy: CompiledRule, origin: Origin, methods: string[], header: HeaderReader): HeaderFields | null {
  const method = methods.length === 1 ? listItem(methods[0] as string) : null;
  // Fetch compares methods case-sensitively: browsers upper-case only the six standard methods.
  if (method === null || policy.methods[method] !== 1) return null;

  const names: string[] = [];
  const items = header('access-control-request-headers').join(',').split(',');
  for (let i = 0; i < items.length; i++) {
    const item = listItem(items[i] as string);
    if (item === null) return null;
    // A token is ASCII, so lower-casing it changes ASCII letters only (SPEC §4.7).
    const name = item.toLowerCase();
    if (name === '') continue;
    if (!isAllowedHeader(policy, name)) return null;
    names.push(name);
  }

  const headers: HeaderFields = {};
  headers[ALLOW_ORIGIN] = CORS_CODE.usesAnyOrigin && policy.anyOrigin ? '*' : origin.serialized;
  headers[ALLOW_METHODS] = policy.allowMethods;
  if (names.length > 0) headers[ALLOW_HEADERS] = names.join(', ');
  if (CORS_CODE.usesMaxAge && policy.maxAge !== '') headers['access-control-max-age'] = policy.maxAge;
  if (CORS_CODE.usesCredentials && policy.allowCredentials) headers[ALLOW_CREDENTIALS] = 'true';
  return headers;
}

/**
 * Whether an `Origin` names the distribution itself (SPEC §4.2): an `http` or `https` origin on the
 * scheme's default port whose host equals the one `Host` header's, compared without ASCII case and
 * without a default port in `Host`. Any other scheme is a cross-origin request like any other, and
 * so is any other port: CloudFront serves viewers on 80 and 443 only, so a page of the site never
 * has one, and each `Host: h:N` a client invents cannot add entries.
 *
 * A fully qualified host is its own site to browsers: `https://app.example.com.` is same-origin
 * only with `Host: app.example.com.`.
 */
function isSameOrigin(origin: Origin, hosts: string[]): boolean {
  const key = origin.schemeAndPort;
  if (hosts.length !== 1 || (key !== 'https:' && key !== 'http:')) return false;
  const host = hosts[0] as string;
  if (host === origin.hostName) return true; // what browsers send: no parsing
  // Most requests are cross-origin: a Host that does not even hold the origin's host, in any case,
  // is refused cheaply. (`toLowerCase` may turn a non-ASCII letter into an ASCII one here; the
  // strict reading below is what decides.)
  if (host.length > 320 || host.toLowerCase().indexOf(origin.hostName) < 0) return false;
  // As in `listItem`, the match must cover the whole value: njs lets `$` match before a final line break.
  const value = HOST_VALUE.exec(host);
  const own = value !== null && value[1] && (value[0] as string).length === host.length ? parseOrigin(key.slice(0, -1) + '://' + value[1], true) : null;
  return own !== null && own.serialized === origin.serialized;
}
