/**
 * Recorded events (`npx cloudfront-cors replay`, cli/replay.ts, and the testing helpers). It reads the lines a `--record-events` build logs (with or
 * without CloudWatch's timestamp and request-id prefix), raw event JSON (a Lambda@Edge event, a
 * CloudFront Functions event, or an array of them), and the event objects
 * `aws cloudfront test-function` takes, and runs them through the handlers for their kind.
 * `saveFixture` writes an event as a test fixture, `DIR/<runtime>/<event-type>/<name>.json`, the
 * layout of `test/events/`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { CloudFrontRequestEvent, CloudFrontResponseEvent } from 'aws-lambda';
import type { EdgeHandlers, FunctionRequestEvent } from './handlers.ts';

/** The kinds of event the handlers take, named as `test/events/` folders are. */
export type EventKind = 'lambda-edge/viewer-request' | 'lambda-edge/origin-response' | 'cloudfront-functions/viewer-request';

export interface RecordedEvent {
  kind: EventKind;
  event: unknown;
  /** Where it came from: `FILE` or `FILE:LINE`. */
  source: string;
}

/** A recording that cannot be replayed, with where and why. */
export class ReplayError extends Error {}

/**
 * Finds the events in a file's text: one JSON document (an event, a recorded line's object, or an
 * array of either), or one per line, each line's JSON starting at its first `{`.
 */
export function parseRecorded(text: string, file: string): RecordedEvent[] {
  const whole = tryParse(text.trim());
  if (whole !== undefined) {
    const items = Array.isArray(whole) ? whole : [whole];
    return items.map((item, i) => recordedEvent(item, items.length > 1 ? `${file}[${i}]` : file));
  }
  const events: RecordedEvent[] = [];
  text.split('\n').forEach((line, index) => {
    const start = line.indexOf('{');
    if (start < 0) return; // CloudWatch's START, END and REPORT lines, blank lines
    const value = tryParse(line.slice(start).trim());
    if (value === undefined) throw new ReplayError(`${file}:${index + 1}: not JSON from the first "{" on: ${line.slice(start, start + 60)}…`);
    events.push(recordedEvent(value, `${file}:${index + 1}`));
  });
  if (events.length === 0) throw new ReplayError(`${file}: no event found (expected JSON, or log lines with one JSON object each)`);
  return events;
}

/** Tells which handler an event is for, unwrapping a recorded line's `{"cloudfront-cors": …, "event": …}`. */
export function recordedEvent(value: unknown, source: string): RecordedEvent {
  const object = value as Record<string, unknown> | null;
  const event = object && typeof object === 'object' && 'cloudfront-cors' in object ? object['event'] : value;
  const lambdaType = (event as CloudFrontRequestEvent)?.Records?.[0]?.cf?.config?.eventType;
  if (lambdaType === 'viewer-request' || lambdaType === 'origin-response') return { kind: `lambda-edge/${lambdaType}`, event, source };
  const fn = event as FunctionRequestEvent | undefined;
  if (fn && typeof fn === 'object' && fn.version === '1.0' && fn.request && typeof fn.request === 'object') {
    const type = fn.context?.eventType ?? 'viewer-request'; // test-function event objects may leave context out
    if (type === 'viewer-request') return { kind: 'cloudfront-functions/viewer-request', event, source };
    throw new ReplayError(`${source}: a CloudFront Functions ${type} event; cloudfront-cors runs on viewer-request only`);
  }
  if (lambdaType !== undefined) throw new ReplayError(`${source}: a Lambda@Edge ${lambdaType} event; cloudfront-cors runs on viewer-request and origin-response`);
  throw new ReplayError(`${source}: not a CloudFront event (neither Records[0].cf of Lambda@Edge nor a CloudFront Functions event version 1.0)`);
}

/** Runs one recorded event through the handler for its kind. */
export async function replayEvent(handlers: EdgeHandlers, recordedEvent: RecordedEvent): Promise<unknown> {
  switch (recordedEvent.kind) {
    case 'lambda-edge/viewer-request':
      return handlers.viewerRequestLambda(structuredClone(recordedEvent.event) as CloudFrontRequestEvent);
    case 'lambda-edge/origin-response':
      return handlers.originResponse(structuredClone(recordedEvent.event) as CloudFrontResponseEvent);
    case 'cloudfront-functions/viewer-request':
      return handlers.viewerRequestFunctionAsync(structuredClone(recordedEvent.event) as FunctionRequestEvent);
  }
}

/** Writes a recorded event as a fixture; returns its path. */
export function saveFixture(folder: string, recordedEvent: RecordedEvent, name: string): string {
  const path = join(folder, recordedEvent.kind, `${name}.json`);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(recordedEvent.event, null, 2)}\n`);
  return path;
}

function tryParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
