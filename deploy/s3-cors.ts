/**
 * S3 CORS configurations, turned into a policy rule for rule (SPEC §11, `npx cloudfront-cors
 * import`). Reads every form a configuration comes in: the JSON `aws s3api get-bucket-cors`
 * prints, the bare rule array the S3 console shows, the XML `<CORSConfiguration>` (with or without
 * its namespace), and a CloudFormation template's `AWS::S3::Bucket` `CorsConfiguration`, in YAML
 * with short-form tags or in JSON. No AWS SDK here: `--bucket` reads the configuration in
 * `cli/import.ts` and hands its rules over in the API's shape.
 *
 * S3 matches an `AllowedOrigin` as a glob (one `*` standing for any characters) against the
 * `Origin` a browser sends
 * (https://docs.aws.amazon.com/AmazonS3/latest/userguide/ManageCorsUsing.html). A pattern becomes
 * policy entries only when they match the same origins; otherwise it is refused with what else it
 * matches, e.g. `https://*example.com` also matches `https://evilexample.com`.
 */
import { XMLParser } from 'fast-xml-parser';
import { parseTemplate } from '../build/template.ts';
import { PolicyError, validatePolicy, type CorsRuleFile } from '../build/policy-file.ts';
import { Refusal } from '../cli/command.ts';

/** One S3 CORS rule, in the names of the S3 API (`GetBucketCors`) whatever form it came in. */
export interface S3CorsRule {
  ID?: unknown;
  AllowedOrigins?: unknown;
  AllowedMethods?: unknown;
  AllowedHeaders?: unknown;
  ExposeHeaders?: unknown;
  MaxAgeSeconds?: unknown;
}

/** A configuration as read: its rules, which form it was, and how its rules are named in messages. */
export interface S3CorsConfiguration {
  rules: S3CorsRule[];
  /** e.g. `get-bucket-cors JSON`, `CloudFormation template (resource Assets)`. */
  form: string;
  /** `CORSRules`, or `CorsRules` in a CloudFormation template: how a refusal names a rule. */
  rulesKey: string;
}

/** What the import wrote, and what it changed on the way. */
export interface ImportedPolicy {
  /** The policy file's content: a JSON object with `rules`. */
  policy: { rules: CorsRuleFile[] };
  /** Where the policy differs from what S3 did, or reads it differently: one line each. */
  notes: string[];
}

const API_KEYS = ['ID', 'AllowedOrigins', 'AllowedMethods', 'AllowedHeaders', 'ExposeHeaders', 'MaxAgeSeconds'];

/** A CloudFormation `CorsRule`'s keys, and their names in the S3 API. */
const TEMPLATE_KEYS: Record<string, keyof S3CorsRule> = {
  Id: 'ID',
  AllowedOrigins: 'AllowedOrigins',
  AllowedMethods: 'AllowedMethods',
  AllowedHeaders: 'AllowedHeaders',
  ExposedHeaders: 'ExposeHeaders',
  MaxAge: 'MaxAgeSeconds',
};

/** The XML elements of a `CORSRule`, each repeated once per value, and their names in the S3 API. */
const XML_KEYS: Record<string, keyof S3CorsRule> = {
  ID: 'ID',
  AllowedOrigin: 'AllowedOrigins',
  AllowedMethod: 'AllowedMethods',
  AllowedHeader: 'AllowedHeaders',
  ExposeHeader: 'ExposeHeaders',
  MaxAgeSeconds: 'MaxAgeSeconds',
};

/**
 * Reads an S3 CORS configuration in any of its forms, told apart by their content.
 *
 * @param source names the file in messages
 * @param resource the logical id of the bucket, for a template with more than one bucket with CORS rules
 * @throws Refusal naming what the file is not, or which bucket to choose
 */
export function readS3Cors(text: string, source: string, resource?: string): S3CorsConfiguration {
  const body = (text.charCodeAt(0) === 0xfeff ? text.slice(1) : text).trim();
  if (body === '') throw new Refusal(`${source} is empty: write the bucket's CORS configuration there (aws s3api get-bucket-cors --bucket NAME > ${source})`);
  if (body.startsWith('<')) return { rules: xmlRules(body, source), form: 'XML', rulesKey: 'CORSRule' };
  if (body.startsWith('[')) return { rules: ruleList(parseJson(body, source), source, 'the S3 console\'s rule array'), form: 'the S3 console\'s rule array', rulesKey: 'rules' };
  if (body.startsWith('{')) {
    const json = parseJson(body, source) as Record<string, unknown>;
    if ('Resources' in json) return templateRules(json, source, resource, 'JSON');
    if ('CORSRules' in json) return { rules: ruleList(json['CORSRules'], source, 'CORSRules'), form: 'get-bucket-cors JSON', rulesKey: 'CORSRules' };
    if ('CORSConfiguration' in json) {
      const inner = json['CORSConfiguration'] as Record<string, unknown> | null;
      return { rules: ruleList(inner?.['CORSRules'], source, 'CORSConfiguration.CORSRules'), form: 'put-bucket-cors JSON', rulesKey: 'CORSRules' };
    }
    throw new Refusal(`${source} is JSON without "CORSRules" or "Resources": give the output of aws s3api get-bucket-cors, the rule array the S3 console shows, or a CloudFormation template`);
  }
  let template: Record<string, unknown>;
  try {
    template = parseTemplate(body);
  } catch (error) {
    throw new Refusal(`${source} is neither JSON, XML nor YAML (${(error as Error).message.split('\n')[0]}): give the output of aws s3api get-bucket-cors, the S3 console's rule array, its XML, or a CloudFormation template`);
  }
  if (template === null || typeof template !== 'object' || !('Resources' in template)) {
    throw new Refusal(`${source} is YAML without "Resources": a CloudFormation template holds the bucket under Resources; or give the output of aws s3api get-bucket-cors`);
  }
  return templateRules(template, source, resource, 'YAML');
}

function parseJson(body: string, source: string): unknown {
  try {
    return JSON.parse(body);
  } catch (error) {
    throw new Refusal(`${source} starts like JSON but is not JSON: ${(error as Error).message}`);
  }
}

/** Rules in the API's shape (get-bucket-cors, the console): an array of objects. */
function ruleList(value: unknown, source: string, where: string): S3CorsRule[] {
  if (!Array.isArray(value) || value.length === 0) throw new Refusal(`${source}: ${where} holds no rule; a CORS configuration has at least one`);
  return value.map((rule, index) => {
    if (rule === null || typeof rule !== 'object' || Array.isArray(rule)) throw new Refusal(`${source}: ${where}[${index}] is not a rule object`);
    const unknown = Object.keys(rule).filter((key) => !API_KEYS.includes(key));
    if (unknown.length > 0) throw new Refusal(`${source}: ${where}[${index}] has ${unknown.map((key) => `"${key}"`).join(', ')}, which S3 CORS rules do not (their keys: ${API_KEYS.join(', ')})`);
    return rule as S3CorsRule;
  });
}

/** `<CORSConfiguration><CORSRule>…</CORSRule></CORSConfiguration>`, namespace or not. */
function xmlRules(body: string, source: string): S3CorsRule[] {
  const parser = new XMLParser({
    removeNSPrefix: true,
    ignoreAttributes: true,
    parseTagValue: false,
    trimValues: true,
    isArray: (name) => name === 'CORSRule' || (name in XML_KEYS && name !== 'ID' && name !== 'MaxAgeSeconds'),
  });
  let parsed: Record<string, unknown>;
  try {
    parsed = parser.parse(body, true) as Record<string, unknown>;
  } catch (error) {
    throw new Refusal(`${source} starts like XML but is not well-formed: ${(error as Error).message}`);
  }
  const root = parsed['CORSConfiguration'];
  if (root === undefined) throw new Refusal(`${source} is XML without a <CORSConfiguration> root: give the bucket's CORS configuration`);
  // An empty element reads as "".
  const rules = typeof root === 'object' && root !== null ? (((root as Record<string, unknown>)['CORSRule'] as unknown[] | undefined) ?? []) : [];
  if (rules.length === 0) throw new Refusal(`${source}: <CORSConfiguration> holds no <CORSRule>; a CORS configuration has at least one`);
  return rules.map((rule, index) => {
    const fields = (typeof rule === 'object' && rule !== null ? rule : {}) as Record<string, unknown>;
    const converted: Record<string, unknown> = {};
    for (const [element, value] of Object.entries(fields)) {
      const key = XML_KEYS[element];
      if (key === undefined) throw new Refusal(`${source}: CORSRule[${index}] has <${element}>, which S3 CORS rules do not (their elements: ${Object.keys(XML_KEYS).join(', ')})`);
      converted[key] = value;
    }
    return converted as S3CorsRule;
  });
}

/** The CORS rules of the template's one bucket that has them, or of the bucket `resource` names. */
function templateRules(template: Record<string, unknown>, source: string, resource: string | undefined, language: string): S3CorsConfiguration {
  const resources = (template['Resources'] ?? {}) as Record<string, { Type?: unknown; Properties?: { CorsConfiguration?: { CorsRules?: unknown } } }>;
  const buckets = Object.entries(resources).filter(([, value]) => value?.Type === 'AWS::S3::Bucket' && value.Properties?.CorsConfiguration !== undefined);
  const names = buckets.map(([name]) => name);
  let chosen: string;
  if (resource !== undefined) {
    if (!names.includes(resource)) {
      throw new Refusal(`${source} has no AWS::S3::Bucket "${resource}" with a CorsConfiguration${names.length > 0 ? `; the buckets with one: ${names.join(', ')}` : ''}`);
    }
    chosen = resource;
  } else if (names.length === 1) chosen = names[0] as string;
  else if (names.length === 0) throw new Refusal(`${source} is a CloudFormation template without an AWS::S3::Bucket that has a CorsConfiguration`);
  else throw new Refusal(`${source} has ${names.length} buckets with a CorsConfiguration (${names.join(', ')}): name one with --resource LOGICAL_ID`);
  const rules = resources[chosen]?.Properties?.CorsConfiguration?.CorsRules;
  if (!Array.isArray(rules) || rules.length === 0) throw new Refusal(`${source}: ${chosen}'s CorsConfiguration.CorsRules holds no rule`);
  return {
    form: `CloudFormation template in ${language} (resource ${chosen})`,
    rulesKey: 'CorsRules',
    rules: rules.map((rule: unknown, index) => {
      if (rule === null || typeof rule !== 'object' || Array.isArray(rule)) throw new Refusal(`${source}: ${chosen} CorsRules[${index}] is not a rule object${intrinsic(rule) ? ` but ${intrinsic(rule)}` : ''}`);
      const converted: Record<string, unknown> = {};
      for (const [key, value] of Object.entries(rule)) {
        const name = TEMPLATE_KEYS[key];
        if (name === undefined) throw new Refusal(`${source}: ${chosen} CorsRules[${index}] has "${key}", which AWS::S3::Bucket CorsRule does not (its keys: ${Object.keys(TEMPLATE_KEYS).join(', ')})`);
        converted[name] = value;
      }
      return converted as S3CorsRule;
    }),
  };
}

/** A CloudFormation intrinsic function (`{ "Fn::Sub": … }`, `{ Ref: … }`) named as a person wrote it, or `null`. */
function intrinsic(value: unknown): string | null {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return null;
  const keys = Object.keys(value);
  if (keys.length !== 1) return null;
  const key = keys[0] as string;
  return key === 'Ref' || key === 'Condition' || key.startsWith('Fn::') ? `!${key.replace('Fn::', '')} (a CloudFormation expression, known only when the stack deploys)` : null;
}

/**
 * Turns S3 rules into a policy, rule for rule.
 *
 * @throws Refusal listing every value that cannot be imported, by rule and position, and why
 */
export function convertS3Rules(configuration: S3CorsConfiguration): ImportedPolicy {
  const problems: string[] = [];
  const notes: string[] = [];
  const ids = new Set<string>();
  const rules = configuration.rules.map((rule, index) => {
    const at = `${configuration.rulesKey}[${index}]`;
    const origins = strings(rule.AllowedOrigins, `${at}.AllowedOrigins`, problems, true);
    const methods = strings(rule.AllowedMethods, `${at}.AllowedMethods`, problems, true);
    const headers = strings(rule.AllowedHeaders, `${at}.AllowedHeaders`, problems, false);
    const expose = strings(rule.ExposeHeaders, `${at}.ExposeHeaders`, problems, false);
    const id = ruleId(rule.ID, at, ids, notes);
    const converted: CorsRuleFile = id === undefined ? { allowOrigins: [] } : { id, allowOrigins: [] };
    const any = origins.includes('*');
    if (any) {
      notes.push(
        `${at} AllowedOrigin "*": S3 answers it with the caller's own origin and Access-Control-Allow-Credentials: true, so any site could read ` +
          `credentialed responses; imported as a "*" rule, which answers * and never with credentials` +
          (origins.length > 1 ? ` (its other origins are covered by "*")` : ''),
      );
      converted.allowOrigins = ['*'];
    } else {
      for (const [position, pattern] of origins.entries()) {
        const entries = originEntries(pattern);
        if ('problem' in entries) problems.push(`${at}.AllowedOrigins[${position}] ${JSON.stringify(pattern)}: ${entries.problem}`);
        else {
          if (entries.note !== undefined) notes.push(`${at}.AllowedOrigins[${position}] ${JSON.stringify(pattern)}: ${entries.note}`);
          converted.allowOrigins.push(...entries.entries.filter((entry) => !converted.allowOrigins.includes(entry)));
        }
      }
    }
    converted.allowMethods = methods;
    const allowHeaders = headers.flatMap((header, position) => {
      const star = header.indexOf('*');
      if (star < 0 || star === header.length - 1) return [header];
      problems.push(`${at}.AllowedHeaders[${position}] ${JSON.stringify(header)}: S3 lets "*" stand anywhere in a header name; a policy takes a prefix ("x-amz-*") or "*" alone: list the header names`);
      return [];
    });
    if (allowHeaders.length > 0) converted.allowHeaders = allowHeaders;
    if (expose.length > 0) converted.exposeHeaders = expose;
    // S3 answers every origin a rule names with Access-Control-Allow-Credentials: true.
    if (!any) converted.allowCredentials = true;
    const maxAge = maxAgeOf(rule.MaxAgeSeconds, at, problems, notes);
    if (maxAge !== undefined) converted.maxAge = maxAge;
    return converted;
  });
  const policy = { rules };
  if (problems.length === 0) {
    // The policy's own checks (public suffixes, header tokens, …), named by rule.
    try {
      validatePolicy(policy, 'the imported policy');
    } catch (error) {
      if (!(error instanceof PolicyError)) throw error;
      problems.push(...error.problems.map((problem) => problem.replace(/^rules\[/, `${configuration.rulesKey}[`)));
    }
  }
  if (problems.length > 0) {
    throw new Refusal(
      `nothing written; ${problems.length === 1 ? 'one value cannot be imported' : `${problems.length} values cannot be imported`} (fix them in a copy of the configuration and import that with --from FILE):\n` +
        problems.map((problem) => `  - ${problem}`).join('\n'),
    );
  }
  if (rules.some((rule) => rule.allowCredentials)) {
    notes.push('rules naming origins keep S3\'s Access-Control-Allow-Credentials: true; set "allowCredentials": false in those that serve no cookies or HTTP authentication');
  }
  return { policy, notes };
}

/** A list of strings (S3 lists), every one a string; one value alone (XML, YAML) reads as a list of one. */
function strings(value: unknown, at: string, problems: string[], required: boolean): string[] {
  if (value === undefined) {
    if (required) problems.push(`${at} is missing; S3 requires it in every rule`);
    return [];
  }
  const list = Array.isArray(value) ? value : [value];
  if (required && list.length === 0) problems.push(`${at} is empty; S3 requires at least one`);
  return list.flatMap((item, position) => {
    if (typeof item === 'string') {
      if (item.trim() !== '') return [item.trim()];
      problems.push(`${at}[${position}] is empty: remove it, or write the value it stands for`);
      return [];
    }
    const expression = intrinsic(item);
    problems.push(`${at}[${position}] is ${expression ?? JSON.stringify(item)}: write the value it stands for${expression ? ', or import the deployed bucket with --bucket NAME' : ''}`);
    return [];
  });
}

/** An S3 rule's `ID` as a policy rule `id`, when it can be one; otherwise it is left out, saying so. */
function ruleId(value: unknown, at: string, ids: Set<string>, notes: string[]): string | undefined {
  if (value === undefined || value === '') return undefined;
  const id = String(value);
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(id) || id === 'allowed') {
    notes.push(`${at} ID ${JSON.stringify(id)} is no policy rule id (1 to 64 letters, digits, ".", "_" or "-", not "allowed"); the rule is imported without one`);
    return undefined;
  }
  if (ids.has(id)) {
    notes.push(`${at} ID "${id}" is an earlier rule's too; the rule is imported without one`);
    return undefined;
  }
  ids.add(id);
  return id;
}

/** `MaxAgeSeconds`: a whole number of seconds; more than a day is a day, the most any browser keeps. */
function maxAgeOf(value: unknown, at: string, problems: string[], notes: string[]): number | undefined {
  if (value === undefined) return undefined;
  const seconds = typeof value === 'string' && /^\d+$/.test(value.trim()) ? Number(value) : value;
  if (typeof seconds !== 'number' || !Number.isInteger(seconds) || seconds < 0) {
    const expression = intrinsic(value);
    problems.push(`${at}.MaxAgeSeconds ${expression ?? JSON.stringify(value)}: write a whole number of seconds`);
    return undefined;
  }
  if (seconds > 86400) {
    notes.push(`${at}.MaxAgeSeconds ${seconds}: imported as 86400, a day, the longest any browser keeps a preflight answer`);
    return 86400;
  }
  return seconds;
}

/** What an S3 `AllowedOrigin` pattern becomes: the policy entries that match the same origins, or why there are none. */
export type OriginConversion = { entries: string[]; note?: string } | { problem: string };

/**
 * The policy entries that match what an S3 `AllowedOrigin` matches (`"*"` alone is the caller's
 * business: a `"*"` rule). S3 compares the pattern with the `Origin` a browser sends, a `*`
 * standing for any characters, so:
 * - no `*`: an origin, which must be one browsers send (`scheme://host[:port]`);
 * - `scheme://*.domain[:port]`: a policy wildcard, the same labels in front of `domain`;
 * - `*.domain[:port]`: any scheme, of which browsers' pages have http and https: both wildcards,
 *   saying that other schemes no longer match;
 * - anything else matches more than whole labels (`https://*example.com` matches
 *   `https://evilexample.com`), or a part of a port or scheme, and is refused, naming an origin it
 *   matches that the author cannot have meant.
 *
 * @example originEntries('*.example.com') // { entries: ['https://*.example.com', 'http://*.example.com'], note: … }
 */
export function originEntries(pattern: string): OriginConversion {
  const star = pattern.indexOf('*');
  if (star < 0) {
    if (!pattern.includes('://')) {
      return { problem: `an Origin always starts with its scheme, so S3 never matches this; write "https://${pattern}"` };
    }
    return checked([pattern]);
  }
  if (pattern.indexOf('*', star + 1) >= 0) return { problem: 'S3 takes one "*" in an AllowedOrigin, and refuses this one' };
  const before = pattern.slice(0, star);
  const after = pattern.slice(star + 1);
  const label = /^\.[A-Za-z0-9.-]+(:\d+)?$/;
  if (before === '' && label.test(after)) {
    const result = checked([`https://*${after}`, `http://*${after}`]);
    return 'problem' in result
      ? result
      : { ...result, note: `S3 matched it under any scheme; imported for https and http, the schemes of web pages (write another, e.g. "capacitor://*${after}", if an app needs it)` };
  }
  if (/^[A-Za-z][A-Za-z0-9+.-]*:\/\/$/.test(before) && label.test(after)) return checked([pattern]);
  if (after === '') return { problem: `S3 matches every origin that starts with "${before}" here; write "*" alone for a "*" rule, or list the origins meant` };
  return { problem: `S3 lets "*" stand for any characters here, so it also matches ${JSON.stringify(example(before, after))}; a policy wildcard stands for whole leftmost DNS labels ("https://*.example.com"): list the origins meant` };
}

/** An origin an S3 pattern matches that its author cannot have meant: `evil` where the `*` is. */
function example(before: string, after: string): string {
  return `${before === '' ? 'https://' : before}evil${after}`;
}

/** The entries as the policy writes them, or the policy's reason to refuse one. */
function checked(entries: string[]): OriginConversion {
  try {
    const policy = validatePolicy({ allowOrigins: entries }, 'import');
    return { entries: (policy as { allowOrigins: string[] }).allowOrigins };
  } catch (error) {
    if (!(error instanceof PolicyError)) throw error;
    return { problem: (error.problems[0] as string).replace(/^allowOrigins\[\d+\] "[^"]*": /, '') };
  }
}
