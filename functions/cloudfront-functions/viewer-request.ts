/**
 * CloudFront Function, viewer request (SPEC §4), for cloudfront-js-2.0. Same decisions as the
 * Lambda@Edge viewer request, in CloudFront Functions' event shape: headers are
 * `{ name: { value, multiValue? } }` and a generated response has a numeric `statusCode`
 * (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/functions-event-structure.html).
 *
 * The build turns the exported `handler`, the module's only export, into the top-level
 * `function handler(event)` CloudFront calls. Syntax stays within ES5.1 plus what the runtime adds; esbuild lowers or refuses the rest.
 */
import type { CloudFrontFunctionsEvent } from 'aws-lambda';
import { STATUS_TEXT, viewerRequest } from '../core/cors.ts';

type Headers = CloudFrontFunctionsEvent['request']['headers'];
type Request = CloudFrontFunctionsEvent['request'];
type Response = Omit<CloudFrontFunctionsEvent['response'], 'cookies'>;

/** The entry point; the build makes it the top-level `function handler(event)`. */
export function handler(event: Pick<CloudFrontFunctionsEvent, 'request'>): Request | Response {
  const request = event && event.request;
  try {
    if (CORS_RECORD_EVENTS) console.log(JSON.stringify({ 'cloudfront-cors': 'viewer-request', event: event }));
    const headers = request.headers;
    const answer = viewerRequest(CORS_POLICY, request.method, (name) => headerValues(headers, name));
    if (typeof answer === 'string') headers['origin'] = { value: answer };
    else if (answer !== undefined) {
      const fields: Headers = {};
      for (const name in answer.answerHeaders) fields[name] = { value: answer.answerHeaders[name] as string };
      return { statusCode: answer.answerStatus, statusDescription: STATUS_TEXT[answer.answerStatus], headers: fields };
    }
  } catch (error) {
    // SPEC §6: a thrown error is a 5xx for every viewer; the request as received is better.
  }
  return request;
}

/**
 * Every string value of a header: `multiValue` when CloudFront sent it, else `value`; an entry
 * without a string value is skipped, as Lambda@Edge's reader does. Headers that are not an object
 * throw, and the handler then returns the request as received (SPEC §6).
 */
function headerValues(headers: Headers, name: string): string[] {
  const header = headers[name];
  const values: string[] = [];
  if (header) {
    const entries = header.multiValue && header.multiValue.length ? header.multiValue : [header];
    for (let i = 0; i < entries.length; i++) if (entries[i] && typeof entries[i]!.value === 'string') values.push(entries[i]!.value);
  }
  return values;
}
