/**
 * Planning `attach` and `detach` (SPEC §8): given a distribution's config and what to attach, the
 * change to one cache behavior, as a new config and a readable list of changes. Pure: no AWS call.
 */
import type {
  CacheBehavior,
  DistributionConfig,
  FunctionAssociation,
  LambdaFunctionAssociation,
  Method,
} from '@aws-sdk/client-cloudfront';
import { cloudFrontAllowedMethods } from '../build/cloudfront-methods.ts';

/** What `attach` puts on a behavior, from the stack's outputs or from flags. */
export interface EdgeTargets {
  /** The viewer-request handler: the CloudFront Function, or the Lambda@Edge version. */
  viewerRequest: { kind: 'function' | 'lambda'; arn: string };
  /** The Lambda@Edge origin-response version ARN. */
  originResponseLambdaArn: string;
  cachePolicyId: string;
  /** Only with `preflight: "origin"`: the policy forwarding the preflight headers. */
  originRequestPolicyId?: string;
  /** Functions of ours that may be replaced or removed, e.g. the other viewer-request flavour. */
  ours: string[];
}

/** What the behavior had before attach, kept so detach can put it back. */
export interface PreviousSettings {
  /** The cache policy it used, or `legacy` for ForwardedValues settings that cannot be restored. */
  cachePolicyId: string;
  allowedMethods: string[];
  /** The origin request policy it used, or `none`. */
  originRequestPolicyId: string;
}

export interface Change {
  what: string;
  from: string;
  to: string;
}

/** A plan: the new config and its changes (none: nothing to do), or a refusal naming what is in the way. */
export type Plan =
  | { ok: true; config: DistributionConfig; changes: Change[]; behavior: string; previous?: PreviousSettings }
  | { ok: false; reason: string };

const NONE = '(none)';

/** Which behavior `--path-pattern` names, as people say it. */
export function behaviorName(pathPattern: string | undefined): string {
  return pathPattern === undefined ? 'the default behavior (*)' : `the behavior for ${JSON.stringify(pathPattern)}`;
}

/**
 * Plans attaching the targets to one behavior: the viewer-request and origin-response
 * associations, the cache policy, the origin request policy when preflights go to the origin, and
 * methods that let `OPTIONS` and the policy's methods through. Refuses to replace a function it
 * did not create unless `force`.
 */
export function planAttach(
  config: DistributionConfig,
  targets: EdgeTargets,
  options: { pathPattern?: string; methods: string[]; force: boolean },
): Plan {
  const next = structuredClone(config);
  const behavior = findBehavior(next, options.pathPattern);
  if (typeof behavior === 'string') return { ok: false, reason: behavior };
  const changes: Change[] = [];
  const ours = (arn: string) => targets.ours.some((own) => sameFunction(own, arn));

  // Viewer request: one association, a CloudFront Function or a Lambda@Edge, never both.
  const functionOnViewer = associations(behavior.FunctionAssociations).find((a) => a.EventType === 'viewer-request');
  const lambdaOnViewer = lambdaAssociations(behavior).find((a) => a.EventType === 'viewer-request');
  for (const [existing, kind] of [
    [functionOnViewer?.FunctionARN, 'CloudFront Function'],
    [lambdaOnViewer?.LambdaFunctionARN, 'Lambda@Edge function'],
  ] as const) {
    if (existing !== undefined && existing !== targets.viewerRequest.arn && !ours(existing) && !options.force) {
      return {
        ok: false,
        reason:
          `${behaviorName(options.pathPattern)} already runs the ${kind} ${existing} on viewer request, which cloudfront-cors ` +
          `did not create; a behavior takes one viewer-request function. Pass --force to replace it, or attach to another behavior.`,
      };
    }
  }
  // CloudFront does not mix CloudFront Functions and Lambda@Edge on a behavior's viewer events
  // (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/edge-functions-restrictions.html).
  const otherKind = targets.viewerRequest.kind === 'function' ? 'Lambda@Edge function' : 'CloudFront Function';
  const otherOnViewerResponse =
    targets.viewerRequest.kind === 'function'
      ? lambdaAssociations(behavior).find((a) => a.EventType === 'viewer-response')?.LambdaFunctionARN
      : associations(behavior.FunctionAssociations).find((a) => a.EventType === 'viewer-response')?.FunctionARN;
  if (otherOnViewerResponse !== undefined) {
    const flavour = targets.viewerRequest.kind === 'function' ? 'lambda' : 'function';
    return {
      ok: false,
      reason:
        `${behaviorName(options.pathPattern)} runs the ${otherKind} ${otherOnViewerResponse} on viewer response, and CloudFront ` +
        `does not mix CloudFront Functions and Lambda@Edge on a behavior's viewer events. Attach with --viewer-request ${flavour}.`,
    };
  }
  const viewerArn = targets.viewerRequest.arn;
  if (targets.viewerRequest.kind === 'function') {
    if (lambdaOnViewer) {
      removeLambda(behavior, 'viewer-request');
      changes.push({ what: 'viewer request (Lambda@Edge)', from: lambdaOnViewer.LambdaFunctionARN ?? NONE, to: NONE });
    }
    if (functionOnViewer?.FunctionARN !== viewerArn) {
      setFunction(behavior, viewerArn);
      changes.push({ what: 'viewer request (CloudFront Function)', from: functionOnViewer?.FunctionARN ?? NONE, to: viewerArn });
    }
  } else {
    if (functionOnViewer) {
      removeFunction(behavior, 'viewer-request');
      changes.push({ what: 'viewer request (CloudFront Function)', from: functionOnViewer.FunctionARN ?? NONE, to: NONE });
    }
    if (lambdaOnViewer?.LambdaFunctionARN !== viewerArn) {
      setLambda(behavior, 'viewer-request', viewerArn);
      changes.push({ what: 'viewer request (Lambda@Edge)', from: lambdaOnViewer?.LambdaFunctionARN ?? NONE, to: viewerArn });
    }
  }

  // Origin response.
  const onOriginResponse = lambdaAssociations(behavior).find((a) => a.EventType === 'origin-response');
  const originArn = targets.originResponseLambdaArn;
  if (onOriginResponse?.LambdaFunctionARN !== originArn) {
    const existing = onOriginResponse?.LambdaFunctionARN;
    if (existing !== undefined && !ours(existing) && !options.force) {
      return {
        ok: false,
        reason:
          `${behaviorName(options.pathPattern)} already runs the Lambda@Edge function ${existing} on origin response, which ` +
          `cloudfront-cors did not create. Pass --force to replace it, or attach to another behavior.`,
      };
    }
    setLambda(behavior, 'origin-response', originArn);
    changes.push({ what: 'origin response (Lambda@Edge)', from: existing ?? NONE, to: originArn });
  }

  // The cache key must include Origin: the stack's cache policy replaces whatever was there.
  const previous: PreviousSettings = {
    cachePolicyId: behavior.CachePolicyId ?? 'legacy',
    allowedMethods: behavior.AllowedMethods?.Items ?? ['GET', 'HEAD'],
    originRequestPolicyId: behavior.OriginRequestPolicyId ?? 'none',
  };
  if (behavior.CachePolicyId !== targets.cachePolicyId) {
    const from = behavior.CachePolicyId ?? 'legacy cache settings (ForwardedValues, TTLs)';
    useCachePolicy(behavior, targets.cachePolicyId);
    changes.push({ what: 'cache policy', from, to: targets.cachePolicyId });
  }

  if (targets.originRequestPolicyId !== undefined && behavior.AllowedMethods?.CachedMethods?.Items?.includes('OPTIONS')) {
    return {
      ok: false,
      reason:
        `${behaviorName(options.pathPattern)} caches OPTIONS answers; with preflight "origin" the cache key does not include ` +
        `the preflight headers, so one preflight's answer would be served to another. Remove OPTIONS from its cached ` +
        `methods, or use preflight "edge".`,
    };
  }
  if (targets.originRequestPolicyId !== undefined && behavior.OriginRequestPolicyId !== targets.originRequestPolicyId) {
    if (behavior.OriginRequestPolicyId !== undefined && !options.force) {
      return {
        ok: false,
        reason:
          `${behaviorName(options.pathPattern)} uses the origin request policy ${behavior.OriginRequestPolicyId}; with preflight ` +
          `"origin" or "originStore" it must forward Access-Control-Request-Method, -Headers and X-Cors-Vouch. Pass --force ` +
          `to replace it with ${targets.originRequestPolicyId}, or add those headers to it.`,
      };
    }
    changes.push({ what: 'origin request policy', from: behavior.OriginRequestPolicyId ?? NONE, to: targets.originRequestPolicyId });
    behavior.OriginRequestPolicyId = targets.originRequestPolicyId;
  }

  const current = behavior.AllowedMethods?.Items ?? ['GET', 'HEAD'];
  const methods = cloudFrontAllowedMethods(current, options.methods) as Method[];
  if (!sameSet(current, methods)) {
    behavior.AllowedMethods = {
      Quantity: methods.length,
      Items: methods,
      CachedMethods: behavior.AllowedMethods?.CachedMethods ?? { Quantity: 2, Items: ['GET', 'HEAD'] },
    };
    changes.push({ what: 'allowed methods', from: current.join(', '), to: methods.join(', ') });
  }

  return { ok: true, config: next, changes, behavior: behaviorName(options.pathPattern), previous };
}

/**
 * Plans detaching: removes every association of ours from the behavior and, when attach recorded
 * them, puts back the cache policy and methods it had before.
 */
export function planDetach(
  config: DistributionConfig,
  ours: string[],
  options: { pathPattern?: string; previous?: PreviousSettings; stackCachePolicyId?: string },
): Plan {
  const next = structuredClone(config);
  const behavior = findBehavior(next, options.pathPattern);
  if (typeof behavior === 'string') return { ok: false, reason: behavior };
  const changes: Change[] = [];
  const isOurs = (arn: string | undefined) => arn !== undefined && ours.some((own) => sameFunction(own, arn));

  for (const association of associations(behavior.FunctionAssociations)) {
    if (isOurs(association.FunctionARN) && association.EventType) {
      removeFunction(behavior, association.EventType);
      changes.push({ what: `${association.EventType} (CloudFront Function)`, from: association.FunctionARN ?? NONE, to: NONE });
    }
  }
  for (const association of lambdaAssociations(behavior)) {
    if (isOurs(association.LambdaFunctionARN) && association.EventType) {
      removeLambda(behavior, association.EventType);
      changes.push({ what: `${association.EventType} (Lambda@Edge)`, from: association.LambdaFunctionARN ?? NONE, to: NONE });
    }
  }

  const previous = options.previous;
  if (previous !== undefined && (behavior.OriginRequestPolicyId ?? 'none') !== previous.originRequestPolicyId) {
    changes.push({ what: 'origin request policy', from: behavior.OriginRequestPolicyId ?? NONE, to: previous.originRequestPolicyId === 'none' ? NONE : previous.originRequestPolicyId });
    if (previous.originRequestPolicyId === 'none') delete behavior.OriginRequestPolicyId;
    else behavior.OriginRequestPolicyId = previous.originRequestPolicyId;
  }
  const usesOurCachePolicy = options.stackCachePolicyId === undefined || behavior.CachePolicyId === options.stackCachePolicyId;
  if (previous !== undefined && previous.cachePolicyId !== 'legacy' && usesOurCachePolicy && behavior.CachePolicyId !== previous.cachePolicyId) {
    changes.push({ what: 'cache policy', from: behavior.CachePolicyId ?? NONE, to: previous.cachePolicyId });
    behavior.CachePolicyId = previous.cachePolicyId;
  }
  if (previous !== undefined) {
    const current = behavior.AllowedMethods?.Items ?? ['GET', 'HEAD'];
    if (!sameSet(current, previous.allowedMethods)) {
      const cached = behavior.AllowedMethods?.CachedMethods ?? { Quantity: 2, Items: ['GET', 'HEAD'] };
      const keptCached = (cached.Items ?? []).filter((method) => previous.allowedMethods.includes(method));
      behavior.AllowedMethods = {
        Quantity: previous.allowedMethods.length,
        Items: previous.allowedMethods as Method[],
        CachedMethods: { Quantity: keptCached.length, Items: keptCached },
      };
      changes.push({ what: 'allowed methods', from: current.join(', '), to: previous.allowedMethods.join(', ') });
    }
  }
  return { ok: true, config: next, changes, behavior: behaviorName(options.pathPattern) };
}

/** The plan as lines a person reads before anything is written. */
export function renderChanges(plan: Extract<Plan, { ok: true }>, distributionId: string): string {
  if (plan.changes.length === 0) return `${distributionId}, ${plan.behavior}: nothing to do, it is already as asked.`;
  const width = Math.max(...plan.changes.map((change) => change.what.length));
  return [
    `${distributionId}, ${plan.behavior}:`,
    ...plan.changes.flatMap((change) => [`  ${change.what.padEnd(width)}  - ${change.from}`, `  ${' '.repeat(width)}  + ${change.to}`]),
  ].join('\n');
}

/**
 * Two ARNs name the same function: equal, or the same Lambda function in another version
 * (`…:function:name:3` and `…:function:name:4`), so a new version replaces the old one.
 */
export function sameFunction(a: string, b: string): boolean {
  return a === b || (a.includes(':lambda:') && b.includes(':lambda:') && unversioned(a) === unversioned(b));
}

function unversioned(arn: string): string {
  const parts = arn.split(':');
  return parts.length === 8 ? parts.slice(0, 7).join(':') : arn;
}

type Behavior = NonNullable<DistributionConfig['DefaultCacheBehavior']> | CacheBehavior;

function findBehavior(config: DistributionConfig, pathPattern: string | undefined): Behavior | string {
  if (pathPattern === undefined) {
    return config.DefaultCacheBehavior ?? 'the distribution has no default cache behavior';
  }
  const behaviors = config.CacheBehaviors?.Items ?? [];
  const found = behaviors.find((behavior) => behavior.PathPattern === pathPattern);
  if (found) return found;
  const known = behaviors.map((behavior) => JSON.stringify(behavior.PathPattern)).join(', ');
  return `the distribution has no cache behavior for ${JSON.stringify(pathPattern)} (it has: ${known || 'only the default'}); leave out --path-pattern for the default behavior`;
}

function associations(list: Behavior['FunctionAssociations']): FunctionAssociation[] {
  return list?.Items ?? [];
}

function lambdaAssociations(behavior: Behavior): LambdaFunctionAssociation[] {
  return behavior.LambdaFunctionAssociations?.Items ?? [];
}

function setFunction(behavior: Behavior, arn: string): void {
  const items = associations(behavior.FunctionAssociations).filter((a) => a.EventType !== 'viewer-request');
  items.push({ EventType: 'viewer-request', FunctionARN: arn });
  behavior.FunctionAssociations = { Quantity: items.length, Items: items };
}

function removeFunction(behavior: Behavior, eventType: string): void {
  const items = associations(behavior.FunctionAssociations).filter((a) => a.EventType !== eventType);
  behavior.FunctionAssociations = { Quantity: items.length, Items: items };
}

function setLambda(behavior: Behavior, eventType: 'viewer-request' | 'origin-response', arn: string): void {
  const items = lambdaAssociations(behavior).filter((a) => a.EventType !== eventType);
  items.push({ EventType: eventType, LambdaFunctionARN: arn, IncludeBody: false });
  behavior.LambdaFunctionAssociations = { Quantity: items.length, Items: items };
}

function removeLambda(behavior: Behavior, eventType: string): void {
  const items = lambdaAssociations(behavior).filter((a) => a.EventType !== eventType);
  behavior.LambdaFunctionAssociations = { Quantity: items.length, Items: items };
}

/** A cache policy excludes the legacy cache settings: CloudFront refuses a behavior with both. */
function useCachePolicy(behavior: Behavior, cachePolicyId: string): void {
  behavior.CachePolicyId = cachePolicyId;
  delete behavior.ForwardedValues;
  delete behavior.MinTTL;
  delete behavior.DefaultTTL;
  delete behavior.MaxTTL;
}

function sameSet(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((item) => b.includes(item));
}
