/**
 * `npx cloudfront-cors dev`: builds the policy in memory, starts the
 * local edge in front of a folder served like S3 (or any URL), and a demo page served from two
 * origins, `http://localhost:PORT` and `http://127.0.0.1:PORT`, that reads through the edge.
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { ROOT } from '../build/build.ts';
import { readPolicyFile } from '../build/policy-file.ts';
import { parseTemplate } from '../build/template.ts';
import { createEdge, type Edge } from './edge.ts';
import { Refusal } from '../cli/command.ts';
import { fileStore } from './file-store.ts';
import { buildInMemory, type EdgeHandlers } from './handlers.ts';
import { s3Folder, urlOrigin, type RecordingOrigin } from './origins.ts';

export interface DevOptions {
  /** Policy file. @default "cors.config.json" */
  config?: string;
  /** A policy object instead of a file (tests). */
  policy?: object;
  viewer?: 'cloudfront-functions' | 'lambda-edge';
  /** Run without cloudfront-cors: the cache and forwarding of a distribution before it. */
  noFunctions?: boolean;
  /** A URL to proxy to; otherwise `bucket` is served like S3. */
  origin?: string;
  /** @default "dev/demo-bucket" */
  bucket?: string;
  /** Edge port; 0 picks a free one. @default 8080 */
  port?: number;
  /** Demo page port; 0 picks a free one. @default 3030 */
  demoPort?: number;
  /** Add the demo page's two origins to the policy, so the demo can succeed. @default true */
  allowDemoOrigins?: boolean;
  /** With `"originStore"`: a file of the origins the store holds, read again when it changes. */
  kvs?: string;
  /** Where a problem with the `kvs` file is reported (the store keeps its last good contents). */
  onStoreProblem?: (message: string) => void;
}

export interface DevServer {
  edge: Edge;
  edgeUrl: string;
  /** The demo page from its two origins. */
  demoUrls: [string, string];
  /** The origin, with every request that reached it. */
  origin: RecordingOrigin;
  close(): Promise<void>;
}

export async function startDev(options: DevOptions = {}): Promise<DevServer> {
  // The demo server starts first: its port is part of the origins the policy must allow.
  const demo = await listen(createServer(), options.demoPort ?? 3030);
  const demoPort = (demo.address() as AddressInfo).port;
  const demoOrigins = [`http://localhost:${demoPort}`, `http://127.0.0.1:${demoPort}`];

  let handlers: EdgeHandlers;
  let policy: object;
  try {
    policy = options.policy ?? readPolicyFile(resolve(options.config ?? 'cors.config.json'), [], options.config ?? 'cors.config.json');
    // The demo page's origins join every rule that lists origins, so it can show what each allows.
    const withDemo = (allowOrigins: string[]) => (options.allowDemoOrigins === false || allowOrigins.includes('*') ? allowOrigins : [...allowOrigins, ...demoOrigins]);
    const rules = (policy as { rules?: unknown }).rules;
    const stored = (policy as { originStore?: string }).originStore !== undefined;
    if (options.kvs !== undefined && !stored) {
      throw new Refusal(`--kvs ${options.kvs}: the policy keeps no origins in a store; add "originStore": "keyvaluestore" to it, or drop --kvs`);
    }
    if (stored && options.viewer === 'lambda-edge' && !options.noFunctions) {
      throw new Refusal('the policy has "originStore": only the CloudFront Function can read the store, so run it (drop --viewer lambda)');
    }
    // A refused origin in the file at start is refused outright; one written later is reported and skipped.
    const store = options.kvs === undefined ? undefined : fileStore(resolve(options.kvs), options.onStoreProblem);
    const demoPolicy = Array.isArray(rules)
      ? { ...policy, rules: rules.map((rule: { allowOrigins: string[] }) => ({ ...rule, allowOrigins: withDemo(rule.allowOrigins) })) }
      : { ...policy, allowOrigins: withDemo((policy as { allowOrigins: string[] }).allowOrigins) };
    handlers = await buildInMemory(demoPolicy, store === undefined ? {} : { store });
  } catch (error) {
    await close(demo);
    throw error;
  }

  const headers = templateHeaders();
  const forwarding = (policy as { preflight?: string }).preflight === 'origin' || (policy as { originStore?: string }).originStore !== undefined;
  const forwardHeaders = forwarding ? headers.preflight : [];

  const origin = options.origin ? urlOrigin(options.origin) : s3Folder(resolve(options.bucket ?? join(ROOT, 'dev', 'demo-bucket')));
  const edge = createEdge({
    handlers: options.noFunctions ? null : handlers,
    viewer: options.viewer ?? 'cloudfront-functions',
    origin,
    keyHeaders: headers.cacheKey,
    forwardHeaders,
  });
  try {
    await listen(edge.server, options.port ?? 8080);
  } catch (error) {
    await close(demo);
    throw error;
  }
  const edgeUrl = `http://127.0.0.1:${(edge.server.address() as AddressInfo).port}`;

  const page = readFileSync(join(ROOT, 'dev', 'demo.html'), 'utf8').replace(
    '</head>',
    `<script id="config" type="application/json">${JSON.stringify({ edge: edgeUrl })}</script>\n</head>`,
  );
  demo.on('request', (req, res) => {
    if (req.url === '/' || req.url?.startsWith('/?')) res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(page);
    else res.writeHead(404).end();
  });

  return {
    edge,
    edgeUrl,
    demoUrls: [`${demoOrigins[0]}/`, `${demoOrigins[1]}/`],
    origin,
    close: () => Promise.all([close(edge.server), close(demo)]).then(() => undefined),
  };
}

/**
 * The headers template.yaml's policies name: those in the cache key, and those the origin request
 * policy forwards for preflight "origin" or a store's vouch. The local edge keys and forwards exactly these.
 */
export function templateHeaders(): { cacheKey: string[]; preflight: string[] } {
  const template = parseTemplate(readFileSync(join(ROOT, 'template.yaml'), 'utf8')) as unknown as TemplateShape;
  return {
    cacheKey: template.Resources.CachePolicy.Properties.CachePolicyConfig.ParametersInCacheKeyAndForwardedToOrigin.HeadersConfig.Headers,
    preflight: template.Resources.PreflightOriginRequestPolicy.Properties.OriginRequestPolicyConfig.HeadersConfig.Headers,
  };
}

interface TemplateShape {
  Resources: {
    CachePolicy: { Properties: { CachePolicyConfig: { ParametersInCacheKeyAndForwardedToOrigin: { HeadersConfig: { Headers: string[] } } } } };
    PreflightOriginRequestPolicy: { Properties: { OriginRequestPolicyConfig: { HeadersConfig: { Headers: string[] } } } };
  };
}

/** A port another program holds: the user picks another. */
export class PortInUse extends Error {
  override readonly name = 'PortInUse';
}

/** Listens on loopback only: nothing here is for the network. */
function listen(server: Server, port: number): Promise<Server> {
  return new Promise((done, fail) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      fail(error.code === 'EADDRINUSE' ? new PortInUse(`port ${port} on 127.0.0.1 is in use`) : error);
    });
    server.listen(port, '127.0.0.1', () => done(server));
  });
}

function close(server: Server): Promise<void> {
  return new Promise((done) => {
    server.closeAllConnections();
    server.close(() => done());
  });
}
