/**
 * The build (SPEC §2): validates the policy, bundles the three handlers with esbuild with the
 * compiled policy inlined, checks each artifact against its runtime and CloudFront's size limits,
 * and only then replaces `dist/`. A refused policy or a failed check leaves `dist/` as it was.
 */
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { createHash, randomBytes } from 'node:crypto';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'acorn';
import * as esbuild from 'esbuild';
import { zipSync } from 'fflate';
import { INTERNAL_PROPERTIES, codeShape, compilePolicy, type CompiledPolicy, type CompiledRule, type CorsPolicy, type HostTable } from '../functions/core/policy.ts';
import { cloudFrontFunctionProblems } from './cloudfront-function-syntax.ts';
import {
  CLOUDFRONT_FUNCTION_MAX_BYTES,
  LAMBDA_EDGE_ORIGIN_MAX_ZIPPED_BYTES,
  LAMBDA_EDGE_VIEWER_MAX_ZIPPED_BYTES,
} from './limits.ts';
import { readPolicyFile, validatePolicy } from './policy-file.ts';
import { deployableTemplate } from './template.ts';

/**
 * The package's own folder: where `functions/` (the sources the build bundles), `template.yaml` and
 * the schema live. The nearest folder above this file with a package.json, so it is the same from
 * the TypeScript sources (this repository) and from the compiled `lib/` (an installed package).
 * Never where a user's files go: those are relative to the folder a command runs in.
 */
export const ROOT = packageRoot(dirname(fileURLToPath(import.meta.url)));

function packageRoot(from: string): string {
  for (let folder = from; ; folder = dirname(folder)) {
    if (existsSync(join(folder, 'package.json'))) return folder;
    if (dirname(folder) === folder) throw new Error(`cloudfront-cors: no package.json above ${from}; reinstall the package`);
  }
}

/** Which half of the build `--only` keeps. */
export type BuildTarget = 'lambda-edge' | 'cloudfront-functions';

export interface BuildOptions {
  /** Policy file, relative to the working directory. @default "cors.config.json" */
  config?: string;
  /** A policy object, validated like a file, instead of `config` (it names the policy in messages). */
  policy?: unknown;
  /** Output folder, relative to the working directory, replaced whole on success. @default "dist" */
  outDir?: string;
  /** Build only one runtime's artifacts; the other's are kept from the previous `dist/`. */
  only?: BuildTarget;
  /** Make the handlers log every event they receive, for `replay`. @default false */
  recordEvents?: boolean;
  /**
   * The viewer-request flavour the template deploys. `"lambda"` builds no CloudFront Function (so a
   * policy over its 10 KB builds) and writes a template without one. @default "function"
   */
  viewerRequest?: 'function' | 'lambda';
  /**
   * With `"originStore"`: the key the CloudFront Function signs its vouch for a stored origin with
   * and the origin response checks (SPEC §10). Both must have the same one, build after build, or
   * stored origins are refused until both are deployed. @default the contents of `cors.secret`
   * beside the policy file, written with a new random key when missing; a new random key for a
   * policy object
   */
  storeSecret?: string;
  /** With `"originStore"`: the file that keeps the store secret, instead of `cors.secret` beside the policy. */
  storeSecretFile?: string;
}

/** One built artifact and how it measures against its CloudFront limit. */
export interface Artifact {
  /** Path inside the output folder, e.g. `lambda-edge/viewer-request`. */
  name: string;
  /** What is measured: the file's bytes, or the folder zipped. */
  measure: 'bytes' | 'zipped';
  size: number;
  limit: number;
}

/** What a build wrote. */
export interface BuildReport {
  artifacts: Artifact[];
  /** Whether `template.yaml` was written: only when the output holds all three artifacts, of one policy. */
  template: boolean;
  /** With `--only`: the runtime kept from the previous build, when it was built from another policy. */
  stale: BuildTarget | null;
  /** What the build rewrote in the policy rather than refused, one sentence each (see `validatePolicy`). */
  notes: string[];
}

/** `build.json` in the output: which policy each runtime's artifacts were built from. */
interface Manifest {
  policies: Partial<Record<BuildTarget, string>>;
}

const MANIFEST = 'build.json';

/** A short digest of the compiled policy, to tell whether two builds used the same one. */
function policyFingerprint(policy: CompiledPolicy): string {
  return createHash('sha256').update(JSON.stringify(policy)).digest('hex').slice(0, 16);
}

/** A build that ran but failed a check; carries what was measured so the caller can show it. */
export class BuildError extends Error {
  constructor(
    message: string,
    readonly artifacts: Artifact[] = [],
  ) {
    super(message);
    this.name = 'BuildError';
  }
}

const LAMBDA_EDGE_FUNCTIONS = [
  { name: 'viewer-request', limit: LAMBDA_EDGE_VIEWER_MAX_ZIPPED_BYTES },
  { name: 'origin-response', limit: LAMBDA_EDGE_ORIGIN_MAX_ZIPPED_BYTES },
] as const;

/**
 * Builds the artifacts and replaces the output folder with them.
 *
 * @returns the artifacts built, with their sizes against CloudFront's limits
 * @throws PolicyError for a refused policy, BuildError for a failed build; the output folder is untouched
 */
export async function build(options: BuildOptions = {}): Promise<BuildReport> {
  const outDir = resolve(options.outDir ?? 'dist');
  const configPath = options.policy === undefined ? resolve(options.config ?? 'cors.config.json') : undefined;
  // The output folder is replaced whole: it must be one a build made, or nothing yet.
  await checkOutputFolder(options.outDir ?? 'dist', outDir, configPath);
  const notes: string[] = [];
  const validated =
    options.policy !== undefined
      ? validatePolicy(options.policy, 'policy', notes)
      : readPolicyFile(configPath as string, notes, options.config ?? 'cors.config.json');
  const policy = compilePolicy(validated);
  const lambdaOnly = options.viewerRequest === 'lambda';
  if (lambdaOnly && options.only === 'cloudfront-functions') {
    throw new BuildError('--only cloudfront-functions builds nothing a Lambda@Edge viewer request deploys; drop one of the two');
  }
  if (lambdaOnly && policy.originStore) {
    throw new BuildError('--viewer-request lambda: only the CloudFront Function can read a KeyValueStore, so a policy with "originStore" deploys it; drop --viewer-request lambda');
  }
  const only = lambdaOnly ? 'lambda-edge' : options.only;

  const secretFile = options.storeSecretFile ?? (configPath === undefined ? undefined : join(dirname(configPath), STORE_SECRET_FILE));
  const storeSecret = policy.originStore ? (options.storeSecret ?? (await projectSecret(secretFile, notes))) : '';
  if (!policy.originStore && options.storeSecretFile !== undefined) notes.push('the policy has no "originStore", so no store secret: --store-secret is ignored');
  await mkdir(dirname(outDir), { recursive: true });
  const staging = await mkdtemp(join(dirname(outDir), `.${basename(outDir)}-staging-`));
  try {
    // Two builds with different store secrets must not be kept side by side either.
    const fingerprint = policyFingerprint(policy) + (options.recordEvents ? '+record' : '') + (storeSecret === '' ? '' : `+${createHash('sha256').update(storeSecret).digest('hex').slice(0, 8)}`);
    const manifest: Manifest = { policies: {} };
    let stale: BuildTarget | null = null;
    if (only !== undefined && !lambdaOnly) {
      const other: BuildTarget = only === 'lambda-edge' ? 'cloudfront-functions' : 'lambda-edge';
      const kept = await keepOtherTarget(outDir, staging, other);
      if (kept !== undefined) {
        manifest.policies[other] = kept;
        if (kept !== fingerprint) stale = other;
      }
    }
    const artifacts: Artifact[] = [];
    const inlined: Inlined = { policy, recordEvents: options.recordEvents === true, storeSecret };
    if (only !== 'cloudfront-functions') {
      artifacts.push(...(await buildLambdaEdge(inlined, staging)));
      manifest.policies['lambda-edge'] = fingerprint;
    }
    if (only !== 'lambda-edge') {
      artifacts.push(await buildCloudFrontFunction(inlined, staging));
      manifest.policies['cloudfront-functions'] = fingerprint;
    }

    const over = artifacts.filter((artifact) => artifact.size > artifact.limit);
    if (over.length > 0) {
      const names = over.map((a) => `${a.name} (${a.size} bytes ${a.measure === 'zipped' ? 'zipped ' : ''}> ${a.limit})`);
      const way = over.some((a) => a.name.startsWith('cloudfront-functions'))
        ? 'cover origins with wildcards, or deploy the Lambda@Edge viewer request instead (--viewer-request lambda)'
        : 'shorten the policy';
      throw new BuildError(`over CloudFront's size limit: ${names.join(', ')}; ${way}`, artifacts);
    }
    await writeFile(join(staging, MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
    // Never a template that would deploy two policies at once.
    const template = stale === null && (await writeTemplate(staging, validated, lambdaOnly));
    await replaceFolder(staging, outDir);
    return { artifacts, template, stale, notes };
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

/** Bundles each Lambda@Edge function into its own self-contained folder. */
async function buildLambdaEdge(inlined: Inlined, outDir: string): Promise<Artifact[]> {
  const artifacts: Artifact[] = [];
  for (const { name, limit } of LAMBDA_EDGE_FUNCTIONS) {
    const folder = join(outDir, 'lambda-edge', name);
    const result = await bundle({
      entryPoints: [join(ROOT, 'functions', 'lambda-edge', `${name}.ts`)],
      outfile: join(folder, 'index.mjs'),
      format: 'esm',
      platform: 'node',
      // Lambda@Edge runs nodejs22.x; node20 syntax runs there and on the Node that tests it here.
      target: 'node20',
      ...inline(inlined, 'lambda-edge'),
    });
    checkInputs(`lambda-edge/${name}`, result);
    artifacts.push({ name: `lambda-edge/${name}`, measure: 'zipped', size: await zippedSize(folder), limit });
  }
  return artifacts;
}

/** Bundles the CloudFront Function into one script with a top-level `function handler(event)`. */
async function buildCloudFrontFunction(inlined: Inlined, outDir: string): Promise<Artifact> {
  const name = 'cloudfront-functions/viewer-request.js';
  const outfile = join(outDir, name);
  const store = inlined.policy.originStore;
  const result = await bundle({
    // With a store, the entry that reads it: an async handler that imports CloudFront's modules.
    entryPoints: [join(ROOT, 'functions', 'cloudfront-functions', store ? 'viewer-request-store.ts' : 'viewer-request.ts')],
    external: store ? [...CLOUDFRONT_MODULES] : [],
    outfile,
    write: false,
    format: 'esm',
    platform: 'neutral',
    minify: true,
    // Every byte counts against 10 KB: internal property names are shortened, the compiled
    // policy's included (its module writes them as identifiers). Quoted keys are never renamed:
    // they are the policy's data (origins, methods, header names), whatever words they are.
    mangleProps: INTERNAL_PROPERTIES,
    mangleQuoted: false,
    // cloudfront-js-2.0 is ES5.1 plus the few later features listed here; esbuild lowers
    // everything else (`??`, `?.`, object spread) or fails the build on what it cannot.
    target: 'es5',
    supported: {
      arrow: true,
      'async-await': true,
      'const-and-let': true,
      'exponent-operator': true,
      'rest-argument': true,
      'template-literal': true,
    },
    ...inline(inlined, 'cloudfront-functions'),
  });
  checkInputs(name, result);
  const code = asCloudFrontFunction((result.outputFiles?.[0]?.text ?? '').trimEnd(), name, store);
  const problems = cloudFrontFunctionProblems(code, store ? CLOUDFRONT_MODULES : []);
  if (problems.length > 0) {
    throw new BuildError(`${name} would not run on cloudfront-js-2.0: ${problems.join('; ')}`);
  }
  await mkdir(dirname(outfile), { recursive: true });
  await writeFile(outfile, code);
  return { name, measure: 'bytes', size: Buffer.byteLength(code), limit: CLOUDFRONT_FUNCTION_MAX_BYTES };
}

/**
 * CloudFront calls a top-level `function handler(event)`, and `export` is a syntax error there.
 * The bundle is an ES module whose one export is the handler, so its closing
 * `export { x as handler };` becomes that declaration. (An IIFE would need esbuild's export
 * helpers, some 450 bytes.) The syntax check that follows proves the result.
 */
function asCloudFrontFunction(module: string, name: string, async: boolean): string {
  const match = /export\s*\{\s*([A-Za-z_$][\w$]*)\s+as\s+handler\s*\};?$/.exec(module);
  if (match === null) throw new BuildError(`${name}: the bundle does not end with one "export { … as handler }"; the entry must export only handler`);
  const code = `${module.slice(0, match.index)}${async ? 'async ' : ''}function handler(event){return ${match[1]}(event)}\n`;
  return async ? importsFirst(code) : code;
}

/**
 * The code with its `import` declarations moved to the first lines, where AWS's documentation puts
 * `import cf from 'cloudfront'` (esbuild writes the injected policy above them). Imports are hoisted
 * anyway, so nothing else changes.
 */
function importsFirst(code: string): string {
  const program = parse(code, { ecmaVersion: 2017, sourceType: 'module' }) as unknown as { body: Array<{ type: string; start: number; end: number }> };
  const imports = program.body.filter((statement) => statement.type === 'ImportDeclaration');
  let rest = code;
  for (const statement of [...imports].reverse()) rest = rest.slice(0, statement.start) + rest.slice(statement.end);
  return imports.map((statement) => code.slice(statement.start, statement.end)).join('') + rest;
}

/** The modules cloudfront-js-2.0 lets a function import: its KeyValueStore helper and `crypto`. */
const CLOUDFRONT_MODULES = ['cloudfront', 'crypto'] as const;

/** The name of the file that keeps a project's store secret, beside its policy file. */
export const STORE_SECRET_FILE = 'cors.secret';

/**
 * The store secret kept in `file` (a project's `cors.secret`, beside its policy), written with a
 * new random key (and a note saying so) when there is none. Every build of the project then signs
 * vouches with the same key, so a deploy never pairs a function and an origin response that
 * disagree. A policy object without a file gets a new key each build.
 */
async function projectSecret(file: string | undefined, notes: string[]): Promise<string> {
  if (file === undefined) return randomBytes(32).toString('hex');
  const shown = relative(process.cwd(), file) || file;
  let text: string;
  try {
    text = (await readFile(file, 'utf8')).trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new BuildError(`cannot read ${shown} (${(error as NodeJS.ErrnoException).code}): it holds the key the store's vouches are signed with`);
    }
    const secret = randomBytes(32).toString('hex');
    try {
      await writeFile(file, `${secret}\n`, { mode: 0o600, flag: 'wx' });
    } catch (writeError) {
      throw new BuildError(`cannot write ${shown} (${(writeError as NodeJS.ErrnoException).code}), the file that keeps the key the store's vouches are signed with: name a file in an existing folder you can write`);
    }
    notes.push(
      `wrote ${shown}, the key the CloudFront Function signs its vouch for a stored origin with: keep it out of version control and restore it where you build (a CI secret), so every build signs alike`,
    );
    return secret;
  }
  if (!/^[0-9a-f]{32,}$/i.test(text)) {
    throw new BuildError(`${shown} must hold at least 32 hexadecimal characters (the store secret); delete it to have the build write a new one`);
  }
  return text;
}

/** What the build puts into the code: the compiled policy, and whether to record events. */
interface Inlined {
  policy: CompiledPolicy;
  recordEvents: boolean;
  /** With a store: the key vouches are signed with (see `CORS_STORE_SECRET`); `""` without. */
  storeSecret: string;
}

const POLICY_MODULE = 'cloudfront-cors:policy';

/**
 * The esbuild options that inline the policy. It is injected as a module that esbuild parses,
 * rather than a `define`d constant, so that mangling property names in the CloudFront Function
 * renames the policy's own field names together with every use of them (see `policyModule`). The
 * parts of the engine the policy can reach are `define`d, so esbuild drops the rest.
 */
function inline({ policy, recordEvents, storeSecret }: Inlined, runtime: 'lambda-edge' | 'cloudfront-functions'): Pick<esbuild.BuildOptions, 'inject' | 'plugins' | 'define'> {
  const lambdaEdge = runtime === 'lambda-edge';
  const inlined = lambdaEdge ? ungrouped(policy) : policy;
  const lists = lambdaEdge && [inlined, ...inlined.laterRules].some((rule) => Object.values(rule.origins).some((table) => Object.keys(table).length > LIST_THRESHOLD));
  const define: Record<string, string> = { CORS_RECORD_EVENTS: String(recordEvents), CORS_STORE_SECRET: JSON.stringify(storeSecret) };
  for (const [part, used] of Object.entries(codeShape(inlined, lists))) define[`CORS_CODE.${part}`] = String(used);
  return {
    inject: [POLICY_MODULE],
    define,
    plugins: [
      {
        name: 'cloudfront-cors-policy',
        setup(esbuildBuild) {
          esbuildBuild.onResolve({ filter: /^cloudfront-cors:policy$/ }, () => ({ path: 'policy', namespace: 'cloudfront-cors' }));
          esbuildBuild.onLoad({ filter: /.*/, namespace: 'cloudfront-cors' }, () => ({
            contents: policyModule(inlined, lambdaEdge),
            loader: 'js',
          }));
        },
      },
    ],
  };
}

/** Past this many hosts, V8 splits a sorted list from one string much faster than it reads an object literal. */
const LIST_THRESHOLD = 1000;

/**
 * The policy with every group of hosts under a parent domain written out host by host: groups
 * save bytes in the CloudFront Function, and cost a lookup in Lambda@Edge, which has room.
 */
function ungrouped(policy: CompiledPolicy): CompiledPolicy {
  return { ...policy, origins: ungroupedTables(policy.origins), laterRules: policy.laterRules.map((rule) => ({ ...rule, origins: ungroupedTables(rule.origins) })) };
}

function ungroupedTables(tables: CompiledRule['origins']): CompiledRule['origins'] {
  const origins: CompiledRule['origins'] = {};
  for (const [schemeAndPort, table] of Object.entries(tables)) {
    const flat: HostTable = {};
    for (const [key, value] of Object.entries(table as HostTable)) {
      if (value === 1) flat[key] = 1;
      else for (const label of Object.keys(value)) flat[label + key] = 1;
    }
    origins[schemeAndPort] = flat;
  }
  return origins;
}

/**
 * The module that carries the compiled policy: its field names (`origins`, `methods`, …) written as
 * identifiers, which the CloudFront Function's build shortens with every use, and everything the
 * policy says as JSON, whose quoted keys are never renamed. A header or method named like a field
 * (`action`, `origins`, `maxAge`) is data like any other. One word cannot be a key of an object
 * literal, `"__proto__"` (it sets the prototype): validation refuses it as a method or header name.
 *
 * For Lambda@Edge, a host table of more than {@link LIST_THRESHOLD} hosts is a sorted list split
 * from one string at load, looked up by binary search: a 10,000-origin table loads in about 0.3 ms,
 * against 1.5 to 2 as a `Set` and 3 to 5 as an object.
 * The CloudFront Function never writes `Access-Control-Expose-Headers`, so goes without it.
 *
 * @example policyModule(policy) // 'export const CORS_POLICY = {anyOrigin:false,origins:{"https:":{"app.example.com":1}},…};'
 */
export function policyModule(policy: CompiledPolicy, lambdaEdge = false): string {
  return `export const CORS_POLICY = ${objectLiteral(policy, lambdaEdge ? new Set<string>() : fieldsTheFunctionSkips(policy), lambdaEdge)};`;
}

/**
 * A compiled policy or rule as an object literal whose field names are identifiers, so that the
 * CloudFront Function's build renames them with their uses. `laterRules` holds rules, written the
 * same way; every other value is JSON.
 */
function objectLiteral(object: CompiledPolicy | CompiledRule, unread: Set<string>, lambdaEdge: boolean): string {
  const fields = Object.entries(object)
    .filter(([field]) => !unread.has(field))
    .map(([field, value]) => {
      if (!/^[A-Za-z_$][\w$]*$/.test(field)) throw new BuildError(`internal: compiled policy field "${field}" is not an identifier`);
      if (field === 'laterRules') return `${field}:[${(value as CompiledRule[]).map((rule) => objectLiteral(rule, unread, lambdaEdge)).join(',')}]`;
      return `${field}:${field === 'origins' && lambdaEdge ? hostTables(value as CompiledPolicy['origins']) : JSON.stringify(value)}`;
    });
  return `{${fields.join(',')}}`;
}

/**
 * The policy fields the CloudFront Function never reads: `exposeHeaders` (only the origin response
 * writes that header), and each field whose code the policy's shape compiles out (see `CodeShape`;
 * every read of these fields sits behind its flag).
 */
function fieldsTheFunctionSkips(policy: CompiledPolicy): Set<string> {
  const shape = codeShape(policy);
  // `originStore` is read through `CORS_CODE.usesStore` only.
  const skipped = new Set(['exposeHeaders', 'originStore']);
  if (!shape.usesAnyOrigin) skipped.add('anyOrigin');
  if (!shape.usesHeaderPrefixes) skipped.add('headerPrefixes');
  if (!shape.usesMaxAge) skipped.add('maxAge');
  if (!shape.usesCredentials) skipped.add('allowCredentials');
  if (!shape.usesLegacyParameters) skipped.add('legacyParameters');
  if (!shape.usesReportOnly) skipped.add('reportOnly');
  if (!shape.usesRules) skipped.add('laterRules');
  // Which rule a stored origin joins is read only with a store.
  if (!shape.usesStore) skipped.add('ruleIds');
  // Under `"preflight": "origin"` the function answers no preflight, so reads none of its fields,
  // unless report-only has it judge preflights to log them.
  if (!shape.usesEdgePreflight && !shape.usesReportOnly) {
    for (const field of ['preflightAtEdge', 'methods', 'headerNames', 'headerPrefixes', 'allowMethods', 'maxAge', 'allowCredentials']) skipped.add(field);
  }
  return skipped;
}

/** Lambda@Edge's host tables: small ones as JSON, large ones as a sorted list split from one string. */
function hostTables(origins: CompiledPolicy['origins']): string {
  const tables = Object.entries(origins).map(([schemeAndPort, table]) => {
    const keys = Object.keys(table as HostTable);
    // Hosts and `*.domain` keys hold no space (DNS labels), so a space separates them.
    // Sorted as `<` compares strings (UTF-16 code units), which the binary search relies on.
    const value = keys.length > LIST_THRESHOLD ? `${JSON.stringify(keys.sort().join(' '))}.split(" ")` : JSON.stringify(table);
    return `${JSON.stringify(schemeAndPort)}:${value}`;
  });
  return `{${tables.join(',')}}`;
}

async function bundle(options: esbuild.BuildOptions): Promise<esbuild.BuildResult & { metafile: esbuild.Metafile }> {
  try {
    return await esbuild.build({
      ...options,
      // Paths in the bundle's comments are relative to this, so the same policy gives the same
      // bytes whatever directory the build runs from.
      absWorkingDir: ROOT,
      bundle: true,
      metafile: true,
      write: options.write ?? true,
      logLevel: 'silent',
      legalComments: 'none',
      charset: 'utf8',
    });
  } catch (error) {
    const failure = error as esbuild.BuildFailure;
    const messages = failure.errors?.map((e) => `${e.location ? `${e.location.file}:${e.location.line}: ` : ''}${e.text}`);
    throw new BuildError(`esbuild failed: ${messages?.join('; ') ?? String(error)}`);
  }
}

/**
 * The bundles carry our code and the policy, nothing else: every input must come from
 * `functions/`, so no package (aws-lambda-test-utils least of all: GPL-2.0) can reach a bundle.
 */
export function checkInputs(artifact: string, result: { metafile: esbuild.Metafile }): void {
  const functions = join(ROOT, 'functions') + sep;
  const foreign = Object.keys(result.metafile.inputs).filter(
    // `cloudfront-cors:policy` is the inlined policy, which esbuild lists as an input of its own.
    (input) => input !== POLICY_MODULE && !resolve(ROOT, input).startsWith(functions),
  );
  if (foreign.length > 0) {
    throw new BuildError(`${artifact} would bundle code from outside functions/: ${foreign.join(', ')}`);
  }
}

/** The size of a folder zipped with deflate, as Lambda receives it. */
async function zippedSize(folder: string): Promise<number> {
  const files: Record<string, Uint8Array> = {};
  for (const entry of await readdir(folder, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    files[relative(folder, path)] = await readFile(path);
  }
  return zipSync(files, { level: 9, mtime: new Date('2020-01-01T00:00:00Z') }).byteLength;
}

/**
 * Writes the deployable template beside the artifacts it deploys. With `--only` and no previous
 * build of the other runtime there is nothing complete to deploy, so no template.
 */
async function writeTemplate(outDir: string, policy: CorsPolicy, lambdaOnly: boolean): Promise<boolean> {
  const functionCode = join(outDir, 'cloudfront-functions', 'viewer-request.js');
  const folders = LAMBDA_EDGE_FUNCTIONS.map(({ name }) => join(outDir, 'lambda-edge', name));
  if ((!lambdaOnly && !(await exists(functionCode))) || !(await Promise.all(folders.map(exists))).every(Boolean)) return false;
  const source = await readFile(join(ROOT, 'template.yaml'), 'utf8');
  const code = lambdaOnly ? null : await readFile(functionCode, 'utf8');
  await writeFile(join(outDir, 'template.yaml'), deployableTemplate(source, code, policy));
  return true;
}

/**
 * With `--only`, the other runtime's artifacts carry over from the previous output.
 *
 * @returns the fingerprint of the policy they were built from (`unknown` when not recorded), or
 *          `undefined` when there was nothing to keep
 */
async function keepOtherTarget(outDir: string, staging: string, other: BuildTarget): Promise<string | undefined> {
  if (!(await exists(join(outDir, other)))) return undefined;
  await cp(join(outDir, other), join(staging, other), { recursive: true });
  const previous = await readFile(join(outDir, MANIFEST), 'utf8').then(
    (text) => (JSON.parse(text) as Manifest).policies[other],
    () => undefined,
  );
  return previous ?? 'unknown';
}

/** Puts the staged build in place of the output folder; the old one is removed only after. */
async function replaceFolder(staging: string, outDir: string): Promise<void> {
  const previous = `${staging}-previous`;
  const hadPrevious = await exists(outDir);
  try {
    if (hadPrevious) await rename(outDir, previous);
    await rename(staging, outDir);
  } catch (error) {
    if (hadPrevious && !(await exists(outDir))) await rename(previous, outDir).catch(() => undefined);
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOTEMPTY' || code === 'EEXIST' || code === 'ENOENT') {
      throw new BuildError(`another build wrote ${outDir} at the same time; run one build at a time`);
    }
    throw error;
  }
  if (hadPrevious) await rm(previous, { recursive: true, force: true });
}

/**
 * Refuses an output folder that is not a build's own: the build replaces it whole, so a user's
 * `--out .`, `--out src` or `--out ""` must never reach `replaceFolder`.
 *
 * @throws BuildError naming the folder and why
 */
export async function checkOutputFolder(written: string, outDir: string, config: string | undefined): Promise<void> {
  const refuse = (why: string) => {
    throw new BuildError(`--out ${JSON.stringify(written)}: ${why}; name a folder of its own, such as dist`);
  };
  const cwd = process.cwd();
  if (outDir === cwd || !relative(outDir, cwd).startsWith('..')) refuse('that is the current folder or one above it, and the build replaces its output folder whole');
  if (outDir.split(sep).includes('node_modules')) refuse('it lies inside node_modules, which npm owns');
  if (config !== undefined && !relative(outDir, config).startsWith('..')) refuse(`it holds the policy file ${config}`);
  const found = await stat(outDir).catch(() => undefined);
  if (found === undefined) return;
  if (!found.isDirectory()) refuse('it is a file');
  const entries = await readdir(outDir);
  if (entries.length > 0 && !entries.includes(MANIFEST)) refuse(`it holds files that no cloudfront-cors build wrote (no ${MANIFEST}), and the build replaces it whole`);
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}
