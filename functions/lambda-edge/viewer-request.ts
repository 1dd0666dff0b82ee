/**
 * Lambda@Edge, viewer request (SPEC §4): canonicalizes `Origin` against the policy so the cache
 * keys on one value per allowed origin and one (`null`) for everyone else, and answers preflights
 * at the edge. Runs on nodejs22.x; the policy is inlined by the build.
 */
import type { CloudFrontRequestEvent, CloudFrontRequestResult, Context } from 'aws-lambda';
import {
  STATUS_TEXT,
  preflightHeaders,
  refusalLine,
  refusalReason,
  rulesPreflightHeaders,
  viewerRequest,
  type HeaderFields,
  type HeaderReader,
  type JudgedOrigin,
  type PreflightJudge,
} from '../core/cors.ts';
import type { CompiledPolicy } from '../core/policy.ts';
import { withoutLegacyParameters } from '../core/query.ts';
import { headerValues, setHeader, setHeaders } from './headers.ts';
import { BoundedMemo, judgeOnce } from './memo.ts';

/**
 * Preflight answers, once per container: a page repeats the same preflight for every request it
 * makes, and reading the requested headers is most of an answer's cost. The key holds the canonical
 * origin (no line break), the method's length, the method and the requested headers, so no two
 * different requests share one; which rules hold the origin follows from the origin.
 */
const answers = new BoundedMemo<HeaderFields | null>();
const answerOf: PreflightJudge = CORS_CODE.usesRules ? rulesPreflightHeaders : preflightHeaders;
function preflightAnswer(policy: CompiledPolicy, origin: JudgedOrigin, methods: string[], header: HeaderReader): HeaderFields | null {
  if (methods.length !== 1) return answerOf(policy, origin, methods, header);
  const method = methods[0] as string;
  const key = `${origin.serialized}\n${method.length}\n${method}${header('access-control-request-headers').join(',')}`;
  let headers = answers.get(key);
  if (headers === undefined) {
    headers = answerOf(policy, origin, methods, header);
    answers.set(key, headers);
  }
  return headers;
}

/** The Lambda@Edge entry point (`index.handler`). */
export async function handler(event: CloudFrontRequestEvent, _context?: Context): Promise<CloudFrontRequestResult> {
  const request = event?.Records?.[0]?.cf?.request;
  if (request === undefined) return request; // nothing readable to return as received
  try {
    if (CORS_RECORD_EVENTS) console.log(JSON.stringify({ 'cloudfront-cors': 'viewer-request', event }));
    if (CORS_CODE.usesLegacyParameters && typeof request.querystring === 'string') {
      request.querystring = withoutLegacyParameters(CORS_POLICY, request.querystring);
    }
    const headers = request.headers;
    const header = (name: string) => headerValues(headers, name);
    if (CORS_CODE.usesReportOnly && CORS_POLICY.reportOnly) {
      // Report-only: a request the policy refuses is logged and passes as it would without the policy.
      const reason = refusalReason(CORS_POLICY, request.method, header, judgeOnce);
      if (reason !== null) {
        console.log(refusalLine(header('origin'), reason));
        return request;
      }
    }
    const answer = viewerRequest(CORS_POLICY, request.method, header, judgeOnce, preflightAnswer);
    if (typeof answer === 'string') setHeader(headers, 'Origin', answer);
    else if (answer !== undefined) {
      return {
        status: String(answer.answerStatus),
        statusDescription: STATUS_TEXT[answer.answerStatus],
        headers: setHeaders({}, answer.answerHeaders),
      };
    }
    return request;
  } catch {
    // SPEC §6: a thrown error is a 5xx for every viewer; the request as received is better.
    return request;
  }
}
