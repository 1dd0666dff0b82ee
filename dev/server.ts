/**
 * `npx cloudfront-cors dev` (and `npm run dev`): builds the policy into a scratch folder, starts the
 * local edge in front of a folder served like S3 (or any URL), and a demo page served from two
 * origins, `http://localhost:PORT` and `http://127.0.0.1:PORT`, that reads through the edge.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ROOT, build } from '../build/build.ts';
import { readPolicyFile } from '../build/policy-file.ts';
import { parseTemplate } from '../build/template.ts';
import { createEdge, type Edge } from './edge.ts';
import { loadHandlers } from './handlers.ts';
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

  const work = mkdtempSync(join(tmpdir(), 'cloudfront-cors-dev-'));
  const policy = options.policy ?? readPolicyFile(resolve(options.config ?? 'cors.config.json'));
  const allowOrigins = (policy as { allowOrigins: string[] }).allowOrigins;
  const withDemo = options.allowDemoOrigins === false || allowOrigins.includes('*') ? allowOrigins : [...allowOrigins, ...demoOrigins];
  writeFileSync(join(work, 'cors.config.json'), JSON.stringify({ ...policy, allowOrigins: withDemo }));
  await build({ config: join(work, 'cors.config.json'), outDir: join(work, 'dist') });

  const headers = templateHeaders();
  const forwardHeaders = (policy as { preflight?: string }).preflight === 'origin' ? headers.preflight : [];

  const origin = options.origin ? urlOrigin(options.origin) : s3Folder(resolve(options.bucket ?? join(ROOT, 'dev', 'demo-bucket')));
  const edge = createEdge({
    handlers: options.noFunctions ? null : await loadHandlers(join(work, 'dist')),
    viewer: options.viewer ?? 'cloudfront-functions',
    origin,
    keyHeaders: headers.cacheKey,
    forwardHeaders,
  });
  await listen(edge.server, options.port ?? 8080);
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
 * policy forwards for preflight "origin". The local edge keys and forwards exactly these.
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

/** Listens on loopback only: nothing here is for the network. */
function listen(server: Server, port: number): Promise<Server> {
  return new Promise((done, fail) => {
    server.once('error', fail);
    server.listen(port, '127.0.0.1', () => done(server));
  });
}

function close(server: Server): Promise<void> {
  return new Promise((done) => {
    server.closeAllConnections();
    server.close(() => done());
  });
}

export const DEV_USAGE = `usage: npx cloudfront-cors dev [options]   (or npm run dev -- [options])

Runs the built functions in a local CloudFront on 127.0.0.1, in CloudFront's order (viewer request,
cache keyed like template.yaml's cache policy, origin, origin response), with a demo page served from
two origins that reads through it. The demo's origins are added to your policy for this run only.

  --config PATH                   policy file (default: cors.config.json)
  --viewer function|lambda        the viewer-request flavour (default: function)
  --origin URL                    proxy to this origin (default: serve --bucket like S3)
  --bucket DIR                    folder served like an S3 bucket whose CORS rule allows * (default: dev/demo-bucket)
  --port N                        edge port (default: 8080; 0 picks one)
  --demo-port N                   demo page port (default: 3030; 0 picks one)
  --no-functions                  a distribution without cloudfront-cors, to see the failure it fixes
  -h, --help                      this text`;

/** Runs `dev` until interrupted. */
export async function dev(argv: string[]): Promise<number> {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        config: { type: 'string' },
        viewer: { type: 'string' },
        origin: { type: 'string' },
        bucket: { type: 'string' },
        port: { type: 'string' },
        'demo-port': { type: 'string' },
        'no-functions': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    console.error(`cloudfront-cors dev: ${(error as Error).message}\n\n${DEV_USAGE}`);
    return 2;
  }
  if (values['help']) {
    console.log(DEV_USAGE);
    return 0;
  }
  const viewer = values['viewer'] ?? 'function';
  const port = (name: string, fallback: number) => (values[name] === undefined ? fallback : Number(values[name]));
  if (viewer !== 'function' && viewer !== 'lambda') {
    console.error(`cloudfront-cors dev: --viewer takes function or lambda, not "${viewer}"`);
    return 2;
  }
  if (!Number.isInteger(port('port', 8080)) || !Number.isInteger(port('demo-port', 3030))) {
    console.error('cloudfront-cors dev: --port and --demo-port take a port number');
    return 2;
  }
  const server = await startDev({
    config: values['config'] as string | undefined,
    viewer: viewer === 'lambda' ? 'lambda-edge' : 'cloudfront-functions',
    noFunctions: values['no-functions'] === true,
    origin: values['origin'] as string | undefined,
    bucket: values['bucket'] as string | undefined,
    port: port('port', 8080),
    demoPort: port('demo-port', 3030),
  });
  console.log(`local edge:  ${server.edgeUrl}  (${values['no-functions'] ? 'without cloudfront-cors' : `viewer request: ${viewer === 'lambda' ? 'Lambda@Edge' : 'CloudFront Function'}`})`);
  console.log(`origin:      ${values['origin'] ?? `${values['bucket'] ?? 'dev/demo-bucket'}, served like S3 with AllowedOrigin *`}`);
  console.log(`demo page:   ${server.demoUrls[0]}  and  ${server.demoUrls[1]}  (two origins, one cache)`);
  console.log('Ctrl-C stops.');
  await new Promise<void>((done) => process.once('SIGINT', () => done()));
  await server.close();
  return 0;
}
