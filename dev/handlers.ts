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
import { createHmac, randomBytes } from 'node:crypto';
import { parse } from 'acorn';
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
  /**
   * The CloudFront Function; its result comes back as CloudFront reads it, as JSON. Throws for a
   * function that reads a KeyValueStore, which is async: use {@link viewerRequestFunctionAsync}.
   */
  viewerRequestFunction(event: FunctionRequestEvent): FunctionResult;
  /** The CloudFront Function, whether it reads a KeyValueStore (async) or not. */
  viewerRequestFunctionAsync(event: FunctionRequestEvent): Promise<FunctionResult>;
}

/**
 * The contents of a CloudFront KeyValueStore, for a function built with `"originStore"`: keys to
 * values. Called on every read, so a caller may change what it returns between requests (`dev
 * --kvs FILE` re-reads its file when it changes).
 */
export type StoreContents = () => ReadonlyMap<string, string>;

export interface LoadOptions {
  /** What the function's KeyValueStore holds. @default an empty store */
  store?: StoreContents;
  /** Called with each key the function reads from the store, in order. */
  onStoreRead?: (key: string) => void;
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
export async function loadHandlers(dist: string | BuiltCode, options: LoadOptions = {}): Promise<EdgeHandlers> {
  const code = typeof dist === 'string' ? readBuiltCode(dist) : dist;
  const viewer = (await importText(code.viewerRequestLambda)) as { handler: EdgeHandlers['viewerRequestLambda'] };
  const origin = (await importText(code.originResponse)) as { handler: EdgeHandlers['originResponse'] };
  // Read once: the imports say whether the function reads a store, and become its stand-ins.
  const imports = code.functionCode === null ? [] : moduleImports(code.functionCode);
  const functionHandler =
    code.functionCode === null
      ? () => {
          throw new Error('this build has no CloudFront Function (it was built with --viewer-request lambda); build without it to run CloudFront Functions events');
        }
      : functionInContext(code.functionCode, imports, options);
  const reads = imports.some((declaration) => declaration.module === 'cloudfront');

  return {
    functionCode: code.functionCode,
    viewerRequestLambda: async (event, context) => plain(await viewer.handler(event, context)),
    originResponse: async (event, context) => plain(await origin.handler(event, context)),
    // CloudFront reads the returned object as JSON; a round trip also detaches it from the vm realm.
    viewerRequestFunction: (event) => {
      if (reads) throw new Error('this CloudFront Function reads a KeyValueStore, so it is async: run it with runEvent or viewerRequestFunctionAsync');
      return plain(functionHandler(event)) as FunctionResult;
    },
    viewerRequestFunctionAsync: async (event) => plain(await functionHandler(event)) as FunctionResult,
  };
}

/** An `import name from 'module'` declaration of built function code, with where it is. */
interface ModuleImport {
  name: string;
  module: string;
  start: number;
  end: number;
}

/** The import declarations of built function code: `cloudfront` and `crypto` for one that reads a store. */
function moduleImports(functionCode: string): ModuleImport[] {
  if (!functionCode.startsWith('import')) return []; // the build puts a function's imports first
  const program = parse(functionCode, { ecmaVersion: 2017, sourceType: 'module' }) as unknown as {
    body: Array<{ type: string; start: number; end: number; source?: { value: string }; specifiers?: Array<{ local: { name: string } }> }>;
  };
  return program.body
    .filter((statement) => statement.type === 'ImportDeclaration')
    .map((statement) => ({ name: statement.specifiers?.[0]?.local.name ?? '', module: statement.source?.value ?? '', start: statement.start, end: statement.end }));
}

/**
 * The function evaluated as CloudFront runs it: a script in a fresh V8 context with only the
 * ECMAScript built-ins and `console` (its lines go to CloudWatch Logs). A function that reads a
 * KeyValueStore imports `cloudfront` and `crypto`; here each import becomes a variable bound to
 * a stand-in: the store from `options.store`, and Node's HMAC, which computes what CloudFront's does.
 */
function functionInContext(functionCode: string, imports: ModuleImport[], options: LoadOptions): (event: unknown) => unknown {
  let script = functionCode;
  for (const declaration of [...imports].reverse()) {
    script = `${script.slice(0, declaration.start)}var ${declaration.name}=__modules[${JSON.stringify(declaration.module)}];${script.slice(declaration.end)}`;
  }
  const store = options.store ?? (() => new Map<string, string>());
  const read = (key: string) => {
    options.onStoreRead?.(key);
    return store();
  };
  const modules = {
    cloudfront: {
      kvs: () => ({
        exists: async (key: string) => read(key).has(key),
        get: async (key: string) => {
          const value = read(key).get(key);
          if (value === undefined) throw new Error(`Key "${key}" not found`);
          return value;
        },
      }),
    },
    crypto: { createHmac: (algorithm: string, key: string) => createHmac(algorithm, key) },
  };
  const handler = vm.runInNewContext(`${script}\n;handler`, { console, __modules: modules }) as (event: unknown) => unknown;
  return (event) => handler(withRawQueryString(event));
}

/**
 * The event with the `request.rawQueryString()` method cloudfront-js-2.0 adds, when it has none: a
 * recorded or built event is JSON, which holds no method. Without the raw string the viewer sent,
 * it writes the query string object back as a viewer would (names and values percent-encoded, in
 * order). Not enumerable, so the request a function returns reads as CloudFront reads it.
 */
export function withRawQueryString(event: unknown): unknown {
  const request = (event as { request?: unknown } | null)?.request as ({ querystring?: unknown; rawQueryString?: unknown } & object) | undefined;
  if (request === null || typeof request !== 'object' || typeof request.rawQueryString === 'function') return event;
  Object.defineProperty(request, 'rawQueryString', { value: () => queryText(request.querystring), enumerable: false, configurable: true });
  return event;
}

/** A CloudFront Functions query string object as the raw string a viewer could have sent. */
function queryText(query: unknown): string | undefined {
  if (query === null || typeof query !== 'object') return undefined;
  return Object.entries(query as Record<string, { value?: unknown; multiValue?: Array<{ value?: unknown }> }>)
    .flatMap(([name, entry]) => (entry?.multiValue && entry.multiValue.length > 0 ? entry.multiValue : [entry]).map((value) => `${encodeURIComponent(name)}=${encodeURIComponent(String(value?.value ?? ''))}`))
    .join('&');
}

/**
 * Builds a policy (a file path, or a policy object) and loads the handlers, leaving nothing on disk:
 * the build's scratch folder is removed before this returns, whatever happens.
 *
 * @throws PolicyError for a refused policy, BuildError for a failed build
 */
export async function buildInMemory(policy: string | object, options: Pick<BuildOptions, 'recordEvents'> & LoadOptions = {}): Promise<EdgeHandlers> {
  const scratch = mkdtempSync(join(tmpdir(), 'cloudfront-cors-'));
  try {
    const dist = join(scratch, 'dist');
    // A key of its own for a store's vouch: these handlers are never deployed, so nothing needs to
    // match them, and no `cors.secret` is written into the user's project.
    const storeSecret = randomBytes(32).toString('hex');
    await build({ ...(typeof policy === 'string' ? { config: policy } : { policy }), outDir: dist, recordEvents: options.recordEvents, storeSecret });
    return await loadHandlers(readBuiltCode(dist), options);
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
