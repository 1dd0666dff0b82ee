/**
 * Reading and writing CloudFront Functions' event (cloudfront-js-2.0): headers are
 * `{ name: { value, multiValue? } }` and a generated response has a numeric `statusCode`
 * (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/functions-event-structure.html).
 * Shared by the function's two entries, with and without a KeyValueStore.
 */
import type { CloudFrontFunctionsEvent } from 'aws-lambda';
import { STATUS_TEXT, type ViewerAnswer } from '../core/cors.ts';
import { isLegacyParameter } from '../core/query.ts';

type Headers = CloudFrontFunctionsEvent['request']['headers'];
export type Request = CloudFrontFunctionsEvent['request'];
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
 * Drops the query parameters `legacyQueryParameters` lists (see `core/query.ts`). CloudFront
 * Functions hands the query string over as an object keyed by decoded name, so each key is
 * compared as it is; the other parameters are left as CloudFront gave them.
 */
export function dropLegacyParameters(request: Request): void {
  const query = request.querystring;
  if (query === null || typeof query !== 'object') return;
  for (const name in query) if (isLegacyParameter(CORS_POLICY, name)) delete query[name];
}
