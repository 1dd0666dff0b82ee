/**
 * Recorded CloudFront events, loaded by runtime, event type and scenario from
 * `test/events/<runtime>/<event-type>/<scenario>.json`. Every call returns a fresh copy, so a test
 * may change what it gets without touching another test's event.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { CloudFrontRequestEvent, CloudFrontResponseEvent } from 'aws-lambda';

const EVENTS = join(import.meta.dirname, '..', 'events');

import type { FunctionRequestEvent } from '../../dev/handlers.ts';

export type { FunctionRequestEvent };

interface EventTypes {
  'lambda-edge/viewer-request': CloudFrontRequestEvent;
  'lambda-edge/origin-response': CloudFrontResponseEvent;
  'cloudfront-functions/viewer-request': FunctionRequestEvent;
}
export type EventKind = keyof EventTypes;

const parsed = new Map<string, unknown>();

/** Loads one recorded event, e.g. `loadEvent('lambda-edge/viewer-request', 'allowed-origin')`. */
export function loadEvent<K extends EventKind>(kind: K, scenario: string): EventTypes[K] {
  const path = join(EVENTS, kind, `${scenario}.json`);
  if (!parsed.has(path)) parsed.set(path, JSON.parse(readFileSync(path, 'utf8')));
  return structuredClone(parsed.get(path)) as EventTypes[K];
}

/** The scenario names recorded for one kind of event. */
export function scenarios(kind: EventKind): string[] {
  return readdirSync(join(EVENTS, kind))
    .filter((file) => file.endsWith('.json'))
    .map((file) => file.slice(0, -'.json'.length))
    .sort();
}

/** Request headers as a test writes them: one value, or several for a repeated header. */
export type HeaderSpec = Record<string, string | string[]>;

/**
 * The same viewer request in both runtimes' shapes, built on the `no-origin` recording: the
 * recorded host, user agent and accept headers, plus `headers`.
 */
export function viewerRequestEvents(method: string, headers: HeaderSpec) {
  const lambda = loadEvent('lambda-edge/viewer-request', 'no-origin');
  const fn = loadEvent('cloudfront-functions/viewer-request', 'no-origin');
  const lambdaRequest = lambda.Records[0]!.cf.request as { method: string; headers: CloudFrontRequestEvent['Records'][0]['cf']['request']['headers'] };
  lambdaRequest.method = method;
  fn.request.method = method;
  for (const [name, spec] of Object.entries(headers)) {
    const values = Array.isArray(spec) ? spec : [spec];
    const key = name.toLowerCase();
    lambdaRequest.headers[key] = values.map((value) => ({ key: name, value }));
    fn.request.headers[key] =
      values.length === 1 ? { value: values[0]! } : { value: values[0]!, multiValue: values.map((value) => ({ value })) };
  }
  return { lambda, fn };
}

/** An origin-response event built on a recording, with the request's headers and method replaced. */
export function originResponseEvent(
  scenario: string,
  request: { method?: string; headers?: HeaderSpec },
): CloudFrontResponseEvent {
  const event = loadEvent('lambda-edge/origin-response', scenario);
  const cf = event.Records[0]!.cf as unknown as { request: { method: string; headers: Record<string, Array<{ key: string; value: string }>> } };
  if (request.method !== undefined) cf.request.method = request.method;
  for (const [name, spec] of Object.entries(request.headers ?? {})) {
    cf.request.headers[name.toLowerCase()] = (Array.isArray(spec) ? spec : [spec]).map((value) => ({ key: name, value }));
  }
  return event;
}
