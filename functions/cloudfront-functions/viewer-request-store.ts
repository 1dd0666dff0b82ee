/**
 * CloudFront Function, viewer request, for a policy with `"originStore": "keyvaluestore"` (SPEC §10):
 * the same decisions as `viewer-request.ts`, and an origin the inlined policy does not allow is
 * looked up in the function's KeyValueStore. An origin found there is allowed in the rule its value
 * names, and the function vouches for it to the origin response (which cannot read the store) in
 * the `x-cors-vouch` request header: an HMAC of the canonical origin, the rule, the distribution and
 * the time under the build's store secret (see `VOUCH_HEADER`).
 *
 * Two kinds of request read the store, at most `STORE_MAX_READS` keys each, one `await` after
 * another (AWS advises against `Promise.all` within the function's 2 MB): one the inlined policy
 * refuses, and one from the site's own origin when the policy does not name it (see
 * `isOwnOriginForward`); with several rules, any from an origin no rule names. A read that fails
 * counts as "not there": the origin is refused, never let through unjudged.
 */
import cf from 'cloudfront';
import crypto from 'crypto';
import type { CloudFrontFunctionsEvent } from 'aws-lambda';
import { joinRule, judgeOrigin, viewerRequest, type JudgedOrigin, type ViewerAnswer } from '../core/cors.ts';
import type { Origin } from '../core/origin.ts';
import { VOUCH_HEADER, storeKeys, storedRule, storedRuleName, vouchMessage } from '../core/store.ts';
import { dropLegacyParameters, headerValues, isReported, written, type Request, type Response } from './event.ts';

const kvs = cf.kvs();

/** The entry point; the build makes it the top-level `async function handler(event)`. */
export async function handler(event: Pick<CloudFrontFunctionsEvent, 'request'> & Partial<Pick<CloudFrontFunctionsEvent, 'context'>>): Promise<Request | Response> {
  const request = event && event.request;
  try {
    if (CORS_RECORD_EVENTS) console.log(JSON.stringify({ 'cloudfront-cors': 'viewer-request', event: event }));
    const headers = request.headers;
    // Only this function vouches: whatever a viewer sent under that name is gone before anything else.
    delete headers[VOUCH_HEADER];
    if (CORS_CODE.usesLegacyParameters) dropLegacyParameters(request);
    const header = (name: string) => headerValues(headers, name);
    // Judged once: the engine, the store lookup and report-only all read this one judgement.
    const values = header('origin');
    const origin = values.length === 1 ? judgeOrigin(CORS_POLICY, values[0] as string) : null;
    let answer = viewerRequest(CORS_POLICY, request.method, header, () => origin);
    // An origin the built-in policy does not allow may be in the store: when the policy refused it,
    // and when it went to the origin as the site's own, since that answer is cached under its
    // `Origin` and would otherwise reach the same origin on another host name without CORS headers.
    // With rules, whenever no rule names it: a `"*"` rule may hold it, and the rule a stored origin
    // joins may come first (SPEC §11).
    const unnamed =
      origin !== null &&
      (CORS_CODE.usesRules ? !origin.named : !origin.allowed && (isRefusal(answer) || isOwnOriginForward(answer, origin, values[0] as string)));
    const value = unnamed ? await storedValue(origin as Origin) : null;
    const name = value === null ? null : storedRuleName(CORS_POLICY, value);
    const rule = name === null ? -1 : storedRule(CORS_POLICY, name);
    if (rule >= 0) {
      joinRule(origin as JudgedOrigin, rule);
      answer = viewerRequest(CORS_POLICY, request.method, header, () => origin);
      // Forwarded to the origin (not a preflight answered here): the origin response needs the vouch.
      if (typeof answer === 'string' || answer === undefined) {
        headers[VOUCH_HEADER] = { value: vouchFor(event.context ? event.context.distributionId : '', name as string, (origin as Origin).serialized) };
      }
    }
    // Report-only: judged after the store, so an origin found there is not reported.
    if (CORS_CODE.usesReportOnly && CORS_POLICY.reportOnly && isReported(request, header, () => origin)) return request;
    return written(request, answer);
  } catch (error) {
    // SPEC §6: a thrown error is a 5xx for every viewer; the request as received is better.
  }
  return request;
}

/** Whether the built-in policy refused the request: `Origin: null`, or a preflight answered 403. */
function isRefusal(answer: ViewerAnswer): boolean {
  return answer === 'null' || (typeof answer === 'object' && answer.answerStatus === 403);
}

/**
 * Whether the request goes to the origin with this origin's canonical `Origin` although the
 * policy does not allow it: which the engine does for the site's own origin only (SPEC §4.2).
 */
function isOwnOriginForward(answer: ViewerAnswer, origin: Origin, value: string): boolean {
  return answer === origin.serialized || (answer === undefined && value === origin.serialized);
}

/**
 * What the store holds for an origin, under its own key or the nearest wildcard over it (the rule it
 * joins: see `storedRuleName`), or `null` when the store holds neither.
 */
async function storedValue(origin: Origin): Promise<string | null> {
  const keys = storeKeys(origin);
  for (let i = 0; i < keys.length; i++) {
    try {
      // Awaited on its own, never inside a call's arguments: njs 0.7 crashes on
      // `return f(await g())` within `try` in a loop, and CloudFront's runtime derives from it.
      const value = await kvs.get(keys[i] as string);
      if (typeof value === 'string') return value;
    } catch (error) {
      // Not there (`get` rejects for a missing key), or an unreadable store: which allows nothing.
    }
  }
  return null;
}

/** The vouch for an origin in a rule on this distribution, now (see `VOUCH_HEADER`). */
function vouchFor(distributionId: string, rule: string, origin: string): string {
  const seconds = String(Math.floor(Date.now() / 1000));
  return seconds + '.' + rule + '.' + crypto.createHmac('sha256', CORS_STORE_SECRET).update(vouchMessage(distributionId, seconds, rule, origin)).digest('hex');
}
