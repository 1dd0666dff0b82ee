/**
 * `cloudfront-cors/cdk` (SPEC §9): stacks synthesized with aws-cdk-lib's assertions, in us-east-1 and
 * in eu-west-1 (where the Lambda@Edge functions land in the us-east-1 support stack). The function
 * code is the build's artifact for the policy; the resources are the SAM template's, names aside;
 * cdk-nag's AwsSolutions pack finds nothing the construct could avoid.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Aspects, Stack, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import { AwsSolutionsChecks } from 'cdk-nag';
import { AwsSolutionsChecks as AwsSolutionsChecks2 } from 'cdk-nag-2';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../../build/build.ts';
import { PolicyError, policyMethods } from '../../build/policy-file.ts';
import { parseTemplate } from '../../build/template.ts';
import { CloudFrontCors, type CloudFrontCorsProps } from '../../cdk/index.ts';
import { builtArtifacts, testPolicy, type Artifacts } from '../support/artifacts.ts';

const EXAMPLE = join(ROOT, 'test', 'policies', 'example.json');

interface Synthesized {
  app: App;
  site: Template;
  /** Where the Lambda@Edge functions are: the site's stack in us-east-1, the support stack elsewhere. */
  edge: Template;
  cors: CloudFrontCors;
}

/** A site stack with an HTTP origin behind a distribution whose default behavior is cloudfront-cors'. */
function site(region: string, props: CloudFrontCorsProps) {
  const app = new App();
  const stack = new Stack(app, 'Site', { env: { account: '123456789012', region } });
  const cors = new CloudFrontCors(stack, 'Cors', props);
  new cloudfront.Distribution(stack, 'Distribution', { defaultBehavior: { origin: new origins.HttpOrigin('api.example.com'), ...cors.behaviorOptions } });
  return { app, stack, cors };
}

function synthesize(region: string, props: CloudFrontCorsProps): Synthesized {
  const { app, stack, cors } = site(region, props);
  const support = app.node.children.find((child): child is Stack => child instanceof Stack && child !== stack);
  return { app, cors, site: Template.fromStack(stack), edge: Template.fromStack(support ?? stack) };
}

type Resource = { Type: string; Properties: Record<string, any> };
const samTemplate = parseTemplate(readFileSync(join(ROOT, 'template.yaml'), 'utf8')) as { Resources: Record<string, Resource> };
const sam = (id: string) => samTemplate.Resources[id]!.Properties;

function only(template: Template, type: string): Record<string, any> {
  const found = Object.values(template.findResources(type));
  expect(found, type).toHaveLength(1);
  return (found[0] as Resource).Properties;
}

describe.each([
  ['us-east-1', 'in its own stack'],
  ['eu-west-1', 'in the us-east-1 support stack'],
])('CloudFrontCors in %s: Lambda@Edge %s', (region) => {
  let synthesized: Synthesized;
  let artifacts: Artifacts;
  beforeAll(async () => {
    artifacts = await builtArtifacts(testPolicy('example'));
    synthesized = synthesize(region, { config: EXAMPLE });
  });

  it('puts the built CloudFront Function for the policy on viewer request, within 10 KB', () => {
    const fn = only(synthesized.site, 'AWS::CloudFront::Function');
    expect(fn['FunctionCode']).toBe(artifacts.functionCode);
    expect(Buffer.byteLength(fn['FunctionCode'])).toBeLessThanOrEqual(10_240);
    expect(fn['FunctionConfig']).toMatchObject({ Runtime: sam('ViewerRequestFunction')['FunctionConfig'].Runtime });
    expect(fn['AutoPublish']).toBe(true);
  });

  it('creates both Lambda@Edge functions as the SAM template does: runtime, memory, timeout, x86_64, a kept numbered version', () => {
    const functions = Object.values(synthesized.edge.findResources('AWS::Lambda::Function')) as Resource[];
    expect(functions).toHaveLength(2);
    for (const [fn, id] of functions.map((f, i) => [f.Properties, i === 0 ? 'ViewerRequestLambda' : 'OriginResponseLambda'] as const)) {
      const template = sam(id);
      expect(fn).toMatchObject({ Runtime: template['Runtime'], Handler: template['Handler'], MemorySize: template['MemorySize'], Timeout: template['Timeout'] });
      expect(fn['Architectures'] ?? ['x86_64']).toEqual(template['Architectures']);
    }
    const versions = Object.values(synthesized.edge.findResources('AWS::Lambda::Version')) as Array<Resource & { DeletionPolicy?: string }>;
    expect(versions.map((version) => version.DeletionPolicy)).toEqual(['Retain', 'Retain']);
  });

  it('gives each function a role trusted by lambda and edgelambda that may write its own logs and nothing else', () => {
    const roles = Object.values(synthesized.edge.findResources('AWS::IAM::Role')) as Resource[];
    expect(roles).toHaveLength(2);
    const samRole = sam('EdgeFunctionRole');
    for (const role of roles) {
      const services = role.Properties['AssumeRolePolicyDocument'].Statement.flatMap((statement: { Principal: { Service: string | string[] } }) => statement.Principal.Service);
      expect(services.sort()).toEqual([...samRole['AssumeRolePolicyDocument'].Statement[0].Principal.Service].sort());
      expect(role.Properties['ManagedPolicyArns'] ?? []).toEqual([]);
    }
    const policies = Object.values(synthesized.edge.findResources('AWS::IAM::Policy')) as Resource[];
    expect(policies).toHaveLength(2);
    const samStatement = samRole['Policies'][0].PolicyDocument.Statement[0];
    for (const policy of policies) {
      const [statement, ...more] = policy.Properties['PolicyDocument'].Statement;
      expect(more).toEqual([]);
      expect(statement.Action).toEqual(samStatement.Action);
      expect(JSON.stringify(statement.Resource)).toMatch(/:logs:\*:.*:log-group:\/aws\/lambda\/us-east-1\./);
      expect(JSON.stringify(statement.Resource)).toContain(':log-stream:*');
    }
  });

  it('creates the SAM template\'s cache policy, names aside: path, query string and Origin', () => {
    const { Name: _name, Comment: _comment, ...config } = only(synthesized.site, 'AWS::CloudFront::CachePolicy')['CachePolicyConfig'];
    const { Name: _samName, Comment: _samComment, ...expected } = sam('CachePolicy')['CachePolicyConfig'];
    expect(config).toEqual(expected);
  });

  it('attaches everything to the behavior it is spread into, OPTIONS and the policy\'s methods included', () => {
    const behavior = only(synthesized.site, 'AWS::CloudFront::Distribution')['DistributionConfig'].DefaultCacheBehavior;
    expect(behavior.FunctionAssociations).toEqual([{ EventType: 'viewer-request', FunctionARN: { 'Fn::GetAtt': [expect.stringMatching(/ViewerRequestFunction/), 'FunctionARN'] } }]);
    expect(behavior.LambdaFunctionAssociations).toEqual([expect.objectContaining({ EventType: 'origin-response' })]);
    expect(behavior.AllowedMethods).toEqual(['GET', 'HEAD', 'OPTIONS', 'PUT', 'PATCH', 'POST', 'DELETE']);
    expect(behavior.CachedMethods).toEqual(['GET', 'HEAD']);
    expect(behavior.CachePolicyId).toEqual({ Ref: expect.stringMatching(/CachePolicy/) });
    expect(behavior.OriginRequestPolicyId).toBeUndefined();
  });
});

describe('CloudFrontCors, the other shapes', () => {
  it('keeps two constructs in one stack outside us-east-1 apart in the shared support stack', () => {
    const app = new App();
    const stack = new Stack(app, 'Site', { env: { region: 'eu-west-1' } });
    new CloudFrontCors(stack, 'Assets', { config: EXAMPLE });
    new CloudFrontCors(stack, 'Api', { config: { allowOrigins: ['https://app.example.com'] }, viewerRequest: 'lambda' });
    const stacks = app.synth().stacks;
    const edge = stacks.find((s) => s.environment.region === 'us-east-1')!;
    expect(Object.values(edge.template.Resources as Record<string, { Type: string }>).filter((r) => r.Type === 'AWS::Lambda::Function')).toHaveLength(4);
  });

  it('says its stack needs a region, instead of failing deep in the CDK', () => {
    const app = new App();
    expect(() => new CloudFrontCors(new Stack(app, 'Site'), 'Cors', { config: EXAMPLE })).toThrow(
      /CloudFrontCors Site\/Cors: its stack needs a region, e\.g\. new Stack\(app, 'Site', \{ env: \{ region: 'eu-west-1' \} \}\)/,
    );
  });

  it('refuses a policy that holds a token, and a viewerRequest it does not know', () => {
    const app = new App();
    const stack = new Stack(app, 'Site', { env: { region: 'us-east-1' } });
    expect(() => new CloudFrontCors(stack, 'Cors', { config: { allowOrigins: [`https://${stack.account}.example.com`] } })).toThrow(/must be known at synth time/);
    expect(() => new CloudFrontCors(stack, 'Other', { config: EXAMPLE, viewerRequest: 'lambda-edge' as 'lambda' })).toThrow(/viewerRequest is 'function' or 'lambda', not "lambda-edge"/);
  });

  it('keeps its assets in the cloud assembly, so a synth that does not stage assets still finds them', () => {
    const app = new App({ context: { 'aws:cdk:disable-asset-staging': true } });
    const stack = new Stack(app, 'Site', { env: { region: 'us-east-1' } });
    new CloudFrontCors(stack, 'Cors', { config: EXAMPLE });
    const assembly = app.synth();
    const manifest = JSON.parse(readFileSync(join(assembly.directory, 'Site.assets.json'), 'utf8')) as { files: Record<string, { source: { path: string } }> };
    const paths = Object.values(manifest.files).map((file) => file.source.path).filter((path) => path.includes('lambda-edge'));
    expect(paths).toHaveLength(2);
    for (const path of paths) expect(existsSync(join(assembly.directory, path)) || existsSync(path), path).toBe(true);
  });

  it('honours cdk-nag 2\'s acknowledgements too (Aspects, cdk_nag metadata)', () => {
    for (const [region, viewerRequest] of [['us-east-1', 'function'], ['eu-west-1', 'lambda']] as const) {
      const { app } = site(region, { config: { allowOrigins: ['https://app.example.com'] }, viewerRequest });
      Aspects.of(app).add(new AwsSolutionsChecks2());
      const assembly = app.synth();
      const errors = assembly.stacks.flatMap((s) => s.messages)
        .filter((m) => m.level === 'error' && /AwsSolutions/.test(String(m.entry.data)) && /\/Cors\/|edge-lambda-stack/.test(m.id));
      expect(errors.map((m) => `${m.id}: ${String(m.entry.data)}`)).toEqual([]);
    }
  });

  it('with viewerRequest "lambda", puts the Lambda@Edge viewer request on the behavior and no CloudFront Function', async () => {
    const { site, edge, cors } = synthesize('eu-west-1', { config: EXAMPLE, viewerRequest: 'lambda' });
    site.resourceCountIs('AWS::CloudFront::Function', 0);
    expect(cors.viewerRequestFunction).toBeUndefined();
    const functions = Object.values(edge.findResources('AWS::Lambda::Function')) as Resource[];
    expect(functions.map((fn) => fn.Properties['Runtime'])).toEqual(['nodejs22.x', 'nodejs22.x']);
    edge.resourceCountIs('AWS::Lambda::Version', 2);
    const behavior = only(site, 'AWS::CloudFront::Distribution')['DistributionConfig'].DefaultCacheBehavior;
    expect(behavior.FunctionAssociations).toBeUndefined();
    expect(behavior.LambdaFunctionAssociations.map((a: { EventType: string }) => a.EventType)).toEqual(['viewer-request', 'origin-response']);
  });

  it('builds a policy object, and with preflight "origin" creates the origin request policy and attaches it', () => {
    const { site, cors } = synthesize('us-east-1', { config: { allowOrigins: ['https://app.example.com'], preflight: 'origin' } });
    expect(policyMethods(cors.policy)).toEqual(['GET', 'HEAD']);
    const { Name: _name, Comment: _comment, ...config } = only(site, 'AWS::CloudFront::OriginRequestPolicy')['OriginRequestPolicyConfig'];
    const { Name: _samName, Comment: _samComment, ...expected } = sam('PreflightOriginRequestPolicy')['OriginRequestPolicyConfig'];
    expect(config).toEqual(expected);
    const behavior = only(site, 'AWS::CloudFront::Distribution')['DistributionConfig'].DefaultCacheBehavior;
    expect(behavior.OriginRequestPolicyId).toEqual({ Ref: expect.stringMatching(/PreflightOriginRequestPolicy/) });
    expect(behavior.AllowedMethods).toEqual(['GET', 'HEAD', 'OPTIONS']);
  });

  it('with "originStore" creates the KeyValueStore, associates it, outputs KeyValueStoreArn and forwards the vouch', () => {
    // Prepare: a project folder holding the policy, where the store secret goes.
    const project = mkdtempSync(join(tmpdir(), 'cloudfront-cors-cdk-store-'));
    try {
      writeFileSync(join(project, 'cors.config.json'), JSON.stringify({ allowOrigins: ['https://app.example.com'], originStore: 'keyvaluestore' }));
      // Act: two synths of the same project
      const first = synthesize('eu-west-1', { config: join(project, 'cors.config.json') });
      const second = synthesize('eu-west-1', { config: join(project, 'cors.config.json') });
      // Assess
      const store = only(first.site, 'AWS::CloudFront::KeyValueStore');
      expect(store).toBeDefined();
      const fn = only(first.site, 'AWS::CloudFront::Function');
      expect(fn['FunctionConfig'].KeyValueStoreAssociations).toEqual([{ KeyValueStoreARN: { 'Fn::GetAtt': [expect.stringMatching(/OriginStore/), 'Arn'] } }]);
      expect(fn['FunctionCode']).toMatch(/^import [\w$]+ from"cloudfront";/);
      expect(only(second.site, 'AWS::CloudFront::Function')['FunctionCode']).toBe(fn['FunctionCode']);
      expect(readFileSync(join(project, 'cors.secret'), 'utf8')).toMatch(/^[0-9a-f]{64}\n$/);
      expect(first.site.findOutputs('KeyValueStoreArn')).toEqual({ KeyValueStoreArn: expect.objectContaining({ Value: { 'Fn::GetAtt': [expect.stringMatching(/OriginStore/), 'Arn'] } }) });
      const { Name: _name, Comment: _comment, ...config } = only(first.site, 'AWS::CloudFront::OriginRequestPolicy')['OriginRequestPolicyConfig'];
      const { Name: _samName, Comment: _samComment, ...expected } = sam('PreflightOriginRequestPolicy')['OriginRequestPolicyConfig'];
      expect(config).toEqual(expected);
      const behavior = only(first.site, 'AWS::CloudFront::Distribution')['DistributionConfig'].DefaultCacheBehavior;
      expect(behavior.OriginRequestPolicyId).toEqual({ Ref: expect.stringMatching(/PreflightOriginRequestPolicy/) });
      expect(() => synthesize('us-east-1', { config: join(project, 'cors.config.json'), viewerRequest: 'lambda' })).toThrow(/only the CloudFront Function can read a KeyValueStore/);
    } finally {
      rmSync(project, { recursive: true, force: true });
    }
  });

  it('fails synthesis on a refused policy with the messages validate gives', () => {
    let refused: unknown;
    try {
      synthesize('us-east-1', { config: { allowOrigins: ['https://*.amazonaws.com', 'null'] } });
    } catch (error) {
      refused = error;
    }
    expect(refused).toBeInstanceOf(PolicyError);
    expect((refused as PolicyError).problems).toEqual([
      expect.stringMatching(/^allowOrigins\[0\] "https:\/\/\*\.amazonaws\.com": .*public suffix beneath it/),
      expect.stringMatching(/^allowOrigins\[1\] "null": /),
    ]);
  });

  it('fails synthesis on a policy over the CloudFront Function\'s 10 KB, and builds it with viewerRequest "lambda"', () => {
    const config = { allowOrigins: Array.from({ length: 400 }, (_, i) => `https://s${i}.shop${i}.com`) };
    expect(() => synthesize('us-east-1', { config })).toThrow(/over CloudFront's size limit: cloudfront-functions\/viewer-request\.js/);
    expect(() => synthesize('us-east-1', { config, viewerRequest: 'lambda' })).not.toThrow();
  });

  it.each([
    ['us-east-1', 'function'],
    ['eu-west-1', 'lambda'],
  ] as const)('leaves cdk-nag\'s AwsSolutions pack nothing to say about the construct (%s, %s)', (region, viewerRequest) => {
    const { app } = site(region, { config: { allowOrigins: ['https://app.example.com'], preflight: 'origin' }, viewerRequest });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    let report = '';
    try {
      app.synth();
    } catch (error) {
      report = (error as Error).message;
    }
    // The distribution is the test's own (its logging, TLS and WAF are the user's choices); the
    // construct's resources are those under /Cors/ and the support stack's functions.
    const findings = report.split('\n\n').filter((finding) => /AwsSolutions/.test(finding) && /\/Cors\/|edge-lambda-stack/.test(finding));
    expect(report).toMatch(/AwsSolutions/); // the pack ran: it has things to say about the test's distribution
    expect(findings).toEqual([]);
  });
});
