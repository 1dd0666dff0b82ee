/**
 * The core's answers in the shape the core tests were first written against: one decision object
 * per request, read from a plain request record. The core itself answers with `undefined`, a
 * string or an answer object, and reads headers through a function, so the edge code carries
 * neither; these tests keep their assertions word for word.
 */
import { originResponse, viewerRequest } from '../../functions/core/cors.ts';
import type { CompiledPolicy } from '../../functions/core/policy.ts';

/** A request as the core reads it: every value of each header it may ask for. */
export interface CorsRequest {
  method: string;
  host: string[];
  origin: string[];
  requestMethod: string[];
  requestHeaders: string[];
}

export type ViewerDecision =
  | { action: 'continue' }
  | { action: 'forward'; origin: string }
  | { action: 'respond'; status: 204 | 403; headers: Array<[string, string]> };

function reader(request: CorsRequest): (name: string) => string[] {
  const headers: Record<string, string[]> = {
    host: request.host,
    origin: request.origin,
    'access-control-request-method': request.requestMethod,
    'access-control-request-headers': request.requestHeaders,
  };
  return (name) => headers[name] ?? [];
}

/** `viewerRequest` as a decision object. */
export function decideViewerRequest(policy: CompiledPolicy, request: CorsRequest): ViewerDecision {
  const answer = viewerRequest(policy, request.method, reader(request));
  if (answer === undefined) return { action: 'continue' };
  if (typeof answer === 'string') return { action: 'forward', origin: answer };
  return { action: 'respond', status: answer.answerStatus, headers: Object.entries(answer.answerHeaders) };
}

/** `originResponse` with its headers as a list. */
export function decideOriginResponse(policy: CompiledPolicy, request: CorsRequest, status: number, vary: string[]) {
  const action = originResponse(policy, request.method, reader(request), status, vary);
  return { ...action, headers: Object.entries(action.headers) };
}
