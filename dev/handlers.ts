/**
 * The built handlers, loaded the way CloudFront runs them: each Lambda@Edge bundle imported on its
 * own, from its text (a `data:` URL, so nothing resolves against a `node_modules` or leaves a file
 * behind), and the CloudFront Function evaluated as a plain script in a fresh V8 context that has
 * only the ECMAScript built-ins. Used by the local edge (`dev`), `replay`, the testing helpers and
 * the tests.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import vm from 'node:vm';
import type {
  CloudFrontFunctionsEvent,
  CloudFrontRequestEvent,
  CloudFrontRequestResult,
  CloudFrontResponseEvent,
  CloudFrontResponseResult,
  Context,
} from 'aws-lambda';
import { build, type BuildOptions } from '../build/build.ts';

/** A CloudFront Functions viewer-request event: the 1.0 format, with no `response`. */
export type FunctionRequestEvent = Omit<CloudFrontFunctionsEvent, 'response'>;

/** What a CloudFront Function viewer-request handler returns: the request, or a response. */
export type FunctionResult = FunctionRequestEvent['request'] | Omit<CloudFrontFunctionsEvent['response'], 'cookies'>;

type LambdaHandler<E, R> = (event: E, context?: Context) => Promise<R>;

export interface EdgeHandlers {
  /** The CloudFront Function's code, exactly as built; `null` for a build without one (`--viewer-request lambda`). */
  functionCode: string | null;
  viewerRequestLambda: LambdaHandler<CloudFrontRequestEvent, CloudFrontRequestResult>;
  originResponse: LambdaHandler<CloudFrontResponseEvent, CloudFrontResponseResult>;
  /** The CloudFront Function; its result comes back as CloudFront reads it, as JSON. */
  viewerRequestFunction(event: FunctionRequestEvent): FunctionResult;
}

/** The built code of each handler, as `loadHandlers` reads it from an output folder. */
export interface BuiltCode {
  viewerRequestLambda: string;
  originResponse: string;
  /** `null` for a build without a CloudFront Function (`--viewer-request lambda`). */
  functionCode: string | null;
}

/** Reads the handlers a build wrote into `dist`. */
export function readBuiltCode(dist: string): BuiltCode {
  return {
    viewerRequestLambda: readFileSync(join(dist, 'lambda-edge', 'viewer-request', 'index.mjs'), 'utf8'),
    originResponse: readFileSync(join(dist, 'lambda-edge', 'origin-response', 'index.mjs'), 'utf8'),
    functionCode: existsSync(join(dist, 'cloudfront-functions')) ? readFileSync(join(dist, 'cloudfront-functions', 'viewer-request.js'), 'utf8') : null,
  };
}

/** Loads the handlers a build wrote into `dist`, or their code already read. */
export async function loadHandlers(dist: string | BuiltCode): Promise<EdgeHandlers> {
  const code = typeof dist === 'string' ? readBuiltCode(dist) : dist;
  const viewer = (await importText(code.viewerRequestLambda)) as { handler: EdgeHandlers['viewerRequestLambda'] };
  const origin = (await importText(code.originResponse)) as { handler: EdgeHandlers['originResponse'] };
  // CloudFront Functions has `console` (its lines go to CloudWatch Logs), and nothing else of Node's.
  const functionHandler =
    code.functionCode === null
      ? () => {
          throw new Error('this build has no CloudFront Function (it was built with --viewer-request lambda); build without it to run CloudFront Functions events');
        }
      : (vm.runInNewContext(`${code.functionCode}\n;handler`, { console }) as (event: unknown) => unknown);

  return {
    functionCode: code.functionCode,
    viewerRequestLambda: async (event, context) => plain(await viewer.handler(event, context)),
    originResponse: async (event, context) => plain(await origin.handler(event, context)),
    // CloudFront reads the returned object as JSON; a round trip also detaches it from the vm realm.
    viewerRequestFunction: (event) => plain(functionHandler(event)) as FunctionResult,
  };
}

/**
 * Builds a policy (a file path, or a policy object) and loads the handlers, leaving nothing on disk:
 * the build's scratch folder is removed before this returns, whatever happens.
 *
 * @throws PolicyError for a refused policy, BuildError for a failed build
 */
export async function buildInMemory(policy: string | object, options: Pick<BuildOptions, 'recordEvents'> = {}): Promise<EdgeHandlers> {
  const scratch = mkdtempSync(join(tmpdir(), 'cloudfront-cors-'));
  try {
    const dist = join(scratch, 'dist');
    await build({ ...(typeof policy === 'string' ? { config: policy } : { policy }), outDir: dist, ...options });
    return await loadHandlers(readBuiltCode(dist));
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** Imports an ES module from its source text. A bundle imports nothing, so it needs no file. */
function importText(source: string): Promise<unknown> {
  return import(`data:text/javascript;base64,${Buffer.from(source).toString('base64')}`);
}

function plain<T>(value: T): T {
  return value === undefined ? value : JSON.parse(JSON.stringify(value));
}
