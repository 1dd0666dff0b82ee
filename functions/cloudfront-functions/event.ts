/**
 * Reading and writing CloudFront Functions' event (cloudfront-js-2.0): headers are
 * `{ name: { value, multiValue? } }` and a generated response has a numeric `statusCode`
 * (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/functions-event-structure.html).
 * Shared by the function's two entries, with and without a KeyValueStore.
 */
import type { CloudFrontFunctionsEvent } from 'aws-lambda';
import { STATUS_TEXT, refusalLine, refusalReason, type HeaderReader, type OriginJudge, type ViewerAnswer } from '../core/cors.ts';
import { withoutLegacyParameters } from '../core/query.ts';

type Headers = CloudFrontFunctionsEvent['request']['headers'];
/** The request, with the method cloudfront-js-2.0 adds (absent from recorded events). */
export type Request = CloudFrontFunctionsEvent['request'] & { rawQueryString?: () => string | undefined };
export type Response = Omit<CloudFrontFunctionsEvent['response'], 'cookies'>;

/** Writes the core's answer in CloudFront Functions' shapes: the request, `Origin` rewritten, or a response. */
export function written(request: Request, answer: ViewerAnswer): Request | Response {
  if (typeof answer === 'string') request.headers['origin'] = { value: answer };
  else if (answer !== undefined) {
    const fields: Headers = {};
    for (const name in answer.answerHeaders) fields[name] = { value: answer.answerHeaders[name] as string };
    return { statusCode: answer.answerStatus, statusDescription: STATUS_TEXT[answer.answerStatus], headers: fields };
  }
  return request;
}

/**
 * Every string value of a header: `multiValue` when CloudFront sent it, else `value`; an entry
 * without a string value is skipped, as Lambda@Edge's reader does. Headers that are not an object
 * throw, and the handler then returns the request as received (SPEC §6).
 */
export function headerValues(headers: Headers, name: string): string[] {
  const header = headers[name];
  const values: string[] = [];
  if (header) {
    const entries = header.multiValue && header.multiValue.length ? header.multiValue : [header];
    for (let i = 0; i < entries.length; i++) if (entries[i] && typeof entries[i]!.value === 'string') values.push(entries[i]!.value);
  }
  return values;
}

/**
 * Drops the query parameters `legacyQueryParameters` lists, as the Lambda@Edge function does, from
 * the raw query string (cloudfront-js-2.0's `request.rawQueryString()`), so both flavours decode
 * names alike and keep the rest byte for byte, in order. When a parameter goes, the rest is
 * written back as a string, which CloudFront takes in place of the query string object.
 */
export function dropLegacyParameters(request: Request): void {
  const raw = typeof request.rawQueryString === 'function' ? request.rawQueryString() : undefined;
  if (typeof raw !== 'string') return;
  const kept = withoutLegacyParameters(CORS_POLICY, raw);
  if (kept !== raw) (request as { querystring: unknown }).querystring = kept;
}

/**
 * Under `"mode": "report-only"`: whether the policy refuses the request, in which case it is
 * logged as one line for `npx cloudfront-cors report` and passes as it would without the policy.
 */
export function isReported(request: Request, header: HeaderReader, judge?: OriginJudge): boolean {
  const reason = refusalReason(CORS_POLICY, request.method, header, judge);
  if (reason === null) return false;
  console.log(refusalLine(header('origin'), reason));
  return true;
}
