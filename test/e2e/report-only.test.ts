/**
 * `"mode": "report-only"` and `npx cloudfront-cors report` (SPEC §11) on the built handlers: a
 * request the policy would refuse passes as it would without the policy and is logged as one
 * line; an allowed one gets the full treatment; `report` counts the lines the handlers print,
 * from files and from a CloudWatch Logs group through the SDK (mocked), page after page.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { CloudWatchLogsClient, FilterLogEventsCommand, ResourceNotFoundException } from '@aws-sdk/client-cloudwatch-logs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../cli/main.ts';
import { buildHandlers, functionRequestEvent, header, originResponseEvent, status, viewerRequestEvent, type EdgeHandlers, type RequestOptions } from '../../testing/index.ts';
import { functionAnswer, lambdaAnswer } from '../support/answers.ts';
import { runInNjs } from '../support/artifacts.ts';
import { ALLOWED_ORIGINS, ATTACK_ORIGINS } from '../support/attacks.ts';

const POLICY = { allowOrigins: ['https://app.example.com'], allowMethods: ['GET', 'PUT'], allowHeaders: ['content-type'], mode: 'report-only' };

let handlers: EdgeHandlers;
let dir: string;
beforeAll(async () => {
  handlers = await buildHandlers(POLICY);
  dir = mkdtempSync(join(tmpdir(), 'cloudfront-cors-report-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());

/** Runs a request through the Lambda@Edge viewer request and the CloudFront Function, catching what they log. */
async function viewer(request: RequestOptions): Promise<{ lambda: unknown; fn: unknown; lines: string[] }> {
  const lines: string[] = [];
  vi.spyOn(console, 'log').mockImplementation((line: string) => void lines.push(line));
  const lambda = await handlers.viewerRequestLambda(viewerRequestEvent(request));
  const fn = await handlers.viewerRequestFunctionAsync(functionRequestEvent(request));
  vi.restoreAllMocks();
  return { lambda, fn, lines };
}

describe('a report-only policy', () => {
  it.each([
    ['not allowed', { origin: 'https://evil.example' }],
    ['not allowed', { origin: 'null' }],
    ['malformed', { origin: 'https://app.example.com/' }],
    ['malformed', { origin: ['https://app.example.com', 'https://evil.example'] }],
    ['method', { method: 'OPTIONS', origin: 'https://app.example.com', requestMethod: 'DELETE' }],
    ['header', { method: 'OPTIONS', origin: 'https://app.example.com', requestMethod: 'PUT', requestHeaders: 'content-type, x-secret' }],
  ] as Array<[string, RequestOptions]>)('lets a request it refuses as %s pass unchanged, and logs it once per flavour', async (reason, request) => {
    // Act
    const { lambda, fn, lines } = await viewer(request);
    const [inNjs] = runInNjs(handlers.functionCode as string, [functionRequestEvent(request)]);
    // Assess: the request as received, in all three; one line from each Lambda@Edge and function run.
    expect(lambda).toEqual(viewerRequestEvent(request).Records[0]!.cf.request);
    expect(fn).toEqual(functionRequestEvent(request).request);
    expect(inNjs).toEqual(functionRequestEvent(request).request);
    const origins = Array.isArray(request.origin) ? request.origin.join(', ') : request.origin;
    expect(lines.map((line) => JSON.parse(line))).toEqual([
      { 'cloudfront-cors': 'refused', origin: origins, reason },
      { 'cloudfront-cors': 'refused', origin: origins, reason },
    ]);
  });

  it('gives an allowed origin the full treatment, and logs nothing for it or for the site itself', async () => {
    const canonical = await viewer({ origin: 'HTTPS://App.Example.com' });
    expect(header(canonical.lambda, 'origin')).toBe('https://app.example.com');
    expect(header(canonical.fn, 'origin')).toBe('https://app.example.com');
    const preflight = await viewer({ method: 'OPTIONS', origin: 'https://app.example.com', requestMethod: 'PUT', requestHeaders: 'content-type' });
    expect([status(preflight.lambda), status(preflight.fn)]).toEqual([204, 204]);
    const own = await viewer({ origin: 'https://d111111abcdef8.cloudfront.net' });
    const none = await viewer({});
    expect([...canonical.lines, ...preflight.lines, ...own.lines, ...none.lines]).toEqual([]);
  });

  it('leaves the origin\'s own answer to a refused origin, and writes the policy\'s for an allowed one', async () => {
    const reflected = { 'Access-Control-Allow-Origin': 'https://evil.example', 'Access-Control-Allow-Credentials': 'true', Vary: 'Accept-Encoding' };
    const refused = await handlers.originResponse(originResponseEvent({ request: { origin: 'https://evil.example' }, headers: reflected }));
    expect(header(refused, 'access-control-allow-origin')).toBe('https://evil.example');
    expect(header(refused, 'vary')).toBe('Accept-Encoding');
    const allowed = await handlers.originResponse(originResponseEvent({ request: { origin: 'https://app.example.com' }, headers: { 'Access-Control-Allow-Origin': '*' } }));
    expect(header(allowed, 'access-control-allow-origin')).toBe('https://app.example.com');
    expect(header(allowed, 'vary')).toBe('Origin');
  });
});

describe('npx cloudfront-cors report', () => {
  /** Runs the CLI in this process, collecting what it prints. */
  async function report(...args: string[]): Promise<{ code: number; out: string; err: string }> {
    const out: string[] = [];
    const err: string[] = [];
    const code = await main(['report', ...args], { out: (line) => out.push(line), err: (line) => err.push(line) });
    return { code, out: out.join('\n'), err: err.join('\n') };
  }

  it('counts the lines the handlers log, from a CloudWatch export whatever precedes them, most frequent first', async () => {
    // Prepare: real lines from the handlers, with the prefixes CloudWatch exports put in front.
    const lines: string[] = [];
    for (const request of [{ origin: 'https://evil.example' }, { origin: 'https://evil.example' }, { origin: 'bad' }, { method: 'OPTIONS', origin: 'https://app.example.com', requestMethod: 'DELETE' }] as RequestOptions[]) {
      lines.push(...(await viewer(request)).lines.slice(0, 1));
    }
    writeFileSync(join(dir, 'export.log'), [
      `2026-11-23T12:00:00.000Z\t4f0c2a1b-0000-4000-8000-000000000001\tINFO\t${lines[0]}`,
      `2026-11-23T12:00:01.000Z ${lines[1]}`,
      'START RequestId: 4f0c2a1b-0000-4000-8000-000000000002 Version: 3',
      `${lines[2]}`,
      '{"cloudfront-cors":"viewer-request","event":{}}',
      '{"cloudfront-cors":"refused","origin":',
      `2026-11-23T12:00:02.000Z\tINFO\t${lines[3]}`,
    ].join('\n'));
    // Act
    const text = await report(join(dir, 'export.log'));
    const json = await report(join(dir, 'export.log'), '--json');
    // Assess
    expect(text.code).toBe(0);
    expect(text.out).toBe(`count  origin  (reasons)
    2  https://evil.example  (not allowed)
    1  bad  (malformed)
    1  https://app.example.com  (method)

4 refused requests from 3 origins, in ${join(dir, 'export.log')}`);
    expect(text.err).toBe('warning: 1 line looked like refusals but could not be read');
    expect(JSON.parse(json.out)).toEqual([
      { origin: 'https://evil.example', count: 2, reasons: { 'not allowed': 2 } },
      { origin: 'bad', count: 1, reasons: { malformed: 1 } },
      { origin: 'https://app.example.com', count: 1, reasons: { method: 1 } },
    ]);
  });

  it('reads the other forms logs come in: gzipped exports, Lambda\'s JSON log format, the console\'s CSV, the AWS CLI\'s JSON, two lines run together', async () => {
    const line = (origin: string, reason = 'not allowed') => JSON.stringify({ 'cloudfront-cors': 'refused', origin, reason });
    writeFileSync(join(dir, 'export.log.gz'), gzipSync(`2026-11-23T12:00:00.000Z\t${line('https://gz.example')}\n`));
    writeFileSync(join(dir, 'lambda-json.log'), `${JSON.stringify({ timestamp: '2026-11-23T12:00:00Z', level: 'INFO', requestId: 'r', message: line('https://json.example') })}\n`);
    writeFileSync(join(dir, 'console.csv'), `timestamp,message\n1763899200000,"${line('https://csv.example', 'method').replace(/"/g, '""')}"\n`);
    writeFileSync(join(dir, 'cli.json'), JSON.stringify({ events: [{ message: line('https://cli.example') }, { message: line('https://cli.example') }] }, null, 2));
    writeFileSync(join(dir, 'joined.log'), `${line('https://one.example')}${line('https://two.example', 'header')}\n`);
    const result = await report(...['export.log.gz', 'lambda-json.log', 'console.csv', 'cli.json', 'joined.log'].map((file) => join(dir, file)), '--json');
    expect(result.err).toBe('');
    expect(JSON.parse(result.out)).toEqual([
      { origin: 'https://cli.example', count: 2, reasons: { 'not allowed': 2 } },
      { origin: 'https://csv.example', count: 1, reasons: { method: 1 } },
      { origin: 'https://gz.example', count: 1, reasons: { 'not allowed': 1 } },
      { origin: 'https://json.example', count: 1, reasons: { 'not allowed': 1 } },
      { origin: 'https://one.example', count: 1, reasons: { 'not allowed': 1 } },
      { origin: 'https://two.example', count: 1, reasons: { header: 1 } },
    ]);
  });

  it('reads a log group through the SDK, every page, since the time asked', async () => {
    // Prepare: two pages of events.
    const logs = mockClient(CloudWatchLogsClient);
    const line = (origin: string) => JSON.stringify({ 'cloudfront-cors': 'refused', origin, reason: 'not allowed' });
    logs.on(FilterLogEventsCommand).callsFake((input: { nextToken?: string }) =>
      input.nextToken === undefined
        ? { events: [{ message: line('https://a.example') }, { message: line('https://b.example') }], nextToken: 'page-2' }
        : { events: [{ message: `${line('https://a.example')}\n` }] },
    );
    try {
      // Act
      const before = Date.now();
      const result = await report('--log-group', '/aws/cloudfront/function/cors-viewer-request', '--since', '2h', '--json');
      // Assess
      expect(result.code).toBe(0);
      expect(JSON.parse(result.out)).toEqual([
        { origin: 'https://a.example', count: 2, reasons: { 'not allowed': 2 } },
        { origin: 'https://b.example', count: 1, reasons: { 'not allowed': 1 } },
      ]);
      const calls = logs.commandCalls(FilterLogEventsCommand);
      expect(calls).toHaveLength(2);
      expect(calls[1]!.args[0].input.nextToken).toBe('page-2');
      const start = calls[0]!.args[0].input.startTime as number;
      expect(start).toBeGreaterThanOrEqual(before - 2 * 3_600_000);
      expect(start).toBeLessThanOrEqual(Date.now() - 2 * 3_600_000);
      expect(calls[0]!.args[0].input.logGroupName).toBe('/aws/cloudfront/function/cors-viewer-request');
    } finally {
      logs.restore();
    }
  });

  it('says what is wrong, without a stack trace, for a missing group, a bad duration, a missing file or no source', async () => {
    const logs = mockClient(CloudWatchLogsClient);
    logs.on(FilterLogEventsCommand).rejects(new ResourceNotFoundException({ message: 'The specified log group does not exist.', $metadata: {} }));
    try {
      expect(await report('--log-group', 'nope')).toMatchObject({ code: 1, err: expect.stringContaining('no log group nope in us-east-1: CloudFront Functions log to /aws/cloudfront/function/<name>') });
    } finally {
      logs.restore();
    }
    expect(await report('--log-group', 'g', '--since', 'yesterday')).toMatchObject({ code: 2, err: expect.stringContaining('--since yesterday: a duration such as 30m, 24h or 7d') });
    expect(await report(join(dir, 'missing.log'))).toMatchObject({ code: 1, err: expect.stringContaining('cannot read') });
    expect(await report()).toMatchObject({ code: 2, err: expect.stringContaining('name log files, or a log group with --log-group NAME') });
    expect(await report(join(dir, 'export.log'), '--since', '1h')).toMatchObject({ code: 2, err: expect.stringContaining('--since and --region go with --log-group') });
    writeFileSync(join(dir, 'quiet.log'), 'START RequestId: x\n');
    expect(await report(join(dir, 'quiet.log'))).toMatchObject({ code: 0, out: `no refused requests in ${join(dir, 'quiet.log')}` });
  });
});

describe.each([
  ['an allowlist', POLICY],
  ['public mode', { allowOrigins: ['*'], allowMethods: ['GET', 'PUT'], allowHeaders: ['content-type'], mode: 'report-only' }],
  ['preflights answered by the origin', { ...POLICY, preflight: 'origin' }],
])('report-only in both flavours, %s', (_, policy) => {
  let built: EdgeHandlers;
  beforeAll(async () => {
    built = await buildHandlers(policy);
  });

  it('gives every attack, allowed origin and preflight the same answer and the same log line in Lambda@Edge, and the function in V8 and njs', async () => {
    const requests: RequestOptions[] = [
      ...ATTACK_ORIGINS.map(({ origin }) => ({ origin })),
      ...ALLOWED_ORIGINS.map(({ origin }) => ({ origin })),
      ...['GET', 'PUT', 'DELETE', 'put'].map((requestMethod) => ({ method: 'OPTIONS', origin: 'HTTPS://App.Example.COM:443', requestMethod, requestHeaders: 'content-type' })),
      { method: 'OPTIONS', origin: 'https://app.example.com', requestMethod: 'PUT', requestHeaders: 'x-secret' },
      { method: 'OPTIONS', origin: 'https://evil.example', requestMethod: 'GET' },
      { method: 'OPTIONS', origin: 'not an origin', requestMethod: 'GET' },
      { origin: 'https://d111111abcdef8.cloudfront.net' },
      { origin: ['https://app.example.com', 'https://app.example.com'] },
    ];
    const inNjs = runInNjs(built.functionCode as string, requests.map((request) => functionRequestEvent(request)));
    for (const [i, request] of requests.entries()) {
      const label = JSON.stringify(request);
      const lines: string[] = [];
      vi.spyOn(console, 'log').mockImplementation((line: string) => void lines.push(line));
      const lambda = lambdaAnswer(await built.viewerRequestLambda(viewerRequestEvent(request)));
      const fn = functionAnswer(await built.viewerRequestFunctionAsync(functionRequestEvent(request)));
      vi.restoreAllMocks();
      expect(fn, label).toEqual(lambda);
      expect(functionAnswer(inNjs[i]!), label).toEqual(lambda);
      expect(lines.length === 0 || (lines.length === 2 && lines[0] === lines[1]), `${label}: ${lines.join(' | ')}`).toBe(true);
    }
  });

  it('leaves the origin\'s answer to a preflight it refuses as the origin gave it, CORS headers and all', async () => {
    // A refused preflight reaches the origin only because report-only let it pass (or the origin answers preflights).
    const origin = { Access: 'x', 'Access-Control-Allow-Origin': 'https://app.example.com', 'Access-Control-Allow-Methods': 'DELETE' };
    const response = await built.originResponse(originResponseEvent({ request: { method: 'OPTIONS', origin: 'https://app.example.com', requestMethod: 'DELETE' }, status: 200, headers: origin }));
    expect(header(response, 'access-control-allow-methods')).toBe('DELETE');
    expect(header(response, 'vary')).toBeUndefined();
  });
});

describe('report-only in public mode', () => {
  it('gives every cross-origin read the full treatment: Origin null at the viewer, "*" at the origin response', async () => {
    const built = await buildHandlers({ allowOrigins: ['*'], mode: 'report-only' });
    const lines: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((line: string) => void lines.push(line));
    const forwarded = await built.viewerRequestFunctionAsync(functionRequestEvent({ origin: 'https://evil.example' }));
    vi.restoreAllMocks();
    expect(header(forwarded, 'origin')).toBe('null');
    expect(lines).toEqual([]);
    const reflected = { 'Access-Control-Allow-Origin': 'null', 'Access-Control-Allow-Credentials': 'true' };
    const response = await built.originResponse(originResponseEvent({ request: { origin: 'null' }, headers: reflected }));
    expect(header(response, 'access-control-allow-origin')).toBe('*');
    expect(header(response, 'access-control-allow-credentials')).toBeUndefined();
  });
});
