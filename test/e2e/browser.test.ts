/**
 * Issue 4: a real browser (Debian's Chromium, driven by playwright-core) against the local edge.
 * Pages on two allowed origins, `http://localhost:P` and `http://127.0.0.1:P`, and one refused
 * origin read through one cache in front of a folder served like S3 with `AllowedOrigin *`. The same
 * reads through an edge without cloudfront-cors show the failure it exists to fix.
 */
import { existsSync, mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { spawn } from 'node:child_process';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { ROOT } from '../../build/build.ts';
import { convertS3Rules, readS3Cors } from '../../deploy/s3-cors.ts';
import { startDev, type DevServer } from '../../dev/server.ts';

const CHROMIUM = '/usr/bin/chromium';
const POLICY = {
  allowOrigins: ['https://app.example.com'], // the demo page's two origins are added by the dev server
  allowMethods: ['GET', 'HEAD', 'PUT'],
  allowHeaders: ['content-type'],
  exposeHeaders: ['ETag'],
  allowCredentials: true,
  maxAge: 0, // no preflight cache in the browser: every test's preflight reaches the edge
};

type Read = { read: true; status: number; etag: string | null; requestId: string | null; body: string } | { read: false; error: string };

let browser: BrowserContext;
let refusedSite: Server;
let refusedOrigin: string;
const pages = new Map<string, Page>();

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`the browser tests need Chromium at ${CHROMIUM}: apt-get install -y chromium`);
  browser = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'cloudfront-cors-chromium-')), {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  // A third site, on an origin no policy here allows.
  refusedSite = createServer((_, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>elsewhere</title>'));
  await new Promise<void>((done) => refusedSite.listen(0, '127.0.0.1', done));
  refusedOrigin = `http://127.0.0.1:${(refusedSite.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await browser?.close();
  await new Promise((done) => refusedSite?.close(done));
});

/** A page at `url` (reused), from which `read` fetches. The demo page waits with `?manual`. */
async function pageAt(url: string): Promise<Page> {
  let page = pages.get(url);
  if (page === undefined) {
    page = await browser.newPage();
    await page.goto(url);
    pages.set(url, page);
  }
  return page;
}

/** `fetch` from a page on one origin, as the site's own script would. */
async function read(from: string, url: string, init: { method?: string; headers?: Record<string, string>; body?: string; credentials?: 'omit' | 'include' } = {}): Promise<Read> {
  const page = await pageAt(from);
  return page.evaluate(
    async ({ url, init }) => {
      try {
        const response = await fetch(url, init);
        return {
          read: true as const,
          status: response.status,
          etag: response.headers.get('etag'),
          requestId: response.headers.get('x-amz-request-id'),
          body: await response.text(),
        };
      } catch (error) {
        return { read: false as const, error: String(error) };
      }
    },
    { url, init },
  );
}

describe.each(['cloudfront-functions', 'lambda-edge'] as const)('in Chromium, through the local edge (viewer request: %s)', (viewer) => {
  let dev: DevServer;
  let siteA: string;
  let siteB: string;
  const start = async () => {
    dev = await startDev({ policy: POLICY, viewer, port: 0, demoPort: 0 });
    [siteA, siteB] = dev.demoUrls.map((url) => `${url}?manual`) as [string, string];
    pages.clear();
  };
  afterEach(async () => {
    for (const page of pages.values()) await page.close();
    pages.clear();
    await dev?.close();
  });

  it.each([['A', 'B'], ['B', 'A'], ['A', 'B', 'A', 'B', 'B', 'A']])('lets two allowed origins read one object through one cache, in the order %j', async (...order) => {
    await start();
    for (const site of order) {
      const answer = await read(site === 'A' ? siteA : siteB, `${dev.edgeUrl}/demo.json`);
      expect(answer, `site ${site}`).toMatchObject({ read: true, status: 200 });
    }
    expect(dev.edge.cache.size).toBe(2); // one entry per allowed origin
    expect(dev.origin.requests).toHaveLength(2); // the rest were hits
  });

  it('blocks a refused origin, and what it caused to be cached is served to nobody else', async () => {
    await start();
    expect(await read(refusedOrigin, `${dev.edgeUrl}/demo.json`)).toMatchObject({ read: false, error: expect.stringContaining('Failed to fetch') });
    expect(await read(siteA, `${dev.edgeUrl}/demo.json`)).toMatchObject({ read: true, status: 200 });
    expect(await read(refusedOrigin, `${dev.edgeUrl}/demo.json`)).toMatchObject({ read: false });
    expect(await read(siteB, `${dev.edgeUrl}/demo.json`)).toMatchObject({ read: true, status: 200 });
  });

  it('reads with credentials from both allowed origins', async () => {
    await start();
    expect(await read(siteA, `${dev.edgeUrl}/demo.json`, { credentials: 'include' })).toMatchObject({ read: true, status: 200 });
    expect(await read(siteB, `${dev.edgeUrl}/demo.json`, { credentials: 'include' })).toMatchObject({ read: true, status: 200 });
  });

  it('sends a PUT with a JSON body after a preflight answered at the edge', async () => {
    await start();
    const answer = await read(siteA, `${dev.edgeUrl}/uploads/note.json`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ note: 'hello' }),
    });
    expect(answer).toMatchObject({ read: true, status: 200 });
    const requests = dev.origin.requests;
    expect(requests.map((r) => r.method)).toEqual(['PUT']); // the preflight never reached the origin
    expect(requests[0]!.body.toString()).toBe('{"note":"hello"}');
  });

  it.each([
    ['a header the policy does not allow', { method: 'PUT', headers: { 'content-type': 'application/json', 'x-secret': '1' }, body: '{}' }],
    ['a method the policy does not allow', { method: 'DELETE' }],
  ])('refuses %s, and the request never reaches the origin', async (_, init) => {
    await start();
    expect(await read(siteA, `${dev.edgeUrl}/uploads/note.json`, init)).toMatchObject({ read: false });
    expect(dev.origin.requests).toEqual([]);
  });

  it('lets an allowed origin read an error response', async () => {
    await start();
    expect(await read(siteA, `${dev.edgeUrl}/missing.json`)).toMatchObject({ read: true, status: 404, body: expect.stringContaining('NoSuchKey') });
  });

  it('lets an allowed origin read an exposed header, and only that', async () => {
    await start();
    const answer = await read(siteB, `${dev.edgeUrl}/demo.json`);
    expect(answer).toMatchObject({ read: true, etag: expect.stringMatching(/^"[0-9a-f]{32}"$/), requestId: null });
  });

  it('shows both origins succeeding on the demo page', async () => {
    await start();
    for (const site of dev.demoUrls) {
      const page = await pageAt(site);
      await page.waitForSelector('body[data-done="true"]');
      const answers = await page.locator('#results tr td:nth-child(2)').allTextContents();
      expect(answers, site).toEqual(['200 OK', '200 OK', '200 OK', '404 Not Found']);
    }
  });
});

describe.each(['cloudfront-functions', 'lambda-edge'] as const)('in Chromium, an imported S3 configuration with two rules (viewer request: %s)', (viewer) => {
  let dev: DevServer;
  let writer: string;
  let reader: string;
  beforeAll(async () => {
    // The demo page's port is part of the writer's origin, so it is chosen before the import.
    const probe = createServer();
    await new Promise<void>((done) => probe.listen(0, '127.0.0.1', done));
    const port = (probe.address() as AddressInfo).port;
    await new Promise((done) => probe.close(done));
    // S3's own example: one origin may write, anyone may read.
    const s3 = JSON.stringify({
      CORSRules: [
        { ID: 'writers', AllowedOrigins: [`http://localhost:${port}`], AllowedMethods: ['PUT', 'POST', 'DELETE'], AllowedHeaders: ['*'], MaxAgeSeconds: 0 },
        { AllowedOrigins: ['*'], AllowedMethods: ['GET', 'HEAD'], ExposeHeaders: ['ETag'] },
      ],
    });
    const { policy } = convertS3Rules(readS3Cors(s3, 's3.json'));
    dev = await startDev({ policy, viewer, port: 0, demoPort: port, allowDemoOrigins: false });
    [writer, reader] = dev.demoUrls.map((url) => `${url}?manual`) as [string, string];
    expect(new URL(writer).hostname).toBe('localhost');
  });
  afterEach(async () => {
    for (const page of pages.values()) await page.close();
    pages.clear();
  });
  afterAll(async () => {
    await dev?.close();
  });

  it('lets the named origin write after a preflight answered at the edge; the other cannot, and reaches nothing', async () => {
    const before = dev.origin.requests.length;
    const put = { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{"note":"hello"}' };
    expect(await read(writer, `${dev.edgeUrl}/uploads/rules.json`, put)).toMatchObject({ read: true, status: 200 });
    expect(await read(reader, `${dev.edgeUrl}/uploads/rules.json`, put)).toMatchObject({ read: false, error: expect.stringContaining('Failed to fetch') });
    expect(await read(refusedOrigin, `${dev.edgeUrl}/uploads/rules.json`, { method: 'DELETE' })).toMatchObject({ read: false });
    expect(dev.origin.requests.slice(before).map((r) => r.method)).toEqual(['PUT']); // no preflight, and no refused write
  });

  it('lets every origin read with "*", one cache entry for all but the named one, and never with credentials', async () => {
    const url = `${dev.edgeUrl}/demo.json?rules`;
    const before = dev.origin.requests.length;
    for (const site of [reader, refusedOrigin, writer, reader, refusedOrigin, writer]) {
      expect(await read(site, url), site).toMatchObject({ read: true, status: 200, etag: expect.stringMatching(/^"/) });
    }
    // The writer's own entry (its reads are answered by the "*" rule), and one, Origin null, for everyone else.
    const origins = [...dev.edge.cache.keys()].map((key) => key.split('\n')).filter(([uri, query]) => uri === '/demo.json' && query === 'rules').map(([, , origin]) => origin);
    expect(origins.sort()).toEqual([new URL(writer).origin, 'null']);
    expect(dev.origin.requests.length - before).toBe(2);
    // S3 would have answered the writer's credentialed read with its origin; the imported "*" rule does not.
    expect(await read(writer, url, { credentials: 'include' })).toMatchObject({ read: false });
  });
});

describe('npm run dev', () => {
  it('prints the demo page\'s URLs, and the page shows both origins succeeding', async () => {
    const child = spawn('npm', ['run', '--silent', 'dev', '--', '--port', '0', '--demo-port', '0', '--config', join(ROOT, 'test', 'policies', 'example.json')], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    try {
      let printed = '';
      child.stdout.on('data', (chunk: Buffer) => (printed += chunk.toString()));
      await vi.waitFor(() => expect(printed).toContain('Ctrl-C stops.'), { timeout: 30_000, interval: 100 });
      const urls = /demo page:\s+(\S+)\s+and\s+(\S+)/.exec(printed)!.slice(1);
      expect(urls.map((url) => new URL(url).hostname)).toEqual(['localhost', '127.0.0.1']);
      for (const url of urls) {
        const page = await browser.newPage();
        await page.goto(url);
        await page.waitForSelector('body[data-done="true"]');
        expect(await page.locator('#results tr td:nth-child(2)').allTextContents(), url).toEqual(['200 OK', '200 OK', '200 OK', '404 Not Found']);
        await page.close();
      }
    } finally {
      process.kill(-child.pid!, 'SIGINT'); // npm and the dev server it started
      await new Promise((done) => child.once('exit', done));
    }
  });
});

describe('in Chromium, through an edge without cloudfront-cors', () => {
  it('shows the failure it fixes: the second origin is blocked by the first one\'s cached answer', async () => {
    const dev = await startDev({ policy: POLICY, noFunctions: true, port: 0, demoPort: 0 });
    try {
      const [siteA, siteB] = dev.demoUrls.map((url) => `${url}?manual`) as [string, string];
      expect(await read(siteA, `${dev.edgeUrl}/demo.json`)).toMatchObject({ read: true, status: 200 });
      expect(await read(siteB, `${dev.edgeUrl}/demo.json`)).toMatchObject({ read: false, error: expect.stringContaining('Failed to fetch') });
    } finally {
      for (const page of pages.values()) await page.close();
      pages.clear();
      await dev.close();
    }
  });
});
