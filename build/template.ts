/**
 * The deployable template (`dist/template.yaml`): `template.yaml` with the built CloudFront Function
 * inlined (CloudFormation takes that code inline only), code paths relative to `dist/`, and the
 * policy's preflight mode and methods written in where the source refers to the `Preflight` and
 * `AllowedMethods` parameters. Literals, not parameter defaults: `sam deploy --guided` saves every
 * parameter's value in samconfig.toml, and a saved value would outlive a change to the policy.
 * Written by every full build, so the code deployed is always the code just built and tested.
 */
import { Scalar, isScalar, isSeq, parse, parseDocument, visit, type Document, type Tags } from 'yaml';
import type { CorsPolicy } from '../functions/core/policy.ts';
import { policyMethods } from './policy-file.ts';
import { cloudFrontAllowedMethods } from './cloudfront-methods.ts';

/** Where the CloudFront Function's code goes in the template. */
const FUNCTION_CODE_PATH = ['Resources', 'ViewerRequestFunction', 'Properties', 'FunctionCode'];

/**
 * Returns the deployable template for a source template, the built CloudFront Function and the policy.
 * Everything else (comments, order, short-form tags) is kept as written.
 */
export function deployableTemplate(source: string, functionCode: string | null, policy: CorsPolicy): string {
  const doc = parseDocument(source, { logLevel: 'error' });
  if (!doc.hasIn(FUNCTION_CODE_PATH)) throw new Error(`template.yaml has no ${FUNCTION_CODE_PATH.join('.')}`);
  if (functionCode === null) {
    withoutCloudFrontFunction(doc);
  } else {
    const code = new Scalar(functionCode);
    code.type = Scalar.BLOCK_LITERAL;
    doc.setIn(FUNCTION_CODE_PATH, code);
  }

  const literals: Record<string, unknown> = {
    Preflight: policy.preflight,
    OriginStore: policy.originStore ?? 'none',
    AllowedMethods: cloudFrontAllowedMethods(policyMethods(policy)),
  };
  visit(doc, {
    Scalar(_, node) {
      if (node.tag === '!Ref' && typeof node.value === 'string' && node.value in literals) return doc.createNode(literals[node.value]);
      return undefined;
    },
  });
  doc.set('Description', 'cloudfront-cors: CORS for many origins behind one CloudFront cache (built by npx cloudfront-cors build)');
  // The guard that keeps template.yaml itself from deploying, and the parameters now written in.
  for (const name of ['TemplateSource', ...Object.keys(literals)]) doc.deleteIn(['Parameters', name]);

  // The template moves into dist/, so code paths lose their `dist/` prefix.
  const resources = doc.get('Resources', true) as { items: Array<{ key: unknown }> } | undefined;
  for (const { key } of resources?.items ?? []) {
    if (!isScalar(key)) continue;
    const path = ['Resources', String(key), 'Properties', 'CodeUri'];
    const uri = doc.getIn(path);
    if (typeof uri === 'string' && uri.startsWith('dist/')) doc.setIn(path, uri.slice('dist/'.length));
  }
  return doc.toString({ lineWidth: 0 });
}

/**
 * The template for a deployment whose viewer request is the Lambda@Edge function only (a policy
 * over the CloudFront Function's 10 KB): no CloudFront Function, no output naming it, and every
 * `!If [ViewerRequestByFunction, …]` resolved to its Lambda@Edge branch, since CloudFormation
 * refuses a reference to a missing resource even in a branch it would not take.
 */
function withoutCloudFrontFunction(doc: Document): void {
  doc.deleteIn(['Resources', 'ViewerRequestFunction']);
  doc.deleteIn(['Outputs', 'ViewerRequestFunctionArn']);
  const isNoValue = (node: unknown) => isScalar(node) && node.tag === '!Ref' && node.value === 'AWS::NoValue';
  const lambdaBranch = (node: unknown): unknown => {
    if (!isSeq(node) || node.tag !== '!If') return undefined;
    const [condition, , otherwise] = node.items;
    return isScalar(condition) && condition.value === 'ViewerRequestByFunction' ? otherwise : undefined;
  };
  visit(doc, {
    Pair(_, pair) {
      const branch = lambdaBranch(pair.value);
      if (branch === undefined) return undefined;
      if (isNoValue(branch)) return visit.REMOVE;
      pair.value = branch as typeof pair.value;
      return undefined;
    },
    Seq(_, seq) {
      if (lambdaBranch(seq) !== undefined) return undefined; // handled as an item below
      seq.items = seq.items.flatMap((item) => {
        const branch = lambdaBranch(item);
        if (branch === undefined) return [item];
        return isNoValue(branch) ? [] : [branch as typeof item];
      });
      return undefined;
    },
  });
  doc.deleteIn(['Conditions', 'ViewerRequestByFunction']);
  doc.deleteIn(['Parameters', 'ViewerRequestRuntime']);
}

/** Names of CloudFormation's short-form intrinsic functions (`!Ref`, `!GetAtt`, …). */
const INTRINSICS = ['Ref', 'Condition', 'Base64', 'Cidr', 'Equals', 'FindInMap', 'GetAZs', 'GetAtt', 'If', 'ImportValue', 'Join',
  'Not', 'And', 'Or', 'Select', 'Split', 'Sub', 'Transform', 'ToJsonString', 'Length'];

/** The short forms as `yaml` custom tags, each read as its long JSON form (`!Ref X` is `{ Ref: X }`). */
const CLOUDFORMATION_TAGS: Tags = INTRINSICS.flatMap((name) => {
  const key = name === 'Ref' || name === 'Condition' ? name : `Fn::${name}`;
  return [
    { tag: `!${name}`, resolve: (value: string) => ({ [key]: name === 'GetAtt' ? value.split('.') : value }) },
    { tag: `!${name}`, collection: 'seq' as const, resolve: (seq: { toJSON(): unknown }) => ({ [key]: seq.toJSON() }) },
    { tag: `!${name}`, collection: 'map' as const, resolve: (map: { toJSON(): unknown }) => ({ [key]: map.toJSON() }) },
  ];
});

/** Parses a CloudFormation YAML template into its JSON form, short-form tags included. */
export function parseTemplate(text: string): Record<string, unknown> {
  return parse(text, { customTags: CLOUDFORMATION_TAGS }) as Record<string, unknown>;
}
