/**
 * `cloudfront-cors/cdk`: the AWS CDK v2 construct (SPEC §9). `new CloudFrontCors(scope, id, { config })`
 * builds the policy at synth time with the package's own build and creates what the edge needs: the
 * CloudFront Function (or the Lambda@Edge viewer request), the Lambda@Edge origin response
 * (`cloudfront.experimental.EdgeFunction`, so a stack outside us-east-1 works), the cache policy,
 * and with `"preflight": "origin"` the origin request policy. `behaviorOptions` spreads into a
 * `cloudfront.Distribution` behavior.
 *
 * @example
 * const cors = new CloudFrontCors(this, 'Cors', { config: 'cors.config.json' });
 * new cloudfront.Distribution(this, 'Site', { defaultBehavior: { origin, ...cors.behaviorOptions } });
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type * as Cdk from 'aws-cdk-lib';
import type * as CloudFront from 'aws-cdk-lib/aws-cloudfront';
import type * as Lambda from 'aws-cdk-lib/aws-lambda';
import type * as Constructs from 'constructs';
import { BuildError, ROOT } from '../build/build.ts';
import { cloudFrontAllowedMethods } from '../build/cloudfront-methods.ts';
import { CACHE_POLICY, LAMBDA_EDGE, PREFLIGHT_FORWARDED_HEADERS } from '../build/edge-resources.ts';
import { readPolicyFile, validatePolicy } from '../build/policy-file.ts';
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

export interface CloudFrontCorsProps {
  /** The policy: a file's path (relative to the working directory, as `cdk synth` runs) or a policy object. */
  readonly config: string | object;
  /**
   * The viewer-request flavour: the CloudFront Function (cheaper, faster), or the Lambda@Edge
   * function (for a behavior that already runs Lambda@Edge on a viewer event, or a policy over 10 KB).
   * @default 'function'
   */
  readonly viewerRequest?: 'function' | 'lambda';
  /** The handlers log every event they receive, for `npx cloudfront-cors replay`. @default false */
  readonly recordEvents?: boolean;
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
  /** The CloudFront Function on viewer request (with `viewerRequest: 'function'`, the default). */
  readonly viewerRequestFunction: CloudFront.Function | undefined;
  /** The Lambda@Edge viewer request (with `viewerRequest: 'lambda'`). */
  readonly viewerRequestLambda: CloudFront.experimental.EdgeFunction | undefined;
  /** The Lambda@Edge origin response. */
  readonly originResponseFunction: CloudFront.experimental.EdgeFunction;
  /** The cache policy whose key includes `Origin`. */
  readonly cachePolicy: CloudFront.CachePolicy;
  /** With `"preflight": "origin"`: the origin request policy forwarding the preflight headers. */
  readonly originRequestPolicy: CloudFront.OriginRequestPolicy | undefined;
  /** Spread into a behavior: `{ origin, ...cors.behaviorOptions }`. */
  readonly behaviorOptions: CorsBehaviorOptions;

  constructor(scope: Constructs.Construct, id: string, props: CloudFrontCorsProps) {
    super(scope, id);
    const viewerRequest = props.viewerRequest ?? 'function';
    // The same refusals, in the same words, as `npx cloudfront-cors validate`, before anything is built.
    this.policy = typeof props.config === 'string' ? readPolicyFile(resolve(props.config), [], props.config) : validatePolicy(props.config);
    const scratch = buildArtifacts(this.policy, viewerRequest, props.recordEvents === true);
    const built = join(scratch, 'dist');
    try {
      const edgeFunction = (name: string, description: string) =>
        new cloudfront.experimental.EdgeFunction(this, name, {
          description,
          code: lambda.Code.fromAsset(join(built, 'lambda-edge', name === 'ViewerRequestLambda' ? 'viewer-request' : 'origin-response')),
          handler: LAMBDA_EDGE.handler,
          runtime: new lambda.Runtime(LAMBDA_EDGE.runtime, lambda.RuntimeFamily.NODEJS),
          architecture: lambda.Architecture.X86_64,
          memorySize: LAMBDA_EDGE.memorySize,
          timeout: cdk.Duration.seconds(LAMBDA_EDGE.timeoutSeconds),
        });
      this.viewerRequestFunction =
        viewerRequest === 'function'
          ? new cloudfront.Function(this, 'ViewerRequestFunction', {
              comment: 'cloudfront-cors viewer request (CloudFront Function)',
              code: cloudfront.FunctionCode.fromInline(readFileSync(join(built, 'cloudfront-functions', 'viewer-request.js'), 'utf8')),
              runtime: cloudfront.FunctionRuntime.JS_2_0,
              autoPublish: true,
            })
          : undefined;
      this.viewerRequestLambda = viewerRequest === 'lambda' ? edgeFunction('ViewerRequestLambda', 'cloudfront-cors viewer request (Lambda@Edge)') : undefined;
      this.originResponseFunction = edgeFunction('OriginResponseLambda', 'cloudfront-cors origin response (Lambda@Edge)');
      for (const fn of [this.viewerRequestLambda, this.originResponseFunction]) if (fn !== undefined) acknowledgeEdgeFunction(fn);
    } finally {
      // Each asset was copied into the cloud assembly when its function was made.
      rmSync(scratch, { recursive: true, force: true });
    }

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
      this.policy.preflight === 'origin'
        ? new cloudfront.OriginRequestPolicy(this, 'PreflightOriginRequestPolicy', {
            comment: 'cloudfront-cors; forwards what the origin-response function needs to judge a preflight',
            headerBehavior: cloudfront.OriginRequestHeaderBehavior.allowList(...PREFLIGHT_FORWARDED_HEADERS),
            cookieBehavior: cloudfront.OriginRequestCookieBehavior.none(),
            queryStringBehavior: cloudfront.OriginRequestQueryStringBehavior.none(),
          })
        : undefined;

    this.behaviorOptions = {
      ...(this.viewerRequestFunction !== undefined
        ? { functionAssociations: [{ function: this.viewerRequestFunction, eventType: cloudfront.FunctionEventType.VIEWER_REQUEST }] }
        : {}),
      edgeLambdas: [
        ...(this.viewerRequestLambda !== undefined
          ? [{ functionVersion: this.viewerRequestLambda.currentVersion, eventType: cloudfront.LambdaEdgeEventType.VIEWER_REQUEST }]
          : []),
        { functionVersion: this.originResponseFunction.currentVersion, eventType: cloudfront.LambdaEdgeEventType.ORIGIN_RESPONSE },
      ],
      cachePolicy: this.cachePolicy,
      ...(this.originRequestPolicy !== undefined ? { originRequestPolicy: this.originRequestPolicy } : {}),
      allowedMethods: allowedMethods(this.policy.allowMethods),
      // CACHED_METHODS: GET and HEAD only; a cached OPTIONS answer would ignore the preflight headers.
      cachedMethods: cloudfront.CachedMethods.CACHE_GET_HEAD,
    };
  }
}

/**
 * cdk-nag's AwsSolutions findings a Lambda@Edge function cannot avoid, acknowledged with the reason.
 * Written on the function itself (`fn.lambda`), which lives in the us-east-1 support stack when the
 * construct's stack is elsewhere. Through `Validations` (cdk-nag 3) where this aws-cdk-lib has it,
 * and as the `cdk_nag` metadata earlier cdk-nag versions read.
 */
function acknowledgeEdgeFunction(fn: CloudFront.experimental.EdgeFunction): void {
  const findings = [
    {
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      reason:
        'Lambda@Edge writes its logs in every region it runs in, to groups named after the function; EdgeFunction creates ' +
        'the role in the us-east-1 stack and gives it this policy, the narrowest AWS keeps for that',
    },
    { id: 'AwsSolutions-L1', reason: `Lambda@Edge runs ${LAMBDA_EDGE.runtime}, the runtime the handlers are built and tested for` },
  ];
  const validations = (cdk as { Validations?: { of(scope: Constructs.IConstruct): { acknowledge(rule: { id: string; reason: string }): void } } }).Validations;
  for (const finding of findings) validations?.of(fn.lambda).acknowledge({ id: `AwsSolutions::${finding.id}`, reason: finding.reason });
  for (const child of fn.lambda.node.findAll()) {
    if (child instanceof cdk.CfnResource) child.addMetadata('cdk_nag', { rules_to_suppress: findings });
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
 * runs as `cloudfront-cors build` in a child process. Returns a scratch folder in the temp dir whose
 * `dist/` holds the build; the caller removes it.
 */
function buildArtifacts(policy: CorsPolicy, viewerRequest: 'function' | 'lambda', recordEvents: boolean): string {
  const folder = mkdtempSync(join(tmpdir(), 'cloudfront-cors-cdk-'));
  writeFileSync(join(folder, 'cors.config.json'), JSON.stringify(policy));
  const out = join(folder, 'dist');
  try {
    execFileSync(
      process.execPath,
      [join(ROOT, 'bin', 'cloudfront-cors.js'), 'build', '--config', join(folder, 'cors.config.json'), '--out', out,
        '--viewer-request', viewerRequest, ...(recordEvents ? ['--record-events'] : [])],
      { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' },
    );
  } catch (error) {
    rmSync(folder, { recursive: true, force: true });
    const stderr = String((error as { stderr?: string }).stderr ?? '').trim();
    throw new BuildError(stderr.replace(/^cloudfront-cors build: /, '') || (error as Error).message);
  }
  return folder;
}
