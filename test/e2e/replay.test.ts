/**
 * Recording and replay: a `--record-events` build logs each event as one JSON line; `replay` runs
 * such lines, raw events and `aws cloudfront test-function` event objects through the built
 * handlers; `--save` turns one into a fixture that a test can load with the exported helpers.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { ROOT, build } from '../../build/build.ts';
import { loadHandlers, type EdgeHandlers } from '../../dev/handlers.ts';
import { main } from '../../cli/main.ts';
import { parseRecorded } from '../../dev/replay.ts';
import { buildHandlers, header, loadEvent, runEvent, status } from 'cloudfront-cors/testing';
import { loadEvent as loadFixture } from '../support/events.ts';

const EXAMPLE = join(ROOT, 'test', 'policies', 'example.json');
const LOG = join(ROOT, 'test', 'recorded', 'lambda-edge-viewer-request.log');
const TEST_FUNCTION_EVENT = join(ROOT, 'test', 'recorded', 'test-function-event.json');

async function buildInto(recordEvents: boolean): Promise<{ dist: string; handlers: EdgeHandlers }> {
  const dist = join(mkdtempSync(join(tmpdir(), 'cloudfront-cors-recording-')), 'dist');
  await build({ config: EXAMPLE, outDir: dist, recordEvents });
  return { dist, handlers: await loadHandlers(dist) };
}

async function runReplay(...argv: string[]) {
  const lines: string[] = [];
  const code = await main(['replay', ...argv], { out: (line) => lines.push(line), err: (line) => console.error(line) });
  return { code, out: lines.join('\n') };
}

afterEach(() => vi.restoreAllMocks());

describe('npm run build -- --record-events', () => {
  let recording: EdgeHandlers;
  beforeAll(async () => {
    recording = (await buildInto(true)).handlers;
  });

  it.each([
    ['the Lambda@Edge viewer request', 'lambda-edge/viewer-request', 'allowed-origin'],
    ['the origin response', 'lambda-edge/origin-response', 's3-reflects-allowed-origin'],
    ['the CloudFront Function', 'cloudfront-functions/viewer-request', 'preflight-allowed'],
  ] as const)('makes %s log each event as one JSON line that replay reads back', async (_, kind, scenario) => {
    // Prepare
    const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    const event = loadFixture(kind, scenario);
    // Act
    if (kind === 'lambda-edge/viewer-request') await recording.viewerRequestLambda(structuredClone(event) as never);
    if (kind === 'lambda-edge/origin-response') await recording.originResponse(structuredClone(event) as never);
    if (kind === 'cloudfront-functions/viewer-request') recording.viewerRequestFunction(structuredClone(event) as never);
    // Assess
    expect(log).toHaveBeenCalledTimes(1);
    const line = String(log.mock.calls[0]![0]);
    expect(line).not.toContain('\n');
    expect(parseRecorded(`2026-11-23T11:58:03.412Z\tc0ffee\tINFO\t${line}`, 'log')).toEqual([{ kind, event, source: 'log:1' }]);
  });

  it('is off by default, and then not in the CloudFront Function at all', async () => {
    const { dist, handlers } = await buildInto(false);
    const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    handlers.viewerRequestFunction(loadFixture('cloudfront-functions/viewer-request', 'allowed-origin'));
    await handlers.viewerRequestLambda(loadFixture('lambda-edge/viewer-request', 'allowed-origin'));
    expect(log).not.toHaveBeenCalled();
    expect(readFileSync(join(dist, 'cloudfront-functions', 'viewer-request.js'), 'utf8')).not.toContain('console');
  });
});

describe('parseRecorded', () => {
  it('reads the event out of CloudWatch log lines, skipping START, END and REPORT', () => {
    const [event, ...more] = parseRecorded(readFileSync(LOG, 'utf8'), 'viewer.log');
    expect(more).toEqual([]);
    expect(event).toMatchObject({ kind: 'lambda-edge/viewer-request', source: 'viewer.log:2' });
  });

  it('reads raw events, arrays of them, and test-function event objects without a context', () => {
    const lambda = loadFixture('lambda-edge/origin-response', 'no-origin');
    const fn = JSON.parse(readFileSync(TEST_FUNCTION_EVENT, 'utf8'));
    delete fn.context;
    expect(parseRecorded(JSON.stringify([lambda, fn]), 'f.json').map((e) => e.kind)).toEqual([
      'lambda-edge/origin-response',
      'cloudfront-functions/viewer-request',
    ]);
  });

  it.each([
    ['{"hello":"world"}', /f: not a CloudFront event/],
    ['{"version":"1.0","context":{"eventType":"viewer-response"},"request":{},"response":{}}', /viewer-response event; cloudfront-cors runs on viewer-request only/],
    ['{"Records":[{"cf":{"config":{"eventType":"origin-request"}}}]}', /origin-request event; cloudfront-cors runs on viewer-request and origin-response/],
    ['no json here', /no event found/],
    ['line one\nprefix {not json', /f:2: not JSON/],
  ])('says what is wrong with %j', (text, message) => {
    expect(() => parseRecorded(text, 'f')).toThrow(message);
  });
});

describe('npx cloudfront-cors replay', () => {
  it('replays a recorded log line and a test-function event object, printing what each returned', async () => {
    const result = await runReplay('--config', EXAMPLE, LOG, TEST_FUNCTION_EVENT);
    expect(result.code).toBe(0);
    expect(result.out).toContain(`# ${LOG}:2: lambda-edge/viewer-request`);
    expect(result.out).toContain(`# ${TEST_FUNCTION_EVENT}: cloudfront-functions/viewer-request`);
    const [viewer, fn] = result.out.split(/^# .*$/m).slice(1).map((block) => JSON.parse(block));
    expect(header(viewer, 'origin')).toBe('https://pr-7.preview.example.com');
    expect(fn).toMatchObject({ statusCode: 204, headers: { 'access-control-allow-origin': { value: 'https://app.example.com' } } });
  });

  it('turns recordings into fixtures that a test loads and runs with the exported helpers', async () => {
    // The documented steps: replay --save, then a test with the helpers from cloudfront-cors/testing.
    const fixtures = mkdtempSync(join(tmpdir(), 'cloudfront-cors-fixtures-'));
    expect((await runReplay('--config', EXAMPLE, '--save', fixtures, '--name', 'from-prod', LOG)).code).toBe(0);
    expect((await runReplay('--config', EXAMPLE, '--save', fixtures, '--name', 'safari-upload', TEST_FUNCTION_EVENT)).code).toBe(0);

    const handlers = await buildHandlers(EXAMPLE);
    const viewer = await runEvent(handlers, loadEvent(join(fixtures, 'lambda-edge', 'viewer-request', 'from-prod.json')));
    expect(header(viewer, 'origin')).toBe('https://pr-7.preview.example.com');
    const preflight = await runEvent(handlers, loadEvent(join(fixtures, 'cloudfront-functions', 'viewer-request', 'safari-upload.json')));
    expect(status(preflight)).toBe(204);
    expect(header(preflight, 'access-control-allow-headers')).toBe('content-type, x-amz-meta-owner');
  });

  it.each([
    [[], 2, /name at least one FILE/],
    [['--config', 'a', '--dist', 'b', 'x.log'], 2, /not both/],
  ])('exits %j with usage for bad arguments', async (args, code) => {
    const error = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    expect((await runReplay(...args)).code).toBe(code);
    expect(String(error.mock.calls[0]?.[0])).toContain('usage: npx cloudfront-cors replay');
  });

  it('names a file that holds no CloudFront event', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'cloudfront-cors-bad-')), 'notes.json');
    writeFileSync(file, '{"note":"hi"}');
    const error = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    expect((await runReplay('--config', EXAMPLE, file)).code).toBe(1);
    expect(String(error.mock.calls[0]?.[0])).toContain(`${file}: not a CloudFront event`);
  });
});
