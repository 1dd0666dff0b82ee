/**
 * Checks a CloudFormation template (in JSON form) against AWS's own resource specification, as
 * published in `@aws-cdk/aws-service-spec` (every CloudFormation and SAM resource type, with each
 * property's type and whether it is required), and checks that every `Ref`, `GetAtt` and
 * condition names something the template defines.
 */
import { loadAwsServiceSpec } from '@aws-cdk/aws-service-spec';
import type { Property, PropertyType, SpecDatabase } from '@aws-cdk/service-spec-types';

type Json = unknown;
const isObject = (value: Json): value is Record<string, Json> => value !== null && typeof value === 'object' && !Array.isArray(value);

/** `{ Ref: … }`, `{ "Fn::…": … }` or `{ Condition: … }`: resolved by CloudFormation, not checked by type. */
function isIntrinsic(value: Json): boolean {
  if (!isObject(value)) return false;
  const keys = Object.keys(value);
  return keys.length === 1 && (keys[0] === 'Ref' || keys[0] === 'Condition' || keys[0]!.startsWith('Fn::'));
}

let database: Promise<SpecDatabase> | undefined;

/** Returns every way the template's resources disagree with the specification. */
export async function specificationProblems(template: Record<string, Json>): Promise<string[]> {
  const db = await (database ??= loadAwsServiceSpec());
  const problems: string[] = [];

  function checkProperties(path: string, value: Json, properties: Record<string, Property>): void {
    if (isIntrinsic(value)) return;
    if (!isObject(value)) return void problems.push(`${path}: expected an object`);
    for (const name of Object.keys(value)) {
      if (!(name in properties)) problems.push(`${path}.${name}: no such property (known: ${Object.keys(properties).join(', ')})`);
    }
    for (const [name, property] of Object.entries(properties)) {
      if (property.required && !(name in value)) problems.push(`${path}.${name}: required`);
      if (name in value) checkType(`${path}.${name}`, value[name], property.type);
    }
  }

  function checkType(path: string, value: Json, type: PropertyType): void {
    if (isIntrinsic(value)) return;
    switch (type.type) {
      case 'string':
      case 'date-time':
        if (typeof value !== 'string' && typeof value !== 'number') problems.push(`${path}: expected a string, got ${JSON.stringify(value)}`);
        return;
      case 'integer':
      case 'number':
        if (typeof value !== 'number' && !(typeof value === 'string' && value.trim() !== '' && !Number.isNaN(Number(value)))) {
          problems.push(`${path}: expected a number, got ${JSON.stringify(value)}`);
        }
        return;
      case 'boolean':
        if (typeof value !== 'boolean' && value !== 'true' && value !== 'false') problems.push(`${path}: expected a boolean, got ${JSON.stringify(value)}`);
        return;
      case 'array':
        if (!Array.isArray(value)) return void problems.push(`${path}: expected a list`);
        value.forEach((element, i) => checkType(`${path}[${i}]`, element, type.element));
        return;
      case 'map':
        if (!isObject(value)) return void problems.push(`${path}: expected a map`);
        for (const [key, element] of Object.entries(value)) checkType(`${path}.${key}`, element, type.element);
        return;
      case 'ref': {
        const definition = db.get('typeDefinition', type.reference.$ref);
        return checkProperties(path, value, definition.properties);
      }
      case 'union': {
        const before = problems.length;
        const results = type.types.map((option) => {
          checkType(path, value, option);
          return problems.splice(before).length === 0;
        });
        if (!results.some(Boolean)) problems.push(`${path}: matches none of the allowed types`);
        return;
      }
      case 'tag':
        if (!isObject(value) || !('Key' in value) || !('Value' in value)) problems.push(`${path}: expected a tag { Key, Value }`);
        return;
      default:
        return; // json and other free-form types
    }
  }

  const resources = (template['Resources'] ?? {}) as Record<string, { Type: string; Properties?: Json }>;
  for (const [id, resource] of Object.entries(resources)) {
    const [spec] = db.lookup('resource', 'cloudFormationType', 'equals', resource.Type);
    if (spec === undefined) {
      problems.push(`${id}: unknown resource type ${resource.Type}`);
      continue;
    }
    checkProperties(`${id}.Properties`, resource.Properties ?? {}, spec.properties);
  }
  return problems.concat(referenceProblems(template));
}

const PSEUDO_PARAMETERS = ['AWS::AccountId', 'AWS::NoValue', 'AWS::Partition', 'AWS::Region', 'AWS::StackName', 'AWS::StackId', 'AWS::URLSuffix'];

/** Every `Ref`, `Fn::GetAtt`, `${…}` in `Fn::Sub` and condition name must resolve within the template. */
function referenceProblems(template: Record<string, Json>): string[] {
  const resources = (template['Resources'] ?? {}) as Record<string, { Type: string; Properties?: Record<string, Json>; Condition?: string }>;
  const parameters = Object.keys((template['Parameters'] ?? {}) as object);
  const conditions = Object.keys((template['Conditions'] ?? {}) as object);
  const problems: string[] = [];
  const names = new Set([...Object.keys(resources), ...parameters, ...PSEUDO_PARAMETERS]);
  // SAM: `Function.Version` names the version AutoPublishAlias publishes.
  for (const [id, resource] of Object.entries(resources)) {
    if (resource.Type === 'AWS::Serverless::Function' && resource.Properties?.['AutoPublishAlias']) names.add(`${id}.Version`);
  }
  const walk = (path: string, value: Json): void => {
    if (Array.isArray(value)) return value.forEach((item, i) => walk(`${path}[${i}]`, item));
    if (!isObject(value)) return;
    for (const [key, inner] of Object.entries(value)) {
      if (key === 'Ref' && typeof inner === 'string' && !names.has(inner)) problems.push(`${path}: Ref to unknown ${inner}`);
      if (key === 'Fn::GetAtt' && Array.isArray(inner) && !(String(inner[0]) in resources)) problems.push(`${path}: GetAtt of unknown ${inner[0]}`);
      if (key === 'Fn::Sub' && typeof inner === 'string') {
        for (const [, name] of inner.matchAll(/\$\{([^}!]+)\}/g)) {
          const base = name!.split('.')[0]!;
          if (!names.has(name!) && !(base in resources)) problems.push(`${path}: Sub of unknown ${name}`);
        }
      }
      if ((key === 'Condition' || key === 'Fn::If') && !conditions.includes(String(Array.isArray(inner) ? inner[0] : inner))) {
        if (typeof inner === 'string' || Array.isArray(inner)) problems.push(`${path}: unknown condition ${Array.isArray(inner) ? inner[0] : inner}`);
      }
      walk(`${path}.${key}`, inner);
    }
  };
  for (const section of ['Resources', 'Outputs', 'Conditions', 'Rules']) walk(section, template[section]);
  return problems;
}
