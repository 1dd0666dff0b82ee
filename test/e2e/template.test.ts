/**
 * SPEC §8, the template: both templates parse, every resource agrees with AWS's resource
 * specification, and the deployable one carries exactly the code the build just made.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../../build/build.ts';
import { CACHE_POLICY, CACHED_METHODS, CLOUDFRONT_FUNCTION_RUNTIME, FORWARDED_HEADERS, LAMBDA_EDGE } from '../../build/edge-resources.ts';
import { VOUCH_HEADER } from '../../functions/core/store.ts';
import { parseTemplate } from '../../build/template.ts';
import { builtArtifacts, testPolicy, type Artifacts } from '../support/artifacts.ts';
import { specificationProblems } from '../support/cloudformation-spec.ts';

type Template = {
  Parameters: Record<string, { Default?: string; AllowedValues?: string[] }>;
  Rules: Record<string, { Assertions: Array<{ Assert: unknown; AssertDescription: string }> }>;
  Resources: Record<string, { Type: string; Condition?: string; Properties: Record<string, any> }>;
  Outputs: Record<string, { Value: unknown; Condition?: string }>;
};

const source = () => parseTemplate(readFileSync(join(ROOT, 'template.yaml'), 'utf8')) as Template;

describe('template.yaml', () => {
  let template: Template;
  let deployable: Template;
  let artifacts: Artifacts;
  beforeAll(async () => {
    template = source();
    artifacts = await builtArtifacts(testPolicy('example'));
    deployable = parseTemplate(readFileSync(join(artifacts.dist, 'template.yaml'), 'utf8')) as Template;
  });

  it('agrees with the CloudFormation resource specification, resource by resource, property by property', async () => {
    expect(await specificationProblems(template)).toEqual([]);
    expect(await specificationProblems(deployable)).toEqual([]);
  });

  it('is caught by the specification check when a property is misspelt or missing', async () => {
    const broken = structuredClone(template);
    broken.Resources['CachePolicy']!.Properties['CachePolicyConfig'].DefaultTtl = 1;
    delete broken.Resources['ViewerRequestFunction']!.Properties['FunctionConfig'].Runtime;
    broken.Resources['ViewerRequestLambda']!.Properties['MemorySize'] = 'lots';
    expect(await specificationProblems(broken)).toEqual([
      expect.stringContaining('ViewerRequestLambda.Properties.MemorySize: expected a number'),
      expect.stringContaining('ViewerRequestFunction.Properties.FunctionConfig.Runtime: required'),
      expect.stringContaining('CachePolicy.Properties.CachePolicyConfig.DefaultTtl: no such property'),
    ]);
  });

  it('says what build/edge-resources.ts says the edge needs, as the CDK construct does', () => {
    for (const id of ['ViewerRequestLambda', 'OriginResponseLambda']) {
      expect(template.Resources[id]!.Properties).toMatchObject({
        Runtime: LAMBDA_EDGE.runtime,
        Architectures: [LAMBDA_EDGE.architecture],
        Handler: LAMBDA_EDGE.handler,
        MemorySize: LAMBDA_EDGE.memorySize,
        Timeout: LAMBDA_EDGE.timeoutSeconds,
      });
    }
    const trust = template.Resources['EdgeFunctionRole']!.Properties['AssumeRolePolicyDocument'].Statement[0].Principal.Service;
    expect(trust).toEqual([...LAMBDA_EDGE.trustedServices]);
    expect(template.Resources['ViewerRequestFunction']!.Properties['FunctionConfig'].Runtime).toBe(CLOUDFRONT_FUNCTION_RUNTIME);
    const cache = template.Resources['CachePolicy']!.Properties['CachePolicyConfig'];
    expect(cache).toMatchObject({
      MinTTL: CACHE_POLICY.minTtlSeconds,
      DefaultTTL: CACHE_POLICY.defaultTtlSeconds,
      MaxTTL: CACHE_POLICY.maxTtlSeconds,
      ParametersInCacheKeyAndForwardedToOrigin: {
        EnableAcceptEncodingGzip: CACHE_POLICY.acceptEncodingGzip,
        EnableAcceptEncodingBrotli: CACHE_POLICY.acceptEncodingBrotli,
        HeadersConfig: { HeaderBehavior: 'whitelist', Headers: [...CACHE_POLICY.headers] },
        CookiesConfig: { CookieBehavior: CACHE_POLICY.cookies },
        QueryStringsConfig: { QueryStringBehavior: CACHE_POLICY.queryStrings },
      },
    });
    const preflight = template.Resources['PreflightOriginRequestPolicy']!.Properties['OriginRequestPolicyConfig'];
    expect(preflight.HeadersConfig.Headers).toEqual([...FORWARDED_HEADERS]);
    expect(template.Resources['Distribution']!.Properties['DistributionConfig'].DefaultCacheBehavior.CachedMethods).toEqual([...CACHED_METHODS]);
  });

  it('refuses every region but us-east-1', () => {
    const [assertion] = template.Rules['UsEast1Only']!.Assertions;
    expect(assertion!.Assert).toEqual({ 'Fn::Equals': [{ Ref: 'AWS::Region' }, 'us-east-1'] });
    expect(assertion!.AssertDescription).toMatch(/--region us-east-1/);
  });

  it.each(['ViewerRequestLambda', 'OriginResponseLambda'])('deploys %s as Lambda@Edge wants it', (id) => {
    const fn = template.Resources[id]!;
    expect(fn.Type).toBe('AWS::Serverless::Function');
    expect(fn.Properties).toMatchObject({
      Runtime: 'nodejs22.x',
      Architectures: ['x86_64'],
      MemorySize: 128,
      Handler: 'index.handler',
      AutoPublishAlias: expect.any(String),
      Role: { 'Fn::GetAtt': ['EdgeFunctionRole', 'Arn'] },
    });
    expect(fn.Properties['Timeout']).toBeLessThanOrEqual(5);
    expect(fn.Properties['Environment']).toBeUndefined();
  });

  it('gives the functions a role trusted by Lambda and Lambda@Edge, allowed only to write their logs', () => {
    const role = template.Resources['EdgeFunctionRole']!.Properties;
    const [trust] = role['AssumeRolePolicyDocument'].Statement;
    expect(trust.Principal.Service.sort()).toEqual(['edgelambda.amazonaws.com', 'lambda.amazonaws.com']);
    expect(role['ManagedPolicyArns']).toBeUndefined();
    const actions = role['Policies'].flatMap((p: any) => p.PolicyDocument.Statement.flatMap((s: any) => s.Action));
    expect(actions.sort()).toEqual(['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents']);
  });

  it('publishes the CloudFront Function on cloudfront-js-2.0', () => {
    expect(template.Resources['ViewerRequestFunction']!.Properties).toMatchObject({
      AutoPublish: true,
      FunctionConfig: { Runtime: 'cloudfront-js-2.0' },
    });
  });

  it('keys the cache on Origin, with compression normalized', () => {
    const parameters = template.Resources['CachePolicy']!.Properties['CachePolicyConfig'].ParametersInCacheKeyAndForwardedToOrigin;
    expect(parameters).toMatchObject({
      EnableAcceptEncodingGzip: true,
      EnableAcceptEncodingBrotli: true,
      HeadersConfig: { HeaderBehavior: 'whitelist', Headers: ['Origin'] },
    });
  });

  it('forwards the preflight headers and the vouch only when the origin response needs them', () => {
    const policy = template.Resources['PreflightOriginRequestPolicy']!;
    expect(policy.Condition).toBe('ForwardToOriginResponse');
    expect((template as unknown as { Conditions: Record<string, unknown> }).Conditions['ForwardToOriginResponse']).toEqual({ 'Fn::Or': [{ Condition: 'PreflightAtOrigin' }, { Condition: 'UseOriginStore' }] });
    expect(policy.Properties['OriginRequestPolicyConfig'].HeadersConfig.Headers).toEqual([
      'Access-Control-Request-Method',
      'Access-Control-Request-Headers',
      'X-Cors-Vouch',
    ]);
    expect(VOUCH_HEADER).toBe('x-cors-vouch');
  });

  it('creates the KeyValueStore and associates it with the function only with "originStore"', () => {
    expect(template.Resources['OriginStore']).toMatchObject({ Type: 'AWS::CloudFront::KeyValueStore', Condition: 'UseOriginStore' });
    expect(template.Resources['ViewerRequestFunction']!.Properties['FunctionConfig'].KeyValueStoreAssociations).toEqual({
      'Fn::If': ['UseOriginStore', [{ KeyValueStoreARN: { 'Fn::GetAtt': ['OriginStore', 'Arn'] } }], { Ref: 'AWS::NoValue' }],
    });
    expect(template.Outputs['KeyValueStoreArn']).toMatchObject({ Condition: 'UseOriginStore', Value: { 'Fn::GetAtt': ['OriginStore', 'Arn'] } });
    const [assertion] = template.Rules['StoreNeedsTheFunction']!.Assertions;
    expect(assertion!.Assert).toEqual({ 'Fn::Equals': [{ Ref: 'ViewerRequestRuntime' }, 'cloudfront-functions'] });
  });

  it('creates a distribution only on request, using every piece', () => {
    const distribution = template.Resources['Distribution']!;
    expect(distribution.Condition).toBe('CreateDistribution');
    const behavior = distribution.Properties['DistributionConfig'].DefaultCacheBehavior;
    expect(behavior.CachePolicyId).toEqual({ Ref: 'CachePolicy' });
    expect(JSON.stringify(behavior.LambdaFunctionAssociations)).toContain('OriginResponseLambda.Version');
    expect(JSON.stringify(behavior.FunctionAssociations)).toContain('ViewerRequestFunction');
  });

  it('names its outputs as SPEC §8 says', () => {
    expect(template.Outputs).toMatchObject({
      ViewerRequestFunctionArn: { Value: { 'Fn::GetAtt': ['ViewerRequestFunction', 'FunctionARN'] } },
      ViewerRequestLambdaVersionArn: { Value: { Ref: 'ViewerRequestLambda.Version' } },
      OriginResponseLambdaVersionArn: { Value: { Ref: 'OriginResponseLambda.Version' } },
      CachePolicyId: { Value: { Ref: 'CachePolicy' } },
    });
  });

  it('cannot be deployed itself: TemplateSource has no value, and only the built template drops it', () => {
    expect(template.Parameters['TemplateSource']).toMatchObject({ AllowedValues: ['npx cloudfront-cors build'] });
    expect(template.Parameters['TemplateSource']!.Default).toBeUndefined();
    expect(deployable.Parameters).not.toHaveProperty('TemplateSource');
  });

  it('deploys exactly the CloudFront Function the build made, byte for byte', () => {
    const code = deployable.Resources['ViewerRequestFunction']!.Properties['FunctionCode'];
    expect(code).toBe(artifacts.functionCode);
  });

  it('points the Lambda code at the built folders, relative to dist/', () => {
    expect(deployable.Resources['ViewerRequestLambda']!.Properties['CodeUri']).toBe('lambda-edge/viewer-request');
    expect(deployable.Resources['OriginResponseLambda']!.Properties['CodeUri']).toBe('lambda-edge/origin-response');
  });

  it('writes the policy\'s preflight mode and methods in, not as parameters samconfig.toml would freeze', async () => {
    const conditions = (t: Template) => (t as unknown as { Conditions: Record<string, unknown> }).Conditions;
    const methods = (t: Template) => t.Resources['Distribution']!.Properties['DistributionConfig'].DefaultCacheBehavior.AllowedMethods;
    expect(deployable.Parameters).not.toHaveProperty('Preflight');
    expect(deployable.Parameters).not.toHaveProperty('AllowedMethods');
    expect(conditions(deployable)['PreflightAtOrigin']).toEqual({ 'Fn::Equals': ['edge', 'origin'] });
    expect(methods(deployable)).toEqual(['GET', 'HEAD', 'OPTIONS', 'PUT', 'POST', 'PATCH', 'DELETE']);
    const readOnly = await builtArtifacts({ allowOrigins: ['https://a.example.com'], preflight: 'origin' });
    const other = parseTemplate(readFileSync(join(readOnly.dist, 'template.yaml'), 'utf8')) as Template;
    expect(conditions(other)['PreflightAtOrigin']).toEqual({ 'Fn::Equals': ['origin', 'origin'] });
    expect(methods(other)).toEqual(['GET', 'HEAD', 'OPTIONS']);
  });

  it('differs from template.yaml only where the build fills it in', () => {
    const filled = structuredClone(deployable);
    const original = source();
    for (const id of ['ViewerRequestLambda', 'OriginResponseLambda']) {
      filled.Resources[id]!.Properties['CodeUri'] = original.Resources[id]!.Properties['CodeUri'];
    }
    filled.Resources['ViewerRequestFunction']!.Properties['FunctionCode'] = original.Resources['ViewerRequestFunction']!.Properties['FunctionCode'];
    const behavior = (t: Template) => t.Resources['Distribution']!.Properties['DistributionConfig'].DefaultCacheBehavior;
    behavior(filled).AllowedMethods = behavior(original).AllowedMethods;
    const conditions = (t: Template) => (t as unknown as { Conditions: Record<string, unknown> }).Conditions;
    for (const name of ['PreflightAtOrigin', 'UseOriginStore']) conditions(filled)[name] = conditions(original)[name];
    const rules = (t: Template) => (t as unknown as { Rules: Record<string, { RuleCondition: unknown }> }).Rules;
    rules(filled)['StoreNeedsTheFunction']!.RuleCondition = rules(original)['StoreNeedsTheFunction']!.RuleCondition;
    filled.Parameters = original.Parameters;
    // The source's description tells how to deploy it; the deployed stack's says what it is.
    expect((filled as unknown as { Description: string }).Description).toMatch(/^cloudfront-cors: .*built by npx cloudfront-cors build/);
    (filled as unknown as { Description: string }).Description = (original as unknown as { Description: string }).Description;
    expect(filled).toEqual(original);
  });
});
