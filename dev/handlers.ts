/**
 * The built handlers, loaded the way CloudFront runs them: each `lambda-edge/<fn>/` folder copied
 * alone to a fresh directory (no `node_modules` anywhere above it) and imported from there; the
 * CloudFront Function evaluated as a plain script in a fresh V8 context that has only the
 * ECMAScript built-ins. Used by the local edge (`npm run dev`), `replay` and the tests.
 */
import { cpSync, mkdtempSync, readFileSync } from 'node:fs';
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
  Context,
} from 'aws-lambda';

/** A CloudFront Functions viewer-request event: the 1.0 format, with no `response`. */
export type FunctionRequestEvent = Omit<CloudFrontFunctionsEvent, 'response'>;

/** What a CloudFront Function viewer-request handler returns: the request, or a response. */
export type FunctionResult = FunctionRequestEvent['request'] | Omit<CloudFrontFunctionsEvent['response'], 'cookies'>;

type LambdaHandler<E, R> = (event: E, context?: Context) => Promise<R>;

export interface EdgeHandlers {
  /** Where each Lambda@Edge folder was copied alone, as Lambda unpacks a deployment package. */
  deployed: { 'viewer-request': string; 'origin-response': string };
  /** The CloudFront Function's code, exactly as built. */
  functionCode: string;
  viewerRequestLambda: LambdaHandler<CloudFrontRequestEvent, CloudFrontRequestResult>;
  originResponse: LambdaHandler<CloudFrontResponseEvent, CloudFrontResponseResult>;
  /** The CloudFront Function; its result comes back as CloudFront reads it, as JSON. */
  viewerRequestFunction(event: FunctionRequestEvent): FunctionResult;
}

/** Loads the handlers a build wrote into `dist`. */
export async function loadHandlers(dist: string): Promise<EdgeHandlers> {
  const root = mkdtempSync(join(tmpdir(), 'cloudfront-cors-deployed-'));
  const deployed = { 'viewer-request': join(root, 'viewer-request'), 'origin-response': join(root, 'origin-response') };
  for (const [name, folder] of Object.entries(deployed)) cpSync(join(dist, 'lambda-edge', name), folder, { recursive: true });
  const viewer = (await import(pathToFileURL(join(deployed['viewer-request'], 'index.mjs')).href)) as {
    handler: EdgeHandlers['viewerRequestLambda'];
  };
  const origin = (await import(pathToFileURL(join(deployed['origin-response'], 'index.mjs')).href)) as {
    handler: EdgeHandlers['originResponse'];
  };

  const functionCode = readFileSync(join(dist, 'cloudfront-functions', 'viewer-request.js'), 'utf8');
  // CloudFront Functions has `console` (its lines go to CloudWatch Logs), and nothing else of Node's.
  const functionHandler = vm.runInNewContext(`${functionCode}\n;handler`, { console }) as (event: unknown) => unknown;

  return {
    deployed,
    functionCode,
    viewerRequestLambda: async (event, context) => plain(await viewer.handler(event, context)),
    originResponse: async (event, context) => plain(await origin.handler(event, context)),
    // CloudFront reads the returned object as JSON; a round trip also detaches it from the vm realm.
    viewerRequestFunction: (event) => plain(functionHandler(event)) as FunctionResult,
  };
}

function plain<T>(value: T): T {
  return value === undefined ? value : JSON.parse(JSON.stringify(value));
}
