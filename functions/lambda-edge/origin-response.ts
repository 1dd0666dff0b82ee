/**
 * Lambda@Edge, origin response (SPEC §5): the policy is the only source of CORS headers. Removes
 * every CORS header the origin sent, writes the policy's, and leaves one `Vary` that lists `Origin`.
 * Runs only on cache misses, for every status, so what it writes is what the cache stores.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { CloudFrontHeaders, CloudFrontResponseEvent, CloudFrontResponseResult, Context } from 'aws-lambda';
import { PREFLIGHT_VARY, STATUS_TEXT, isCorsResponseHeader, isPublicRead, joinRule, mergeVary, originResponse, requestRefusal, type HeaderReader, type OriginJudge } from '../core/cors.ts';
import { VOUCH_HEADER, VOUCH_LIFETIME_SECONDS, storedRule, vouchMessage } from '../core/store.ts';
import { asciiLowerCase } from '../core/text.ts';
import { headerValues, setHeader, setHeaders } from './headers.ts';
import { judgeOnce, memoize } from './memo.ts';

/** What the origin's `Vary` values mean, remembered per container (see `memo.ts`). */
const varyWithOrigin = memoize((joined) => mergeVary([joined], 'Origin'));
const varyOfPreflight = memoize((joined) => mergeVary([joined], PREFLIGHT_VARY));
const merge = (values: string[], add: string) => (add === PREFLIGHT_VARY ? varyOfPreflight : varyWithOrigin)(values.join(','));

/** The Lambda@Edge entry point (`index.handler`). */
export async function handler(event: CloudFrontResponseEvent, _context?: Context): Promise<CloudFrontResponseResult> {
  const cf = event?.Records?.[0]?.cf;
  if (cf === undefined || cf === null) return undefined; // nothing readable to return as received
  const response = cf.response;
  try {
    if (CORS_RECORD_EVENTS) console.log(JSON.stringify({ 'cloudfront-cors': 'origin-response', event }));
    const requestHeaders = cf.request.headers;
    const header = (name: string) => headerValues(requestHeaders, name);
    const judge = CORS_CODE.usesStore ? vouchedJudge(requestHeaders, cf.config ? cf.config.distributionId : '') : judgeOnce;
    // Report-only: what the policy refuses keeps the origin's own answer, CORS headers and all.
    if (CORS_CODE.usesReportOnly && CORS_POLICY.reportOnly && isRefused(cf.request.method, header, judge)) return response;
    const vary = headerValues(response.headers, 'vary');
    const headers = removeCorsHeaders(response);
    const action = originResponse(CORS_POLICY, cf.request.method, header, Number(response.status), vary, judge, merge);
    if (action.vary !== null) setHeader(headers, 'Vary', action.vary);
    setHeaders(headers, action.headers);
    if (action.status !== null) {
      // An allowed preflight the origin refused: the origin's error body, and the headers that
      // describe it, do not belong to a 204 (a stale Content-Length would break the framing).
      response.status = String(action.status);
      response.statusDescription = STATUS_TEXT[action.status] as string;
      (response as { body?: string }).body = '';
      delete headers['content-length'];
      delete headers['content-type'];
    }
    return response;
  } catch {
    // SPEC §6: never a 5xx of our making; never the origin's CORS headers either.
    try {
      removeCorsHeaders(response);
    } catch {
      // Nothing readable to clean: the response goes back as it came.
    }
    return response;
  }
}

/**
 * Under report-only, whether the policy refuses the request the origin answered: an `Origin` no
 * rule holds (or not an origin) in a request no `"*"` rule answers, a method no rule holding it
 * allows, or a preflight it refuses, which reached the origin only because report-only let it pass
 * (or under `"preflight": "origin"`). In public mode every cross-origin request arrives as
 * `Origin: null` and gets `*` when its method is allowed. (The site's own origin reaches the origin
 * as itself and is not allowed by name: it keeps the origin's answer too, as it would without the
 * policy.)
 */
function isRefused(method: unknown, header: HeaderReader, judge: OriginJudge): boolean {
  const values = header('origin');
  if (values.length === 0) return false;
  const origin = values.length === 1 ? judge(CORS_POLICY, values[0] as string) : null;
  if (origin === null || !origin.allowed) return !isPublicRead(CORS_POLICY, method, header);
  return requestRefusal(CORS_POLICY, method, header, origin) !== null;
}

/**
 * With a KeyValueStore (SPEC §10): judges `Origin` by the inlined policy, and allows an origin it
 * refuses only when the CloudFront Function vouched for it on this request, which it does for an
 * origin it found in the store. No vouch, or a wrong one (the function missing from the behavior,
 * a viewer sending the header itself), allows nothing beyond the inlined policy: it fails closed.
 */
function vouchedJudge(requestHeaders: CloudFrontHeaders, distributionId: string): OriginJudge {
  return (policy, value) => {
    const origin = judgeOnce(policy, value);
    // Without rules an allowed origin is the policy's own; with rules, a stored origin may join a
    // rule although a `"*"` rule holds it already.
    if (origin === null || (CORS_CODE.usesRules ? origin.named : origin.allowed)) return origin;
    const vouches = headerValues(requestHeaders, VOUCH_HEADER);
    const rule = vouches.length === 1 ? vouchedRule(vouches[0] as string, distributionId, origin.serialized, Date.now()) : -1;
    if (rule < 0) return origin;
    // A copy: the judgement kept in the memo is the policy's, for every request.
    const vouched = { ...origin };
    joinRule(vouched, rule);
    return vouched;
  };
}

/**
 * The position of the rule `vouch` says the origin joins, when it is the CloudFront Function's
 * vouch for this origin on this distribution, made within `VOUCH_LIFETIME_SECONDS` of `now` (see
 * `VOUCH_HEADER`); -1 otherwise. Compared in constant time. The rule is named as the store names
 * it, and found by that name in this build's policy, as the function found it in its own.
 */
function vouchedRule(vouch: string, distributionId: string, origin: string, now: number): number {
  const match = /^([0-9]{1,12})\.([A-Za-z0-9._-]{1,64})\.[0-9a-f]{64}$/.exec(vouch);
  if (match === null) return -1;
  const seconds = match[1] as string;
  const rule = match[2] as string;
  const age = Math.floor(now / 1000) - Number(seconds);
  if (age > VOUCH_LIFETIME_SECONDS || age < -VOUCH_LIFETIME_SECONDS) return -1;
  const mac = createHmac('sha256', CORS_STORE_SECRET).update(vouchMessage(distributionId, seconds, rule, origin)).digest('hex');
  const expected = Buffer.from(`${seconds}.${rule}.${mac}`);
  const given = Buffer.from(vouch);
  return given.length === expected.length && timingSafeEqual(given, expected) ? storedRule(CORS_POLICY, rule) : -1;
}

/**
 * Removes the headers the origin-response handler owns (SPEC §5.1) from the response and returns
 * its header map. Every other header stays exactly as the origin sent it, in order, whatever its
 * name. Most origins send no CORS header (S3 without CORS rules), and then the map is returned
 * untouched; otherwise the others are copied into a new map, which V8 reads and writes several
 * times faster than one that `delete` has turned into a dictionary.
 */
function removeCorsHeaders(response: { headers: CloudFrontHeaders }): CloudFrontHeaders {
  const headers: unknown = response.headers;
  if (headers === null || typeof headers !== 'object') return (response.headers = {});
  const map = headers as CloudFrontHeaders;
  let found = false;
  for (const name in map) {
    if (isOwnedHeader(map, name)) {
      found = true;
      break;
    }
  }
  if (!found) return map;
  const kept: CloudFrontHeaders = {};
  for (const name in map) {
    if (!Object.prototype.hasOwnProperty.call(map, name) || isOwnedHeader(map, name)) continue;
    // An own `__proto__` header (JSON.parse makes one) must stay a header, not become a prototype.
    if (name === '__proto__') Object.defineProperty(kept, name, { value: map[name], writable: true, enumerable: true, configurable: true });
    else kept[name] = map[name] as CloudFrontHeaders[string];
  }
  return (response.headers = kept);
}

/** Whether `name` is an own header of `map` that SPEC §5.1 removes, whatever its case. */
function isOwnedHeader(map: CloudFrontHeaders, name: string): boolean {
  // Every such name starts with `access-control-`: most are refused on their first letter.
  const first = name.charCodeAt(0);
  return (first === 97 || first === 65) && Object.prototype.hasOwnProperty.call(map, name) && isCorsResponseHeader(asciiLowerCase(name));
}
