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
import { viewerRequest } from '../core/cors.ts';
import { dropLegacyParameters, headerValues, isReported, written, type Request, type Response } from './event.ts';

/** The entry point; the build makes it the top-level `function handler(event)`. */
export function handler(event: Pick<CloudFrontFunctionsEvent, 'request'>): Request | Response {
  const request = event && event.request;
  try {
    if (CORS_RECORD_EVENTS) console.log(JSON.stringify({ 'cloudfront-cors': 'viewer-request', event: event }));
    if (CORS_CODE.usesLegacyParameters) dropLegacyParameters(request);
    const headers = request.headers;
    if (CORS_CODE.usesReportOnly && CORS_POLICY.reportOnly && isReported(request, (name) => headerValues(headers, name))) return request;
    return written(request, viewerRequest(CORS_POLICY, request.method, (name) => headerValues(headers, name)));
  } catch (error) {
    // SPEC §6: a thrown error is a 5xx for every viewer; the request as received is better.
  }
  return request;
}
