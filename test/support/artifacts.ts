/**
 * The built artifacts for a policy, loaded as CloudFront runs them (see `dev/handlers.ts`), with
 * Lambda@Edge invocations given a `mockContextCreator` context and the CloudFront Function also run
 * under `njs`, the engine CloudFront Functions is derived from. Builds are cached per policy.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CloudFrontRequestEvent, CloudFrontRequestResult, CloudFrontResponseEvent, CloudFrontResponseResult } from 'aws-lambda';
import { build } from '../../build/build.ts';
import { loadHandlers, type FunctionRequestEvent, type FunctionResult } from '../../dev/handlers.ts';
import { edgeContext } from './context.ts';

export type { FunctionResult };

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
  const handlers = await loadHandlers(dist);
  // Each Lambda@Edge folder copied alone, as Lambda unpacks a deployment package: no node_modules above it.
  const deployed = { 'viewer-request': join(root, 'deployed', 'viewer-request'), 'origin-response': join(root, 'deployed', 'origin-response') };
  for (const [name, folder] of Object.entries(deployed)) cpSync(join(dist, 'lambda-edge', name), folder, { recursive: true });
  return {
    dist,
    deployed,
    functionCode: handlers.functionCode as string,
    viewerRequestLambda: (event) => handlers.viewerRequestLambda(event, edgeContext('cors-viewer-request')),
    originResponse: (event) => handlers.originResponse(event, edgeContext('cors-origin-response')),
    viewerRequestFunction: (event) => handlers.viewerRequestFunction(event),
    viewerRequestFunctionInNjs: (events) => runInNjs(handlers.functionCode as string, events),
  };
}

/**
 * What cloudfront-js-2.0 adds to the request, for the njs harness: `request.rawQueryString()`. A
 * JSON event has none, so the query string object is written back as a viewer could have sent it
 * (as `withRawQueryString` in dev/handlers.ts does for V8).
 */
const RAW_QUERY_STRING = `  function withRaw(event) {
    var request = event && event.request;
    if (!request || typeof request !== 'object' || typeof request.rawQueryString === 'function') return event;
    var query = request.querystring;
    request.rawQueryString = function () {
      if (!query || typeof query !== 'object') return undefined;
      var parts = [];
      for (var name in query) {
        var entry = query[name] || {};
        var values = entry.multiValue && entry.multiValue.length ? entry.multiValue : [entry];
        for (var j = 0; j < values.length; j++) parts.push(encodeURIComponent(name) + '=' + encodeURIComponent(String(values[j] && values[j].value !== undefined ? values[j].value : '')));
      }
      return parts.join('&');
    };
    return event;
  }
`;

/**
 * Runs a CloudFront Function under njs. Results come back through njs's `fs` module because its
 * `console.log` cuts output at 2,048 bytes. Fails, saying what to install, when njs is missing.
 *
 * A function that reads a KeyValueStore (it starts with `import … from"cloudfront"`) runs as a
 * module, with a stand-in `cloudfront` module that answers from `store` and records each key read;
 * njs has its own `crypto`. Each result then carries the keys that event read, as `reads`.
 */
export function runInNjs(code: string, events: unknown[], store: Record<string, string> = {}): Array<FunctionResult | { thrown: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'cloudfront-cors-njs-'));
  const script = join(dir, 'run.js');
  const output = join(dir, 'results.json');
  const module = code.startsWith('import');
  if (module) {
    // njs finds a module by file name: `cloudfront` is `cloudfront.js` in the folder given with -p.
    writeFileSync(
      join(dir, 'cloudfront.js'),
      `var store = ${JSON.stringify(store)};
var reads = [];
function has(key) { reads.push(key); return Object.prototype.hasOwnProperty.call(store, key); }
export default {
  reads: reads,
  kvs: function () {
    return {
      exists: async function (key) { return has(key); },
      get: async function (key) { if (!has(key)) throw new Error('Key not found'); return store[key]; }
    };
  }
};
`,
    );
  }
  // The harness declares no top-level name: the function's own are minified to one or two
  // letters, and a harness `var i` would overwrite the function's `i`.
  const run = module
    ? `${code.replace(/from"cloudfront";/, 'from"cloudfront.js";')}
import __cloudfrontCorsStandIn from 'cloudfront.js';
import __cloudfrontCorsFs from 'fs';
(async function () {
${RAW_QUERY_STRING}  var events = ${JSON.stringify(events)};
  var results = [];
  for (var i = 0; i < events.length; i++) {
    __cloudfrontCorsStandIn.reads.length = 0;
    try { var result = await handler(withRaw(events[i])); result.reads = __cloudfrontCorsStandIn.reads.slice(); results.push(result); } catch (e) { results.push({ thrown: String(e) }); }
  }
  __cloudfrontCorsFs.writeFileSync(${JSON.stringify(output)}, JSON.stringify(results));
})();
`
    : `${code}
(function () {
${RAW_QUERY_STRING}  var events = ${JSON.stringify(events)};
  var results = [];
  for (var i = 0; i < events.length; i++) {
    try { results.push(handler(withRaw(events[i]))); } catch (e) { results.push({ thrown: String(e) }); }
  }
  require('fs').writeFileSync(${JSON.stringify(output)}, JSON.stringify(results));
})();
`;
  writeFileSync(script, run);
  try {
    execFileSync('njs', module ? ['-t', 'module', '-p', dir, script] : [script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    return JSON.parse(readFileSync(output, 'utf8'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new Error('njs is not installed: the CloudFront Function tests run the built file under it. Install it with `apt-get install -y njs`.');
    }
    throw error;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
