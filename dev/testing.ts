/**
 * Helpers for testing a policy with events CloudFront really sent, in this repository's suite or
 * your own: build the handlers from a policy, load a recorded event, run it, read a header from
 * whatever came back. `import { … } from 'cloudfront-cors/testing'` (the package's `exports`).
 *
 * @example
 * const handlers = await buildHandlers('cors.config.json');
 * const answer = await runEvent(handlers, loadEvent('test/events/lambda-edge/viewer-request/from-prod.json'));
 * expect(header(answer, 'origin')).toBe('https://app.example.com');
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build } from '../build/build.ts';
import { loadHandlers, type EdgeHandlers } from './handlers.ts';
import { parseRecorded, replayEvent, type RecordedEvent } from './replay.ts';

export type { EdgeHandlers, RecordedEvent };

/** Builds a policy file into a scratch folder and loads the three handlers as CloudFront runs them. */
export async function buildHandlers(config = 'cors.config.json'): Promise<EdgeHandlers> {
  const dist = join(mkdtempSync(join(tmpdir(), 'cloudfront-cors-testing-')), 'dist');
  await build({ config: resolve(config), outDir: dist });
  return loadHandlers(dist);
}

/** Loads the one event in a fixture or recording file, and what kind of event it is. */
export function loadEvent(path: string): RecordedEvent {
  const events = parseRecorded(readFileSync(path, 'utf8'), path);
  if (events.length !== 1) throw new Error(`${path} holds ${events.length} events; loadEvent takes a file with one`);
  return events[0] as RecordedEvent;
}

/** Runs an event through the handler for its kind; returns what the handler returned. */
export function runEvent(handlers: EdgeHandlers, event: RecordedEvent): Promise<unknown> {
  return replayEvent(handlers, event);
}

/**
 * One header's value from anything a handler returns: a Lambda@Edge request or response
 * (`{ name: [{ key, value }] }`) or a CloudFront Functions one (`{ name: { value } }`). Several
 * values are joined with ", "; `undefined` when absent.
 */
export function header(result: unknown, name: string): string | undefined {
  const headers = (result as { headers?: Record<string, unknown> } | null)?.headers;
  const entry = headers?.[name.toLowerCase()];
  if (Array.isArray(entry)) return entry.map((e: { value: string }) => e.value).join(', ');
  if (entry && typeof entry === 'object') {
    const { value, multiValue } = entry as { value: string; multiValue?: Array<{ value: string }> };
    return multiValue ? multiValue.map((v) => v.value).join(', ') : value;
  }
  return undefined;
}

/** The status of a response a handler returned (`status` or `statusCode`), or `undefined` for a request. */
export function status(result: unknown): number | undefined {
  const answer = result as { status?: string; statusCode?: number } | null;
  if (answer?.statusCode !== undefined) return answer.statusCode;
  return answer?.status !== undefined ? Number(answer.status) : undefined;
}
