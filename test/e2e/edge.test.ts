/**
 * The local edge over HTTP: CloudFront's order, its `X-Cache` marks, and forwarding only what the
 * cache and origin request policies forward, in front of a folder served like S3 or any URL.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { startDev, type DevServer } from '../../dev/server.ts';
import { testPolicy } from '../support/artifacts.ts';

let dev: DevServer | undefined;
let upstream: Server | undefined;
afterEach(async () => {
  await dev?.close();
  await new Promise((done) => (upstream ? upstream.close(done) : done(undefined)));
  dev = undefined;
  upstream = undefined;
});

/** A request as a browser on `origin` would send it (Node's fetch lets a test set Origin). */
function get(url: string, headers: Record<string, string> = {}, init: RequestInit = {}) {
  return fetch(url, { ...init, headers: { ...headers, ...(init.headers as Record<string, string> | undefined) } });
}

describe('the local edge', () => {
  it('marks a first answer Miss and the next one for the same origin Hit', async () => {
    dev = await startDev({ policy: testPolicy('example'), port: 0, demoPort: 0 });
    const first = await get(`${dev.edgeUrl}/demo.json`, { origin: 'https://app.example.com' });
    const second = await get(`${dev.edgeUrl}/demo.json`, { origin: 'https://app.example.com' });
    const other = await get(`${dev.edgeUrl}/demo.json`, { origin: 'http://localhost:3000' });
    expect([first, second, other].map((r) => r.headers.get('x-cache'))).toEqual(['Miss from cloudfront', 'Hit from cloudfront', 'Miss from cloudfront']);
    expect(second.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    expect(other.headers.get('access-control-allow-origin')).toBe('http://localhost:3000');
  });

  it('marks a preflight answered by the viewer function as generated at the edge', async () => {
    dev = await startDev({ policy: testPolicy('example'), port: 0, demoPort: 0 });
    const answer = await get(`${dev.edgeUrl}/x`, { origin: 'https://app.example.com', 'access-control-request-method': 'PUT' }, { method: 'OPTIONS' });
    expect(answer.status).toBe(204);
    expect(answer.headers.get('x-cache')).toBe('FunctionGeneratedResponse from cloudfront');
    expect(dev.origin.requests).toEqual([]);
  });

  it('answers a HEAD from a stored GET, and never stores a HEAD\'s empty body for a later GET', async () => {
    dev = await startDev({ policy: testPolicy('example'), port: 0, demoPort: 0 });
    const head = await get(`${dev.edgeUrl}/demo.json`, { origin: 'https://app.example.com' }, { method: 'HEAD' });
    const first = await get(`${dev.edgeUrl}/demo.json`, { origin: 'https://app.example.com' });
    const again = await get(`${dev.edgeUrl}/demo.json`, { origin: 'https://app.example.com' }, { method: 'HEAD' });
    expect([head, first, again].map((r) => r.headers.get('x-cache'))).toEqual(['Miss from cloudfront', 'Miss from cloudfront', 'Hit from cloudfront']);
    expect(await first.text()).toContain('Hello from the origin');
  });

  it('does not keep an answer the origin marked no-store', async () => {
    upstream = createServer((_, res) => res.writeHead(200, { 'cache-control': 'no-store' }).end('fresh'));
    await new Promise<void>((done) => upstream!.listen(0, '127.0.0.1', done));
    dev = await startDev({ policy: testPolicy('example'), origin: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`, port: 0, demoPort: 0 });
    await get(`${dev.edgeUrl}/session`);
    expect((await get(`${dev.edgeUrl}/session`)).headers.get('x-cache')).toBe('Miss from cloudfront');
  });

  it('marks a preflight answered by the Lambda@Edge viewer request as Lambda-generated', async () => {
    dev = await startDev({ policy: testPolicy('example'), viewer: 'lambda-edge', port: 0, demoPort: 0 });
    const answer = await get(`${dev.edgeUrl}/x`, { origin: 'https://app.example.com', 'access-control-request-method': 'PUT' }, { method: 'OPTIONS' });
    expect(answer.headers.get('x-cache')).toBe('LambdaGeneratedResponse from cloudfront');
  });

  it('passes on a compressed answer from a URL origin readable', async () => {
    upstream = createServer((_, res) => res.writeHead(200, { 'content-type': 'text/plain', 'content-encoding': 'gzip' }).end(gzipSync('compressed at the origin')));
    await new Promise<void>((done) => upstream!.listen(0, '127.0.0.1', done));
    dev = await startDev({ policy: testPolicy('example'), origin: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`, port: 0, demoPort: 0 });
    expect(await (await get(`${dev.edgeUrl}/text`)).text()).toBe('compressed at the origin');
  });

  it('answers a malformed percent-escape in the path with 400, as S3 does', async () => {
    dev = await startDev({ policy: testPolicy('example'), port: 0, demoPort: 0 });
    expect((await get(`${dev.edgeUrl}/%E0%A4%A.json`)).status).toBe(400);
  });

  it('fronts any URL, forwarding only the canonical Origin the cache policy names', async () => {
    const seen: IncomingHttpHeaders[] = [];
    upstream = createServer((req, res) => {
      seen.push(req.headers);
      res.writeHead(200, { 'content-type': 'text/plain', 'access-control-allow-origin': '*', 'access-control-allow-credentials': 'true' }).end('upstream');
    });
    await new Promise<void>((done) => upstream!.listen(0, '127.0.0.1', done));
    const url = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
    dev = await startDev({ policy: testPolicy('example'), origin: url, port: 0, demoPort: 0 });

    const answer = await get(`${dev.edgeUrl}/api/items?page=2`, {
      origin: 'HTTPS://APP.EXAMPLE.COM:443',
      cookie: 'session=secret',
      authorization: 'Bearer t',
      'x-custom': '1',
    });

    expect(await answer.text()).toBe('upstream');
    expect(answer.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    expect(seen).toHaveLength(1);
    expect(seen[0]!['origin']).toBe('https://app.example.com');
    for (const name of ['cookie', 'authorization', 'x-custom']) expect(seen[0]![name], name).toBeUndefined();
  });

  it('forwards the preflight headers to the origin when the policy has preflight "origin"', async () => {
    dev = await startDev({ policy: { ...testPolicy('example'), preflight: 'origin' }, port: 0, demoPort: 0 });
    const answer = await get(`${dev.edgeUrl}/uploads/x.json`, {
      origin: 'https://app.example.com',
      'access-control-request-method': 'PUT',
      'access-control-request-headers': 'content-type',
    }, { method: 'OPTIONS' });
    expect(answer.status).toBe(200);
    expect(answer.headers.get('access-control-allow-methods')).toBe('GET, HEAD, PUT');
    expect(dev.origin.requests.map((r) => Object.keys(r.headers).sort())).toEqual([
      ['access-control-request-headers', 'access-control-request-method', 'origin'],
    ]);
  });

  it('without the functions, keys the cache on the path alone and serves the first origin\'s answer to the next', async () => {
    dev = await startDev({ policy: testPolicy('example'), noFunctions: true, port: 0, demoPort: 0 });
    await get(`${dev.edgeUrl}/demo.json`, { origin: 'https://evil.example.net' });
    const next = await get(`${dev.edgeUrl}/demo.json`, { origin: 'https://app.example.com' });
    expect(next.headers.get('x-cache')).toBe('Hit from cloudfront');
    expect(next.headers.get('access-control-allow-origin')).toBe('https://evil.example.net');
  });
});
