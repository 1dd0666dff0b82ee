/**
 * `cloudfront-cors/cdk`: the AWS CDK v2 construct (SPEC §9). `new CloudFrontCors(scope, id, { config })`
 * builds the policy at synth time with the package's own build and creates what the edge needs: the
 * CloudFront Function (or the Lambda@Edge viewer request), the Lambda@Edge origin response
 * (`cloudfront.experimental.EdgeFunction`, so a stack outside us-east-1 works), the cache policy,
 * with `"preflight": "origin"` or `"originStore"` the origin request policy, and with
 * `"originStore"` the KeyValueStore of origins, associated with the function, and the stack output
 * `KeyValueStoreArn` that `npx cloudfront-cors origins --stack-name` reads. `behaviorOptions`
 * spreads into a `cloudfront.Distribution` behavior.
 *
 * @example
 * const cors = new CloudFrontCors(this, 'Cors', { config: 'cors.config.json' });
 * new cloudfront.Distribution(this, 'Site', { defaultBehavior: { origin, ...cors.behaviorOptions } });
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type * as Cdk from 'aws-cdk-lib';
import type * as CloudFront from 'aws-cdk-lib/aws-cloudfront';
import type * as Iam from 'aws-cdk-lib/aws-iam';
import type * as Lambda from 'aws-cdk-lib/aws-lambda';
import type * as Constructs from 'constructs';
import { BuildError, ROOT, STORE_SECRET_FILE } from '../build/build.ts';
import { cloudFrontAllowedMethods } from '../build/cloudfront-methods.ts';
import { CACHE_POLICY, LAMBDA_EDGE, FORWARDED_HEADERS } from '../build/edge-resources.ts';
import { policyMethods, readPolicyFile, validatePolicy, type CorsPolicyFile } from '../build/policy-file.ts';
import type { CorsPolicy } from '../functions/core/policy.ts';

/**
 * aws-cdk-lib and constructs are optional peer dependencies: a user without the CDK never installs
 * them. They are loaded here, synchronously (a CDK app constructs synchronously), from the user's
 * own installation, so the construct is one of the app's constructs.
 */
function peer<T>(name: string): T {
  try {
    return createRequire(import.meta.url)(name) as T;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'MODULE_NOT_FOUND') throw error;
    throw new Error(`cloudfront-cors/cdk needs the AWS CDK v2 in your project: npm i -D aws-cdk-lib constructs (could not load ${name})`);
  }
}

const { Construct } = peer<typeof Constructs>('constructs');
const cdk = peer<typeof Cdk>('aws-cdk-lib');
const cloudfront = peer<typeof CloudFront>('aws-cdk-lib/aws-cloudfront');
const lambda = peer<typeof Lambda>('aws-cdk-lib/aws-lambda');
const iam = peer<typeof Iam>('aws-cdk-lib/aws-iam');

export interface CloudFrontCorsProps {
  /**
   * The policy: a file's path (relative to the working directory `cdk synth` runs the app in) or a
   * policy object, as `cors.config.json` holds it. Known at synth time: no tokens.
   */
  readonly config: string | CorsPolicyFile;
  /**
   * The viewer-request flavour `behaviorOptions` attach: the CloudFront Function (cheaper, faster),
   * or the Lambda@Edge function (for a behavior that already runs Lambda@Edge on a viewer event, or
   * a policy over the CloudFront Function's 10 KB, in which case no CloudFront Function is made).
   * @default 'function'
   */
  readonly viewerRequest?: 'function' | 'lambda';
  /** The handlers log every event they receive, for `npx cloudfront-cors replay`. @default false */
  readonly recordEvents?: boolean;
  /**
   * With `"originStore"`: the file holding the key the function signs its vouch for a stored origin
   * with, relative to the working directory; written with a new key when missing. Keep it out of
   * version control and restore it where you synthesize (a CI secret), so each synth builds the same code.
   * @default "cors.secret" beside the policy file, or in the working directory for a policy object
   */
  readonly storeSecretFile?: string;
}

/** The parts of a `cloudfront.Distribution` behavior that cloudfront-cors decides. */
export type CorsBehaviorOptions = Pick<
  CloudFront.AddBehaviorOptions,
  'functionAssociations' | 'edgeLambdas' | 'cachePolicy' | 'originRequestPolicy' | 'allowedMethods' | 'cachedMethods'
>;

/** CORS for many origins behind one CloudFront cache, as one construct. */
export class CloudFrontCors extends Construct {
  /** The policy, validated, with every default applied. */
  readonly policy: CorsPolicy;
  /** The CloudFront Function for viewer request; `undefined` with `viewerRequest: 'lambda'`. */
  readonly viewerRequestFunction: CloudFront.Function | undefined;
  /** The Lambda@Edge viewer request, made in either flavour, as the SAM template makes it. */
  readonly viewerRequestLambda: CloudFront.experimental.EdgeFunction;
  /** The Lambda@Edge origin response. */
  readonly originResponseFunction: CloudFront.experimental.EdgeFunction;
  /** The cache policy whose key includes `Origin`. */
  readonly cachePolicy: CloudFront.CachePolicy;
  /** With `"preflight": "origin"` or `"originStore"`: the origin request policy forwarding what the origin response reads. */
  readonly originRequestPolicy: CloudFront.OriginRequestPolicy | undefined;
  /** With `"originStore"`: the KeyValueStore of origins (`npx cloudfront-cors origins add`). */
  readonly keyValueStore: CloudFront.KeyValueStore | undefined;
  /** Spread into a behavior: `{ origin, ...cors.behaviorOptions }`. */
  readonly behaviorOptions: CorsBehaviorOptions;

  constructor(scope: Constructs.Construct, id: string, props: CloudFrontCorsProps) {
    super(scope, id);
    const viewerRequest = props.viewerRequest ?? 'function';
    if (viewerRequest !== 'function' && viewerRequest !== 'lambda') {
      throw new Error(`CloudFrontCors ${this.node.path}: viewerRequest is 'function' or 'lambda', not ${JSON.stringify(viewerRequest)}`);
    }
    if (cdk.Token.isUnresolved(JSON.stringify(props.config))) {
      throw new Error(`CloudFrontCors ${this.node.path}: the policy must be known at synth time; it holds a token (a value only known at deployment)`);
    }
    const stack = cdk.Stack.of(this);
    if (cdk.Token.isUnresolved(stack.region)) {
      throw new Error(
        `CloudFrontCors ${this.node.path}: its stack needs a region, e.g. new Stack(app, '${stack.node.id}', { env: { region: 'eu-west-1' } }): ` +
          'any region works, and the Lambda@Edge functions go to us-east-1 on their own',
      );
    }

    // The same refusals, in the same words, as `npx cloudfront-cors validate`, before anything is built.
    const notes: string[] = [];
    this.policy =
      typeof props.config === 'string' ? readPolicyFile(resolve(props.config), notes, resolve(props.config)) : validatePolicy(props.config, 'policy', notes);
    for (const note of notes) cdk.Annotations.of(this).addInfo(`cloudfront-cors: ${note}`);
    // Built into the cloud assembly's folder, beside the assets made from it, so a synth that does
    // not stage assets (cdk synth --no-staging) still finds them, and nothing goes to the temp dir.
    const store = this.policy.originStore !== undefined;
    if (store && viewerRequest === 'lambda') {
      throw new Error(`CloudFrontCors ${this.node.path}: only the CloudFront Function can read a KeyValueStore, so a policy with "originStore" needs viewerRequest: 'function'`);
    }
    const secretFile = resolve(props.storeSecretFile ?? (typeof props.config === 'string' ? join(dirname(resolve(props.config)), STORE_SECRET_FILE) : STORE_SECRET_FILE));
    if (store && !existsSync(secretFile)) {
      cdk.Annotations.of(this).addInfo(`cloudfront-cors: wrote ${secretFile}, the key the function signs its vouch for a stored origin with: keep it, so every synth builds the same code`);
    }
    const built = buildArtifacts(this, this.policy, viewerRequest, props.recordEvents === true, secretFile);

    // Each EdgeFunction's id is also its id in the us-east-1 support stack, which every construct
    // of a stack shares: the construct's unique id keeps two CloudFrontCors apart there.
    const unique = cdk.Names.uniqueId(this);
    const edgeFunction = (name: string, folder: string, description: string) => {
      const fn = new cloudfront.experimental.EdgeFunction(this, `${unique}${name}`, {
        description,
        code: lambda.Code.fromAsset(join(built, 'lambda-edge', folder)),
        handler: LAMBDA_EDGE.handler,
        runtime: new lambda.Runtime(LAMBDA_EDGE.runtime, lambda.RuntimeFamily.NODEJS),
        architecture: lambda.Architecture.X86_64,
        memorySize: LAMBDA_EDGE.memorySize,
        timeout: cdk.Duration.seconds(LAMBDA_EDGE.timeoutSeconds),
        // Lambda refuses to delete a version CloudFront has replicated; SAM keeps them too.
        currentVersionOptions: { removalPolicy: cdk.RemovalPolicy.RETAIN },
      });
      writeOwnLogsOnly(fn);
      return fn;
    };
    this.keyValueStore = store ? new cloudfront.KeyValueStore(this, 'OriginStore', { comment: 'cloudfront-cors; allowed origins, keyed by their canonical text' }) : undefined;
    this.viewerRequestFunction =
      viewerRequest === 'function'
        ? new cloudfront.Function(this, 'ViewerRequestFunction', {
            comment: 'cloudfront-cors viewer request (CloudFront Function)',
            code: cloudfront.FunctionCode.fromInline(readFileSync(join(built, 'cloudfront-functions', 'viewer-request.js'), 'utf8')),
            runtime: cloudfront.FunctionRuntime.JS_2_0,
            autoPublish: true,
            ...(this.keyValueStore === undefined ? {} : { keyValueStore: this.keyValueStore }),
          })
        : undefined;
    if (this.keyValueStore !== undefined) {
      // Named as the SAM template names it, so `origins --stack-name` finds the store in either.
      new cdk.CfnOutput(this, 'KeyValueStoreArn', {
        description: 'The KeyValueStore of allowed origins (npx cloudfront-cors origins add --stack-name …)',
        value: this.keyValueStore.keyValueStoreArn,
      }).overrideLogicalId('KeyValueStoreArn');
    }
    this.viewerRequestLambda = edgeFunction('ViewerRequestLambda', 'viewer-request', 'cloudfront-cors viewer request (Lambda@Edge)');
    this.originResponseFunction = edgeFunction('OriginResponseLambda', 'origin-response', 'cloudfront-cors origin response (Lambda@Edge)');

    this.cachePolicy = new cloudfront.CachePolicy(this, 'CachePolicy', {
      comment: 'cloudfront-cors; cache key is path, query string and Origin',
      minTtl: cdk.Duration.seconds(CACHE_POLICY.minTtlSeconds),
      defaultTtl: cdk.Duration.seconds(CACHE_POLICY.defaultTtlSeconds),
      maxTtl: cdk.Duration.seconds(CACHE_POLICY.maxTtlSeconds),
      headerBehavior: cloudfront.CacheHeaderBehavior.allowList(...CACHE_POLICY.headers),
      cookieBehavior: cloudfront.CacheCookieBehavior.none(),
      queryStringBehavior: cloudfront.CacheQueryStringBehavior.all(),
      enableAcceptEncodingGzip: CACHE_POLICY.acceptEncodingGzip,
      enableAcceptEncodingBrotli: CACHE_POLICY.acceptEncodingBrotli,
    });
    this.originRequestPolicy =
      this.policy.preflight === 'origin' || store
        ? new cloudfront.OriginRequestPolicy(this, 'PreflightOriginRequestPolicy', {
            comment: 'cloudfront-cors; forwards what the origin-response function needs to judge a request',
            headerBehavior: cloudfront.OriginRequestHeaderBehavior.allowList(...FORWARDED_HEADERS),
            cookieBehavior: cloudfront.OriginRequestCookieBehavior.none(),
            queryStringBehavior: cloudfront.OriginRequestQueryStringBehavior.none(),
          })
        : undefined;

    this.behaviorOptions = {
      ...(this.viewerRequestFunction !== undefined
        ? { functionAssociations: [{ function: this.viewerRequestFunction, eventType: cloudfront.FunctionEventType.VIEWER_REQUEST }] }
        : {}),
      edgeLambdas: [
        ...(viewerRequest === 'lambda'
          ? [{ functionVersion: this.viewerRequestLambda.currentVersion, eventType: cloudfront.LambdaEdgeEventType.VIEWER_REQUEST }]
          : []),
        { functionVersion: this.originResponseFunction.currentVersion, eventType: cloudfront.LambdaEdgeEventType.ORIGIN_RESPONSE },
      ],
      cachePolicy: this.cachePolicy,
      ...(this.originRequestPolicy !== undefined ? { originRequestPolicy: this.originRequestPolicy } : {}),
      allowedMethods: allowedMethods(policyMethods(this.policy)),
      // CACHED_METHODS: GET and HEAD only; a cached OPTIONS answer would ignore the preflight headers.
      cachedMethods: cloudfront.CachedMethods.CACHE_GET_HEAD,
    };
  }
}

/**
 * The function's role may write its own logs and nothing else, as the SAM template's: EdgeFunction
 * gives it AWS's managed AWSLambdaBasicExecutionRole (logs anywhere), which is taken off. Lambda@Edge
 * writes in every region it runs in, to `/aws/lambda/us-east-1.<function name>`, so the region is
 * `*`; cdk-nag's IAM5 finding on that wildcard is acknowledged with that reason.
 */
function writeOwnLogsOnly(fn: CloudFront.experimental.EdgeFunction): void {
  // In a stack outside us-east-1 the role is the support stack function's, reached through `lambda`.
  const role = (fn.lambda.role ?? fn.role) as Iam.Role;
  (role.node.defaultChild as Iam.CfnRole).managedPolicyArns = [];
  const stack = cdk.Stack.of(fn.lambda);
  const group = `arn:${stack.partition}:logs:*:${stack.account}:log-group:/aws/lambda/us-east-1.${fn.lambda.functionName}`;
  new iam.Policy(fn.lambda, 'WriteOwnLogs', {
    roles: [role],
    statements: [
      new iam.PolicyStatement({ actions: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents'], resources: [group, `${group}:log-stream:*`] }),
    ],
  });
  // cdk-nag names each wildcard finding by the resource as it renders it: pseudo parameters and
  // references in angle brackets.
  const account = cdk.Token.isUnresolved(stack.account) ? '<AWS::AccountId>' : stack.account;
  const functionId = stack.getLogicalId(fn.lambda.node.defaultChild as Cdk.CfnElement);
  const rendered = `arn:<AWS::Partition>:logs:*:${account}:log-group:/aws/lambda/us-east-1.<${functionId}>`;
  const logsReason = 'Lambda@Edge writes its logs in every region it runs in, to the group named after the function, one stream per container';
  acknowledge(fn.lambda, [
    { id: 'AwsSolutions-IAM5', findings: [`Resource::${rendered}`, `Resource::${rendered}:log-stream:*`], reason: logsReason },
    { id: 'AwsSolutions-L1', reason: `Lambda@Edge runs ${LAMBDA_EDGE.runtime}, the runtime the handlers are built and tested for` },
  ]);
}

/**
 * Acknowledges cdk-nag findings on a construct and everything under it: through `Validations`
 * (cdk-nag 3) where this aws-cdk-lib has it, and as the `cdk_nag` metadata cdk-nag 2 reads.
 */
function acknowledge(scope: Constructs.IConstruct, rules: Array<{ id: string; findings?: string[]; reason: string }>): void {
  const validations = (cdk as { Validations?: { of(scope: Constructs.IConstruct): { acknowledge(rule: { id: string; reason: string }): void } } }).Validations;
  for (const rule of rules) {
    const ids = rule.findings === undefined ? [rule.id] : rule.findings.map((finding) => `${rule.id}[${finding}]`);
    for (const id of ids) validations?.of(scope).acknowledge({ id: `AwsSolutions::${id}`, reason: rule.reason });
  }
  const suppressions = rules.map((rule) => ({ id: rule.id, reason: rule.reason, ...(rule.findings === undefined ? {} : { applies_to: rule.findings }) }));
  for (const child of scope.node.findAll()) {
    if (child instanceof cdk.CfnResource) child.addMetadata('cdk_nag', { rules_to_suppress: suppressions });
  }
}

/** The smallest of CloudFront's three method sets that lets OPTIONS and the policy's methods through. */
function allowedMethods(methods: string[]): CloudFront.AllowedMethods {
  const set = cloudFrontAllowedMethods(methods);
  if (set.length === 3) return cloudfront.AllowedMethods.ALLOW_GET_HEAD_OPTIONS;
  return cloudfront.AllowedMethods.ALLOW_ALL;
}

/**
 * Builds the validated policy with the package's own build, synchronously: the build is
 * asynchronous (esbuild, the file system), and a construct is made in one synchronous call, so it
 * runs as `cloudfront-cors build` in a child process. The output goes into the cloud assembly's
 * folder (cdk.out), named after the construct; returns it.
 */
function buildArtifacts(scope: Constructs.Construct, policy: CorsPolicy, viewerRequest: 'function' | 'lambda', recordEvents: boolean, secretFile: string): string {
  const assembly = cdk.Stage.of(scope)?.outdir ?? mkdtempSync(join(tmpdir(), 'cloudfront-cors-cdk-'));
  const folder = join(assembly, `cloudfront-cors.${cdk.Names.uniqueId(scope)}`);
  rmSync(folder, { recursive: true, force: true });
  mkdirSync(folder, { recursive: true });
  writeFileSync(join(folder, 'cors.config.json'), JSON.stringify(policy));
  const out = join(folder, 'dist');
  try {
    execFileSync(
      process.execPath,
      [join(ROOT, 'bin', 'cloudfront-cors.js'), 'build', '--config', join(folder, 'cors.config.json'), '--out', out,
        '--viewer-request', viewerRequest, ...(recordEvents ? ['--record-events'] : []),
        ...(policy.originStore !== undefined ? ['--store-secret', secretFile] : [])],
      { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', timeout: 120_000 },
    );
  } catch (error) {
    const stderr = String((error as { stderr?: string }).stderr ?? '');
    // The CLI's one line, in the construct's words: its props rather than the CLI's flags.
    const line = stderr.split('\n').find((l) => l.startsWith('cloudfront-cors build: ')) ?? (error as Error).message;
    throw new BuildError(
      `CloudFrontCors ${scope.node.path}: ${line.replace(/^cloudfront-cors build: /, '').replace('(--viewer-request lambda)', "(viewerRequest: 'lambda')")}`,
    );
  }
  return out;
}
