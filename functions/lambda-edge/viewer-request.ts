/**
 * Lambda@Edge, viewer request (SPEC §4): canonicalizes `Origin` against the policy so the cache
 * keys on one value per allowed origin and one (`null`) for everyone else, and answers preflights
 * at the edge. Runs on nodejs22.x; the policy is inlined by the build.
 */
import type { CloudFrontRequestEvent, CloudFrontRequestResult, Context } from 'aws-lambda';
import { STATUS_TEXT, viewerRequest } from '../core/cors.ts';
import type { CompiledPolicy } from '../core/policy.ts';
import { corsRequest, setHeader, toHeaders } from './headers.ts';

/** Returns a viewer-request handler for a compiled policy. */
export function createViewerRequestHandler(policy: CompiledPolicy) {
  return async function viewerRequestHandler(event: CloudFrontRequestEvent, _context?: Context): Promise<CloudFrontRequestResult> {
    const request = event?.Records?.[0]?.cf?.request;
    if (request === undefined) return request; // nothing readable to return as received
    try {
      if (CORS_RECORD_EVENTS) console.log(JSON.stringify({ 'cloudfront-cors': 'viewer-request', event }));
      const decision = viewerRequest(policy, corsRequest(request));
      if (decision.action === 'forward') setHeader(request.headers, 'Origin', decision.origin);
      if (decision.action !== 'respond') return request;
      return {
        status: String(decision.status),
        statusDescription: STATUS_TEXT[decision.status],
        headers: toHeaders(decision.headers),
      };
    } catch {
      // SPEC §6: a thrown error is a 5xx for every viewer; the request as received is better.
      return request;
    }
  };
}

/** The Lambda@Edge entry point (`index.handler`). */
export const handler = createViewerRequestHandler(CORS_POLICY);
