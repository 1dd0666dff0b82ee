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
import { PolicyError, RULE_ID, validatePolicy, type CorsRuleFile } from '../build/policy-file.ts';
import { STORED_VALUE } from '../functions/core/store.ts';
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

/** A configuration as read: its rules, which form it was, and how it names its rules and their keys. */
export interface S3CorsConfiguration {
  rules: S3CorsRule[];
  /** e.g. `get-bucket-cors JSON`, `CloudFormation template in YAML (resource Assets)`. */
  form: string;
  /** `CORSRules`, `CORSRule` in XML, `CorsRules` in a template: how a message names a rule. */
  rulesKey: string;
  /** Each key as the form spells it (`AllowedOrigin` in XML, `MaxAge` in a template), for messages. */
  names: Record<keyof S3CorsRule, string>;
}

/** Whether the configuration came from a CloudFormation template (where `--resource` means something). */
export function isTemplate(configuration: S3CorsConfiguration): boolean {
  return configuration.rulesKey === 'CorsRules';
}

/** The methods S3 takes in `AllowedMethods`; it refuses a configuration with any other. */
const S3_METHODS = ['GET', 'PUT', 'HEAD', 'POST', 'DELETE'];

/** What the import wrote, and what it changed on the way. */
export interface ImportedPolicy {
  /** The policy file's content: a JSON object with `rules`. */
  policy: { rules: CorsRuleFile[] };
  /** Where the policy differs from what S3 did, or reads it differently: one line each. */
  notes: string[];
}

const API_KEYS = ['ID', 'AllowedOrigins', 'AllowedMethods', 'AllowedHeaders', 'ExposeHeaders', 'MaxAgeSeconds'];

/** The S3 API's names, as get-bucket-cors JSON and the console spell them. */
const API_NAMES: Record<keyof S3CorsRule, string> = {
  ID: 'ID',
  AllowedOrigins: 'AllowedOrigins',
  AllowedMethods: 'AllowedMethods',
  AllowedHeaders: 'AllowedHeaders',
  ExposeHeaders: 'ExposeHeaders',
  MaxAgeSeconds: 'MaxAgeSeconds',
};

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

/** Rules as the S3 API returns them (`GetBucketCors`), read as a configuration. */
export function fromApi(rules: S3CorsRule[], form: string): S3CorsConfiguration {
  return { rules, form, rulesKey: 'CORSRules', names: API_NAMES };
}

/** A name-to-key table turned around: each S3 API key and its spelling in a form. */
function spellings(table: Record<string, keyof S3CorsRule>): Record<keyof S3CorsRule, string> {
  return Object.fromEntries(Object.entries(table).map(([name, key]) => [key, name])) as Record<keyof S3CorsRule, string>;
}

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
  if (body.startsWith('<')) {
    // S3's own documents never carry either, and what they would stand for is not what S3 stores.
    if (/<!DOCTYPE/i.test(body)) throw new Refusal(`${source} holds a <!DOCTYPE>, which the import does not read: remove it, and write the values its entities stand for`);
    const reference = /&(#x?[0-9a-f]+|[a-z]\w*);/i.exec(body);
    if (reference !== null && !['amp', 'lt', 'gt', 'quot', 'apos'].includes((reference[1] as string).toLowerCase())) {
      throw new Refusal(`${source} holds the reference ${reference[0]}: write the character it stands for`);
    }
    return { rules: xmlRules(body, source), form: 'XML', rulesKey: 'CORSRule', names: spellings(XML_KEYS) };
  }
  if (body.startsWith('[')) return { rules: ruleList(parseJson(body, source), source, 'rule'), form: 'the S3 console\'s rule array', rulesKey: 'rule', names: API_NAMES };
  if (body.startsWith('{')) {
    const json = parseJson(body, source) as Record<string, unknown>;
    if ('Resources' in json) return templateRules(json, source, resource, 'JSON');
    if ('CORSRules' in json) return { rules: ruleList(json['CORSRules'], source, 'CORSRules'), form: 'get-bucket-cors JSON', rulesKey: 'CORSRules', names: API_NAMES };
    if ('CORSConfiguration' in json) {
      const inner = json['CORSConfiguration'] as Record<string, unknown> | null;
      return { rules: ruleList(inner?.['CORSRules'], source, 'CORSConfiguration.CORSRules'), form: 'put-bucket-cors JSON', rulesKey: 'CORSRules', names: API_NAMES };
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
  if (!Array.isArray(value) || value.length === 0) throw new Refusal(`${source}: ${where === 'rule' ? 'the array' : where} holds no rule; a CORS configuration has at least one`);
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
      const key = Object.hasOwn(XML_KEYS, element) ? XML_KEYS[element] : undefined;
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
  const configuration = resources[chosen]?.Properties?.CorsConfiguration;
  const rules = configuration?.CorsRules;
  const computed = intrinsic(configuration) ?? intrinsic(rules);
  if (computed !== null) throw new Refusal(`${source}: ${chosen}'s CorsConfiguration is ${computed}: write the rules it stands for in a copy of the template, or import the deployed bucket with --bucket NAME`);
  if (!Array.isArray(rules) || rules.length === 0) throw new Refusal(`${source}: ${chosen}'s CorsConfiguration.CorsRules holds no rule`);
  return {
    form: `CloudFormation template in ${language} (resource ${chosen})`,
    rulesKey: 'CorsRules',
    names: spellings(TEMPLATE_KEYS),
    rules: rules.map((rule: unknown, index) => {
      const expression = intrinsic(rule);
      if (expression !== null) throw new Refusal(`${source}: ${chosen} CorsRules[${index}] is ${expression}: write the rule it stands for, or import the deployed bucket with --bucket NAME`);
      if (rule === null || typeof rule !== 'object' || Array.isArray(rule)) throw new Refusal(`${source}: ${chosen} CorsRules[${index}] is not a rule object`);
      const converted: Record<string, unknown> = {};
      for (const [key, value] of Object.entries(rule)) {
        const name = Object.hasOwn(TEMPLATE_KEYS, key) ? TEMPLATE_KEYS[key] : undefined;
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
  return key === 'Ref' || key === 'Condition' || key.startsWith('Fn::') ? `${key} (a CloudFormation expression, known only when the stack deploys)` : null;
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
  const names = configuration.names;
  const rules = configuration.rules.map((rule, index) => {
    const at = `${configuration.rulesKey}[${index}]`;
    const origins = strings(rule.AllowedOrigins, `${at}.${names.AllowedOrigins}`, problems, true);
    const methods = strings(rule.AllowedMethods, `${at}.${names.AllowedMethods}`, problems, true).filter((method, position) => {
      if (S3_METHODS.includes(method)) return true;
      problems.push(`${at}.${names.AllowedMethods}[${position}] ${JSON.stringify(method)}: S3 takes ${S3_METHODS.join(', ')} only, and would refuse this configuration`);
      return false;
    });
    const headers = strings(rule.AllowedHeaders, `${at}.${names.AllowedHeaders}`, problems, false);
    const expose = strings(rule.ExposeHeaders, `${at}.${names.ExposeHeaders}`, problems, false);
    const id = ruleId(rule.ID, `${at}.${names.ID}`, ids, notes);
    const converted: CorsRuleFile = id === undefined ? { allowOrigins: [] } : { id, allowOrigins: [] };
    const any = origins.includes('*');
    if (any) {
      notes.push(
        `${at} ${names.AllowedOrigins} "*": imported as a "*" rule, which answers * and never with credentials, whatever S3 sent for it ` +
          `(S3 can answer "*" with the caller's own origin and Access-Control-Allow-Credentials: true, which lets any site read credentialed responses)` +
          (origins.length > 1 ? `; its other origins are covered by "*"` : ''),
      );
      converted.allowOrigins = ['*'];
    } else {
      for (const [position, pattern] of origins.entries()) {
        const entries = originEntries(pattern);
        const where = `${at}.${names.AllowedOrigins}[${position}] ${JSON.stringify(pattern)}`;
        if ('problem' in entries) problems.push(`${where}: ${entries.problem}`);
        else {
          if (entries.note !== undefined) notes.push(`${where}: ${entries.note}`);
          converted.allowOrigins.push(...entries.entries.filter((entry) => !converted.allowOrigins.includes(entry)));
        }
      }
    }
    converted.allowMethods = [...new Set(methods)];
    const allowHeaders = headers.flatMap((header, position) => {
      const star = header.indexOf('*');
      if (star < 0 || star === header.length - 1) return [header];
      problems.push(`${at}.${names.AllowedHeaders}[${position}] ${JSON.stringify(header)}: S3 lets "*" stand anywhere in a header name; a policy takes a prefix ("x-amz-*") or "*" alone: list the header names`);
      return [];
    });
    if (allowHeaders.length > 0) converted.allowHeaders = allowHeaders;
    if (expose.length > 0) converted.exposeHeaders = expose;
    // S3 answers every origin a rule names with Access-Control-Allow-Credentials: true, unless the
    // rule exposes "*", which browsers read as no header at all on a credentialed response.
    if (!any && expose.includes('*')) {
      notes.push(
        `${at} ${names.ExposeHeaders} "*": exposes nothing on credentialed responses, so the rule is imported without credentials: ` +
          `requests from its origins that send cookies or HTTP authentication (credentials: "include", CloudFront signed cookies) now fail; list the headers to keep credentials`,
      );
    }
    else if (!any) converted.allowCredentials = true;
    const maxAge = maxAgeOf(rule.MaxAgeSeconds, `${at}.${names.MaxAgeSeconds}`, problems, notes);
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
      problems.push(...error.problems.map((problem) => `as imported, ${problem}`));
    }
  }
  if (problems.length > 0) {
    const count = problems.length === 1 ? 'one value cannot be imported (fix it' : `${problems.length} values cannot be imported (fix them`;
    throw new Refusal(`nothing written; ${count} in a copy of the configuration and import that with --from FILE):\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
  }
  const only = rules.length === 1 ? rules[0] : undefined;
  const unlisted = only === undefined ? [] : ['GET', 'HEAD', 'POST'].filter((method) => !(only.allowMethods as string[]).includes(method));
  if (unlisted.length > 0) {
    notes.push(
      `${configuration.rulesKey}[0]: a policy of one rule answers every method from its origins, as browsers' CORS does (allowMethods holds preflights), ` +
        `where S3 answered only ${(only?.allowMethods as string[]).join(', ')}: ${unlisted.join(', ')} from its origins now get CORS headers too`,
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
  const whole = intrinsic(value);
  if (whole !== null) {
    problems.push(`${at} is ${whole}: write the values it stands for, or import the deployed bucket with --bucket NAME`);
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
  if (typeof value !== 'string' && typeof value !== 'number') {
    notes.push(`${at} is ${intrinsic(value) ?? 'not a name'}; the rule is imported without an id`);
    return undefined;
  }
  const id = String(value);
  if (!RULE_ID.test(id) || id === STORED_VALUE) {
    notes.push(`${at} ${JSON.stringify(id)} is no policy rule id (1 to 64 letters, digits, ".", "_" or "-", not "allowed"); the rule is imported without one`);
    return undefined;
  }
  if (ids.has(id)) {
    notes.push(`${at} "${id}" is an earlier rule's too; the rule is imported without one`);
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
    problems.push(`${at} ${expression ?? JSON.stringify(value)}: write a whole number of seconds`);
    return undefined;
  }
  if (seconds > 86400) {
    notes.push(`${at} ${seconds}: imported as 86400, a day, the longest any browser keeps a preflight answer`);
    return 86400;
  }
  return seconds;
}

/** What an S3 `AllowedOrigin` pattern becomes: the policy entries that match the same origins, or why there are none. */
export type OriginConversion = { entries: string[]; note?: string } | { problem: string };

/**
 * The policy entries that match what an S3 `AllowedOrigin` matches (`"*"` alone is the caller's
 * business: a `"*"` rule). S3 compares the pattern, a `*` standing for any characters, with the
 * `Origin` a browser sends, which is always canonical (SPEC §3), so:
 * - no `*`: an origin, written as browsers send it (S3 never matched `https://App.example.com`,
 *   `https://app.example.com:443` or a path);
 * - `scheme://*.domain[:port]`: a policy wildcard, the same labels in front of `domain`;
 * - `*.domain[:port]` or `*://host[:port]`: any scheme, of which browsers' pages have http and https:
 *   those the pattern can match, saying that other schemes no longer match;
 * - anything else matches more than whole labels (`https://*example.com` matches
 *   `https://evilexample.com`), or a part of a port or scheme, and is refused, naming an origin it
 *   matches that the author cannot have meant.
 *
 * @example originEntries('*.example.com') // { entries: ['https://*.example.com', 'http://*.example.com'], note: … }
 */
export function originEntries(pattern: string): OriginConversion {
  // A path, query or fragment after `scheme://host`, where no `*` can make it match: S3 never
  // matched such a pattern, since an Origin has none. (Before `://`, a `*` may stand for a scheme
  // and its slashes, and the pattern is judged as a glob below.)
  const schemeEnd = pattern.indexOf('://');
  const afterScheme = schemeEnd < 0 || pattern.slice(0, schemeEnd).includes('*') ? null : pattern.slice(schemeEnd + 3);
  const part = afterScheme === null ? null : /[/?#]/.exec(afterScheme);
  if (afterScheme !== null && part !== null) {
    const what = part[0] === '/' ? (afterScheme.slice(part.index) === '/' ? 'a trailing slash' : 'a path') : part[0] === '?' ? 'a query' : 'a fragment';
    const base = pattern.slice(0, schemeEnd + 3 + part.index);
    const written = exactly(base);
    const instead = 'entries' in written ? base : 'sentAs' in written ? written.sentAs : null;
    return { problem: `${what}: an Origin never has one, so S3 never matched this${instead ? `; write "${instead}"` : ''}` };
  }
  const star = pattern.indexOf('*');
  if (star < 0) {
    if (!pattern.includes('://') && pattern.toLowerCase() !== 'null') {
      return { problem: `an Origin always starts with its scheme, so S3 never matched this; write "https://${pattern}"` };
    }
    return conversion(exactly(pattern));
  }
  if (pattern.indexOf('*', star + 1) >= 0) return { problem: 'S3 takes one "*" in an AllowedOrigin, and refuses this one' };
  const before = pattern.slice(0, star);
  const after = pattern.slice(star + 1);
  // A leftmost-label wildcard's domain, loosely: `exactly` then says what is wrong with the host itself.
  const label = /^\.[^*/:?#\s]+(:\d+)?$/;
  const anyScheme = before === '' && label.test(after) ? ['https://*', 'http://*'] : before === '' && /^:\/\/[^*]+$/.test(after) ? ['https', 'http'] : null;
  if (anyScheme !== null) {
    const kept: string[] = [];
    const dropped: string[] = [];
    for (const scheme of anyScheme) {
      const result = exactly(`${scheme}${after}`);
      if ('entries' in result) kept.push(...result.entries);
      else if ('sentAs' in result) dropped.push(`${scheme}${after}`);
      else return result;
    }
    if (kept.length === 0) return { problem: `browsers send none of ${dropped.map((entry) => `"${entry}"`).join(' and ')} as written, so S3 never matched this` };
    const never = dropped.length > 0 ? `; never under ${dropped.map((entry) => entry.slice(0, entry.indexOf(':'))).join(', ')}, where browsers send no such port` : '';
    return { entries: kept, note: `S3 matched it under any scheme; imported for ${kept.map((entry) => entry.slice(0, entry.indexOf(':'))).join(' and ')}, the schemes of web pages${never} (write another, e.g. "capacitor${after.startsWith('://') ? after : `://*${after}`}", if an app needs it)` };
  }
  if (/^[A-Za-z][A-Za-z0-9+.-]*:\/\/$/.test(before) && label.test(after)) return conversion(exactly(pattern));
  if (after === '') return { problem: `S3 matches every origin that starts with "${before}" here; write "*" alone for a "*" rule, or list the origins meant` };
  return { problem: `S3 lets "*" stand for any characters here, so it also matches ${JSON.stringify(`${before === '' ? 'https://' : before}evil${after}`)}; a policy wildcard stands for whole leftmost DNS labels ("https://*.example.com"): list the origins meant` };
}

/** What the policy makes of one pattern: the entry, when it is the pattern itself; the form browsers send, when that differs; or the policy's reason to refuse it. */
type Exact = { entries: string[] } | { sentAs: string } | { problem: string };

/**
 * The entry as the policy writes it, when that is the pattern itself: S3 compares text, and a
 * pattern browsers send in another form (case, a default port, an IP address in another notation)
 * never matched. Otherwise the form browsers send, or the policy's reason to refuse it.
 */
function exactly(pattern: string): Exact {
  try {
    const entries = (validatePolicy({ allowOrigins: [pattern] }, 'import') as { allowOrigins: string[] }).allowOrigins;
    return entries[0] === pattern ? { entries } : { sentAs: entries[0] as string };
  } catch (error) {
    if (!(error instanceof PolicyError)) throw error;
    return { problem: (error.problems[0] as string).replace(/^allowOrigins\[\d+\] "[^"]*": /, '') };
  }
}

/** {@link exactly} as a conversion: a pattern browsers send in another form matched nothing in S3. */
function conversion(result: Exact): OriginConversion {
  if (!('sentAs' in result)) return result;
  return { problem: `browsers send it as "${result.sentAs}", and S3 compares the text, so it never matched this; write "${result.sentAs}"` };
}
