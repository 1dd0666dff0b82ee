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
import { STATUS_TEXT, readCorsRequest, viewerRequest, type HeaderList } from '../core/cors.ts';
import type { CompiledPolicy } from '../core/policy.ts';

type Headers = CloudFrontFunctionsEvent['request']['headers'];
type Request = CloudFrontFunctionsEvent['request'];
type Response = Omit<CloudFrontFunctionsEvent['response'], 'cookies'>;

/** Returns a CloudFront Functions viewer-request handler for a compiled policy. */
function createViewerRequestHandler(policy: CompiledPolicy) {
  return function viewerRequestHandler(event: Pick<CloudFrontFunctionsEvent, 'request'>): Request | Response {
    const request = event && event.request;
    try {
      if (CORS_RECORD_EVENTS) console.log(JSON.stringify({ 'cloudfront-cors': 'viewer-request', event: event }));
      const headers = request.headers;
      const decision = viewerRequest(policy, readCorsRequest(request.method, (name) => headerValues(headers, name)));
      if (decision.action === 'forward') headers['origin'] = { value: decision.origin };
      if (decision.action !== 'respond') return request;
      return {
        statusCode: decision.status,
        statusDescription: STATUS_TEXT[decision.status],
        headers: toHeaders(decision.headers),
      };
    } catch (error) {
      // SPEC §6: a thrown error is a 5xx for every viewer; the request as received is better.
      return request;
    }
  };
}

/** Every string value of a header: `multiValue` when CloudFront sent several, else `value`. */
function headerValues(headers: Headers, name: string): string[] {
  const header = headers !== null && typeof headers === 'object' ? headers[name] : undefined;
  if (header === null || typeof header !== 'object') return [];
  const values: string[] = [];
  const entries = Array.isArray(header.multiValue) && header.multiValue.length > 0 ? header.multiValue : [header];
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i];
    if (entry !== null && typeof entry === 'object' && typeof entry.value === 'string') values.push(entry.value);
  }
  return values;
}

function toHeaders(list: HeaderList): Headers {
  const headers: Headers = {};
  for (let i = 0; i < list.length; i++) {
    const pair = list[i] as [string, string];
    headers[pair[0].toLowerCase()] = { value: pair[1] };
  }
  return headers;
}

/** The entry point; the build makes it the top-level `function handler(event)`. */
export const handler = createViewerRequestHandler(CORS_POLICY);
