/**
 * The built artifacts, loaded the way CloudFront runs them: each `dist/lambda-edge/<fn>/` folder
 * copied alone to a fresh directory (no `node_modules` anywhere above it) and imported from there;
 * the CloudFront Function evaluated as a plain script in a fresh V8 context, and under `njs`, the
 * engine CloudFront Functions is derived from. Builds are cached per policy for the test run.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import vm from 'node:vm';
import type {
  CloudFrontFunctionsEvent,
  CloudFrontRequestEvent,
  CloudFrontRequestResult,
  CloudFrontResponseEvent,
  CloudFrontResponseResult,
} from 'aws-lambda';
import { build } from '../../build/build.ts';
import { edgeContext } from './context.ts';
import type { FunctionRequestEvent } from './events.ts';

/** What a CloudFront Function viewer-request handler returns: the request, or a response. */
export type FunctionResult = FunctionRequestEvent['request'] | Omit<CloudFrontFunctionsEvent['response'], 'cookies'>;

type LambdaHandler<E, R> = (event: E, context: unknown) => Promise<R>;

export interface Artifacts {
  /** The output folder the build wrote. */
  dist: string;
  /** Where each Lambda@Edge folder was copied alone, as Lambda unpacks a deployment package. */
  deployed: { 'viewer-request': string; 'origin-response': string };
  /** The CloudFront Function's code, exactly as built. */
  functionCode: string;
  viewerRequestLambda(event: CloudFrontRequestEvent): Promise<CloudFrontRequestResult>;
  originResponse(event: CloudFrontResponseEvent): Promise<CloudFrontResponseResult>;
  viewerRequestFunction(event: FunctionRequestEvent): FunctionResult;
  /** Runs events through the CloudFront Function under `njs`, one process for the batch. */
  viewerRequestFunctionInNjs(events: FunctionRequestEvent[]): Array<FunctionResult | { thrown: string }>;
}

const builds = new Map<string, Promise<Artifacts>>();

/** Builds a policy (an object as it would be written in cors.config.json) and loads the artifacts. */
export function builtArtifacts(policy: object): Promise<Artifacts> {
  const key = JSON.stringify(policy);
  let artifacts = builds.get(key);
  if (artifacts === undefined) {
    artifacts = buildAndLoad(policy);
    builds.set(key, artifacts);
  }
  return artifacts;
}

/** Reads a policy from `test/policies/<name>.json`. */
export function testPolicy(name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(import.meta.dirname, '..', 'policies', `${name}.json`), 'utf8'));
}

async function buildAndLoad(policy: object): Promise<Artifacts> {
  const root = mkdtempSync(join(tmpdir(), 'cloudfront-cors-artifacts-'));
  const config = join(root, 'cors.config.json');
  writeFileSync(config, JSON.stringify(policy));
  const dist = join(root, 'dist');
  await build({ config, outDir: dist });

  const deployed = {
    'viewer-request': join(root, 'deployed', 'viewer-request'),
    'origin-response': join(root, 'deployed', 'origin-response'),
  };
  for (const [name, folder] of Object.entries(deployed)) cpSync(join(dist, 'lambda-edge', name), folder, { recursive: true });
  const viewer = (await import(pathToFileURL(join(deployed['viewer-request'], 'index.mjs')).href)) as {
    handler: LambdaHandler<CloudFrontRequestEvent, CloudFrontRequestResult>;
  };
  const origin = (await import(pathToFileURL(join(deployed['origin-response'], 'index.mjs')).href)) as {
    handler: LambdaHandler<CloudFrontResponseEvent, CloudFrontResponseResult>;
  };

  const functionCode = readFileSync(join(dist, 'cloudfront-functions', 'viewer-request.js'), 'utf8');
  // A fresh context per load: the script sees only the ECMAScript built-ins, no Node globals.
  const functionHandler = vm.runInNewContext(`${functionCode}\n;handler`, {}) as (event: unknown) => unknown;

  return {
    dist,
    deployed,
    functionCode,
    viewerRequestLambda: async (event) => plain(await viewer.handler(event, edgeContext('cors-viewer-request'))),
    originResponse: async (event) => plain(await origin.handler(event, edgeContext('cors-origin-response'))),
    // CloudFront reads the returned object as JSON; a round trip also detaches it from the vm realm.
    viewerRequestFunction: (event) => plain(functionHandler(event)) as FunctionResult,
    viewerRequestFunctionInNjs: (events) => runInNjs(functionCode, events),
  };
}

/**
 * Runs a CloudFront Function under njs. Results come back through njs's `fs` module because its
 * `console.log` cuts output at 2,048 bytes. Fails, saying what to install, when njs is missing.
 */
export function runInNjs(code: string, events: unknown[]): Array<FunctionResult | { thrown: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'cloudfront-cors-njs-'));
  const script = join(dir, 'run.js');
  const output = join(dir, 'results.json');
  writeFileSync(
    script,
    `${code}
var events = ${JSON.stringify(events)};
var results = [];
for (var i = 0; i < events.length; i++) {
  try { results.push(handler(events[i])); } catch (e) { results.push({ thrown: String(e) }); }
}
require('fs').writeFileSync(${JSON.stringify(output)}, JSON.stringify(results));
`,
  );
  try {
    execFileSync('njs', [script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new Error('njs is not installed: the CloudFront Function tests run the built file under it. Install it with `apt-get install -y njs`.');
    }
    throw error;
  }
  return JSON.parse(readFileSync(output, 'utf8'));
}

function plain<T>(value: T): T {
  return value === undefined ? value : JSON.parse(JSON.stringify(value));
}
