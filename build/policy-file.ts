/**
 * Reading and validating the policy file (SPEC §1). Runs at build time only, so it may use Node
 * and libraries; every refusal names the key or entry, what is wrong, and what to write instead.
 */
import { readFileSync } from 'node:fs';
import { domainToASCII } from 'node:url';
import { getPublicSuffix } from 'tldts';
import { isToken } from '../functions/core/cors.ts';
import { MAX_ORIGIN_LENGTH, canonicalHostName, canonicalOrigin } from '../functions/core/origin.ts';
import { DEFAULT_POLICY, policyRules, type CorsPolicy, type CorsRule } from '../functions/core/policy.ts';
import { STORED_VALUE, STORE_WILDCARD_LABELS } from '../functions/core/store.ts';
import { publicSuffixBeneath } from './public-suffix.ts';

/** One rule as written (SPEC §11): only `allowOrigins` is required. */
export interface CorsRuleFile {
  id?: string;
  allowOrigins: string[];
  allowMethods?: string[];
  allowHeaders?: string[];
  exposeHeaders?: string[];
  allowCredentials?: boolean;
  maxAge?: number;
}

/** The policy file as written: one rule's keys at the top level, or `rules`. */
export type CorsPolicyFile = (Omit<CorsRuleFile, 'id'> & { rules?: undefined } & PolicyWideKeys) | ({ rules: CorsRuleFile[] } & PolicyWideKeys);

/** The keys that hold for every rule of a policy. */
interface PolicyWideKeys {
  $schema?: string;
  preflight?: 'edge' | 'origin';
  originStore?: 'keyvaluestore';
  legacyQueryParameters?: string[];
  mode?: 'enforce' | 'report-only';
}

/** A policy the build refuses, with every problem found (not only the first). */
export class PolicyError extends Error {
  constructor(
    readonly source: string,
    readonly problems: string[],
  ) {
    super(`${source}: the policy is refused:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    this.name = 'PolicyError';
  }
}

/** A rule's keys: at the top level of a one-rule policy, or in each of `rules`. */
const RULE_KEYS = ['allowOrigins', 'allowMethods', 'allowHeaders', 'exposeHeaders', 'allowCredentials', 'maxAge'] as const;

/** The keys that hold for every rule. */
const POLICY_KEYS = ['$schema', 'rules', 'preflight', 'originStore', 'legacyQueryParameters', 'mode'] as const;

const KNOWN_KEYS = ['$schema', ...RULE_KEYS, ...POLICY_KEYS.slice(1)];

/** `Access-Control-Max-Age` upper bound: a day, the longest any browser honours (Firefox). */
const MAX_AGE_LIMIT = 86400;

/**
 * In an object literal, `"__proto__": 1` sets the prototype instead of adding a key, so this one
 * token cannot be looked up in the tables the build inlines.
 */
const RESERVED_NAME = '__proto__';

/** Fetch normalizes these methods to upper case before sending them (Fetch standard, "normalize"). */
const NORMALIZED_METHODS = ['DELETE', 'GET', 'HEAD', 'OPTIONS', 'POST', 'PUT'];

/**
 * Reads and validates a policy file.
 *
 * @param notes collects what the build rewrote, e.g. an IP entry put into the form browsers send
 * @param source names the file in messages, as the user wrote it @default path
 * @throws PolicyError when the file is unreadable, not JSON, or refused
 */
export function readPolicyFile(path: string, notes?: string[], source = path): CorsPolicy {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new PolicyError(source, [
      (error as NodeJS.ErrnoException).code === 'ENOENT'
        ? 'cannot read the file (ENOENT); write one with npx cloudfront-cors init, or pass an existing file with --config PATH'
        : `cannot read the file (${(error as NodeJS.ErrnoException).code ?? String(error)}); pass an existing file with --config PATH`,
    ]);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text); // editors may save a byte order mark
  } catch (error) {
    throw new PolicyError(source, [`not valid JSON: ${(error as Error).message}`]);
  }
  return validatePolicy(raw, source, notes);
}

/**
 * Validates a parsed policy file and applies defaults.
 *
 * @param source names the policy in error messages (usually its path)
 * @param notes collects what was rewritten rather than refused: an entry no browser sends as
 *        written but one form of an origin they do send (`http://127.1` is `http://127.0.0.1`)
 * @throws PolicyError listing every problem
 * @example validatePolicy({ allowOrigins: ['https://App.example.com:443'] }).allowOrigins
 *          // ['https://app.example.com']
 */
export function validatePolicy(raw: unknown, source = 'policy', notes: string[] = []): CorsPolicy {
  const problems: string[] = [];
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new PolicyError(source, [
      'the policy must be one JSON object, e.g. { "allowOrigins": ["https://app.example.com"] }',
    ]);
  }
  const file = raw as Record<string, unknown>;

  unknownKeys(file, KNOWN_KEYS, '', problems);

  if (file.$schema !== undefined && typeof file.$schema !== 'string') {
    problems.push('$schema must be a string: the path or URL of cors.config.schema.json');
  }
  const originStore = checkOriginStore(file.originStore, problems);
  const rules = file.rules === undefined ? [checkRule(file, '', originStore !== undefined, problems, notes)] : checkRules(file, originStore !== undefined, problems, notes);
  const preflight = checkPreflight(file.preflight, problems);
  const legacyQueryParameters = checkLegacyParameters(file.legacyQueryParameters, problems);
  if (file.mode !== undefined && file.mode !== 'enforce' && file.mode !== 'report-only') {
    problems.push(`mode ${JSON.stringify(file.mode)}: must be "enforce" (the default: refused requests get Origin: null and no CORS headers) or "report-only" (refused requests pass as today, and are logged)`);
  }

  if (problems.length > 0) throw new PolicyError(source, problems);
  return {
    ...(file.rules === undefined ? (rules[0] as CorsRule) : { rules }),
    preflight,
    ...(originStore === undefined ? {} : { originStore }),
    ...(legacyQueryParameters.length === 0 ? {} : { legacyQueryParameters: unique(legacyQueryParameters) }),
    ...(file.mode === 'report-only' ? { mode: 'report-only' as const } : {}),
  };
}

/**
 * Every method any rule of a policy allows, in order of first mention: what the cache behavior
 * must let through to the functions.
 */
export function policyMethods(policy: CorsPolicy): string[] {
  return unique(policyRules(policy).flatMap((rule) => rule.allowMethods));
}

/** Names every key of `object` not in `known`, with the nearest known key when one is close. */
function unknownKeys(object: Record<string, unknown>, known: readonly string[], at: string, problems: string[]): void {
  for (const key of Object.keys(object)) {
    if (known.includes(key)) continue;
    // A key of the other level: say where it goes, rather than guess at a spelling.
    if (at !== '' && (POLICY_KEYS as readonly string[]).includes(key)) {
      problems.push(`${at}${key}: "${key}" holds for every rule, so it goes at the top level of the policy, beside "rules"`);
      continue;
    }
    if (at === '' && key === 'id') {
      problems.push('id: a rule\'s id goes inside that rule, in "rules": [{ "id": "writers", "allowOrigins": […] }]');
      continue;
    }
    const near = known.find((name) => editDistance(name.toLowerCase(), key.toLowerCase()) <= 3);
    problems.push(
      `unknown key "${at}${key}"${near ? `: did you mean "${near}"?` : ''} (known keys${at === '' ? '' : ` of a rule`}: ${known.filter((name) => name !== '$schema').join(', ')})`,
    );
  }
}

/**
 * `rules` (SPEC §11): a non-empty array of rules, each checked as a one-rule policy's keys are, its
 * problems named by position (`rules[1].allowOrigins[0]`). A rule's keys at the top level beside
 * `rules` are refused: which rule would they belong to?
 */
function checkRules(file: Record<string, unknown>, store: boolean, problems: string[], notes: string[]): CorsRule[] {
  const example = 'e.g. "rules": [{ "allowOrigins": ["https://app.example.com"], "allowMethods": ["GET", "PUT"] }, { "allowOrigins": ["*"] }]';
  for (const key of RULE_KEYS) {
    if (file[key] !== undefined) problems.push(`${key} beside "rules": a policy with rules keeps ${key} in each rule that needs it; move it into rules[…]`);
  }
  if (!Array.isArray(file.rules) || file.rules.length === 0) {
    problems.push(`rules must be a non-empty array of rules, tried in order, ${example}`);
    return [];
  }
  const ids = new Map<string, number>();
  const rules = file.rules.map((raw: unknown, index) => {
    const at = `rules[${index}].`;
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
      problems.push(`rules[${index}] must be an object with a rule's keys, ${example}`);
      return undefined;
    }
    const ruleFile = raw as Record<string, unknown>;
    unknownKeys(ruleFile, ['id', ...RULE_KEYS], at, problems);
    const rule = checkRule(ruleFile, at, store, problems, notes);
    const id = checkRuleId(ruleFile.id, at, problems);
    if (id !== undefined) {
      const earlier = ids.get(id);
      if (earlier !== undefined) problems.push(`${at}id ${JSON.stringify(id)}: rules[${earlier}] has it already; give each rule its own id`);
      else ids.set(id, index);
      rule.id = id;
    }
    return rule;
  });
  if (store && rules[0] !== undefined && rules[0].allowOrigins[0] === '*') {
    problems.push('rules[0].allowOrigins ["*"] with originStore: a stored origin that names no rule joins the first rule, and a "*" rule holds every origin already; put a rule that lists origins first');
  }
  return rules.filter((rule): rule is CorsRule => rule !== undefined);
}

/** What a rule `id` may be: 1 to 64 letters, digits, `.`, `_` or `-`, starting with a letter or digit (and never {@link STORED_VALUE}). */
export const RULE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** A rule's `id`: what a stored origin's value names to join it (SPEC §10, §11). */
function checkRuleId(value: unknown, at: string, problems: string[]): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !RULE_ID.test(value)) {
    problems.push(`${at}id ${JSON.stringify(value)}: a rule id is 1 to 64 letters, digits, ".", "_" or "-", starting with a letter or digit, e.g. "writers"`);
    return undefined;
  }
  if (value === STORED_VALUE) {
    problems.push(`${at}id "${STORED_VALUE}": a stored origin added without --rule holds "${STORED_VALUE}" and joins the first rule; choose another id`);
    return undefined;
  }
  return value;
}

/** One rule's keys (SPEC §1), every problem named with `at` in front (`""`, or `rules[1].`). */
function checkRule(file: Record<string, unknown>, at: string, store: boolean, problems: string[], notes: string[]): CorsRule {
  const allowCredentials = checkBoolean(file, 'allowCredentials', DEFAULT_POLICY.allowCredentials, at, problems);
  const allowOrigins = checkOrigins(file.allowOrigins, allowCredentials, store, at, problems, notes);
  const allowMethods = checkStrings(file, 'allowMethods', DEFAULT_POLICY.allowMethods, at, problems).flatMap((method, index) =>
    checkMethod(method, index, at, problems),
  );
  const allowHeaders = checkStrings(file, 'allowHeaders', DEFAULT_POLICY.allowHeaders, at, problems).flatMap((name, index) =>
    checkHeaderName(`${at}allowHeaders`, name, index, true, problems).map((n) => n.toLowerCase()),
  );
  const exposeHeaders = checkStrings(file, 'exposeHeaders', DEFAULT_POLICY.exposeHeaders, at, problems).flatMap((name, index) =>
    checkHeaderName(`${at}exposeHeaders`, name, index, false, problems),
  );
  if (allowCredentials && exposeHeaders.includes('*')) {
    problems.push(
      `${at}exposeHeaders: "*" exposes nothing on credentialed requests (browsers read it as a header named "*"); list the headers by name`,
    );
  }
  const maxAge = checkMaxAge(file.maxAge, at, problems);
  return {
    allowOrigins: unique(allowOrigins),
    allowMethods: unique(allowMethods),
    allowHeaders: unique(allowHeaders),
    exposeHeaders: unique(exposeHeaders),
    allowCredentials,
    maxAge,
  };
}

/**
 * `legacyQueryParameters`: names of query parameters the viewer request drops (SPEC §11), as they
 * read once percent-decoded (`origin` also drops `ori%67in`). Compared exactly: query names are
 * case-sensitive.
 */
function checkLegacyParameters(value: unknown, problems: string[]): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.some((item) => typeof item !== 'string')) {
    problems.push('legacyQueryParameters must be an array of query parameter names, e.g. ["origin"]');
    return [];
  }
  return (value as string[]).flatMap((name, index) => {
    const where = `legacyQueryParameters[${index}] ${JSON.stringify(name)}`;
    if (name === '') problems.push(`${where}: empty; name the parameter the old URLs carry, e.g. "origin"`);
    else if (/[&=#?%+\s]/.test(name)) {
      problems.push(`${where}: write the name as it reads decoded, without "&", "=", "#", "?", "%", "+" or whitespace, e.g. "origin" for ?origin=5 (ori%67in=5 is dropped too)`);
    }
    else if (name === RESERVED_NAME) problems.push(`${where}: cannot be a key of the lookup table inlined into the functions; remove it`);
    else return [name];
    return [];
  });
}

/** `originStore`: absent, or `"keyvaluestore"` (SPEC §10). */
function checkOriginStore(value: unknown, problems: string[]): 'keyvaluestore' | undefined {
  if (value === undefined || value === 'keyvaluestore') return value;
  problems.push(
    `originStore ${JSON.stringify(value)}: the one store is "keyvaluestore" (origins in a CloudFront KeyValueStore, read by the CloudFront Function); remove the key to keep every origin in allowOrigins`,
  );
  return undefined;
}

function checkOrigins(value: unknown, allowCredentials: boolean, store: boolean, at: string, problems: string[], notes: string[]): string[] {
  const example = 'e.g. "allowOrigins": ["https://app.example.com"]';
  if (value === undefined) {
    problems.push(`${at}allowOrigins is required: list the origins allowed to read responses, ${example}`);
    return [];
  }
  if (!Array.isArray(value)) {
    problems.push(`${at}allowOrigins must be an array of origins, ${example}`);
    return [];
  }
  if (value.length === 0) {
    // With a store, every origin may live in it: an empty list inlines none.
    if (!store) problems.push(`${at}allowOrigins is empty: list at least one origin, ${example}`);
    return [];
  }
  if (store && at === '' && value.includes('*')) {
    problems.push('allowOrigins ["*"] with originStore: "*" already allows every origin, so a store would add nothing; list origins, or remove originStore');
    return [];
  }
  if (value.includes('*')) {
    if (value.length > 1) {
      problems.push(`${at}allowOrigins: "*" already allows every origin; use ["*"] alone, or remove "*" and list origins`);
    } else if (allowCredentials) {
      problems.push(
        `${at}allowOrigins ["*"] with allowCredentials: true: ` +
          'browsers never send credentials to "*" and would let any site read ' +
          'credentialed responses if they did; list the origins, or set allowCredentials to false',
      );
    }
    return value.length === 1 ? ['*'] : [];
  }
  return value.flatMap((entry: unknown, index) => {
    const checked = originEntry(entry);
    if ('problem' in checked) {
      problems.push(`${at}allowOrigins[${index}] ${JSON.stringify(entry)}: ${checked.problem}`);
      return [];
    }
    if (checked.rewritten !== undefined) {
      notes.push(`${at}allowOrigins[${index}] ${JSON.stringify(entry)} is sent by browsers as "${checked.entry}" (${checked.rewritten}); built as that`);
    }
    return [checked.entry];
  });
}

/** A checked store key: the canonical text it is stored under, or why it is refused. */
export type StoreKey = { key: string; rewritten?: string } | { problem: string };

/**
 * Checks an origin for the KeyValueStore (SPEC §10): the rules of an `allowOrigins` entry, exact or
 * wildcard, and a wildcard's domain of at most {@link STORE_WILDCARD_LABELS} labels, so the
 * function's reads stay bounded. Returns the canonical text the store keys it by; `rewritten` says
 * when that differs from what was written beyond case and a default port.
 *
 * @example storeKey('https://App.example.com:443') // { key: 'https://app.example.com' }
 */
export function storeKey(entry: unknown): StoreKey {
  if (entry === '*') return { problem: '"*" allows every origin: that is a policy\'s allowOrigins ["*"], not a stored origin' };
  const checked = originEntry(entry);
  if ('problem' in checked) return checked;
  const wildcard = checked.entry.indexOf('://*.');
  if (wildcard > 0) {
    const domain = checked.entry.slice(wildcard + 5).replace(/:\d+$/, '');
    const labels = domain.split('.').length;
    if (labels > STORE_WILDCARD_LABELS) {
      return {
        problem:
          `a stored wildcard's domain has at most ${STORE_WILDCARD_LABELS} labels, and "${domain}" has ${labels} ` +
          '(the CloudFront Function reads a bounded number of keys per request); put the wildcard over a shorter domain, or the entry in allowOrigins',
      };
    }
  }
  return checked.rewritten === undefined ? { key: checked.entry } : { key: checked.entry, rewritten: checked.rewritten };
}

/** Schemes whose hosts the URL Standard parses as domains and IPv4 addresses ("special schemes"). */
const SPECIAL_SCHEMES = ['ftp', 'http', 'https'];

/**
 * Schemes no page's `Origin` ever has: pages at `file:`, `data:`, `about:`, `javascript:` and
 * `blob:` URLs send `Origin: null` (their origin is opaque, or their creator's), and a WebSocket's
 * handshake carries the origin of the page that opened it, never `ws:` or `wss:`.
 */
const NO_ORIGIN_SCHEMES: Record<string, string> = {
  file: 'pages at file: URLs send Origin: null, which cannot be allowed by name',
  data: 'pages at data: URLs send Origin: null, which cannot be allowed by name',
  about: 'about: pages send their creator\'s origin, or null',
  javascript: 'javascript: URLs run in the origin of the page that opened them',
  blob: 'blob: URLs have the origin of the page that made them',
  ws: 'a WebSocket sends the origin of the page that opened it: write that page\'s origin, e.g. "https://…"',
  wss: 'a WebSocket sends the origin of the page that opened it: write that page\'s origin, e.g. "https://…"',
};

/** A checked `allowOrigins` entry: the form stored in the policy, or why it is refused. */
type OriginEntry = { entry: string; rewritten?: string } | { problem: string };

/**
 * Checks one `allowOrigins` entry (SPEC §1) and returns the form the policy stores: canonical, as
 * browsers serialize origins, so it can match what they send. An IP host is rewritten to that form
 * (`rewritten` says which), since `http://127.1` and `http://127.0.0.1` are one origin to a browser.
 */
function originEntry(entry: unknown): OriginEntry {
  if (typeof entry !== 'string') return { problem: 'an origin must be a string such as "https://app.example.com"' };
  if (entry.toLowerCase() === 'null') {
    return {
      problem:
        'the "null" origin is shared by sandboxed iframes, file: pages and cross-origin redirects, so allowing it allows all of them; remove it',
    };
  }
  if (/\s/.test(entry)) return { problem: 'contains whitespace; write the origin alone, e.g. "https://app.example.com"' };
  if (entry.length > MAX_ORIGIN_LENGTH) {
    return { problem: `${entry.length} characters: the functions read an Origin of at most ${MAX_ORIGIN_LENGTH} (a 253-character host with its scheme and port), so none this long can match` };
  }
  const separator = entry.indexOf('://');
  if (separator < 1) {
    return { problem: `an origin is scheme://host[:port]; write e.g. "https://${entry.replace(/^[/:]+/, '') || 'app.example.com'}"` };
  }
  const writtenScheme = entry.slice(0, separator);
  if (!/^[A-Za-z][A-Za-z0-9+.-]*$/.test(writtenScheme)) return { problem: `"${writtenScheme}" is not a URL scheme; write e.g. "https://…"` };
  const scheme = writtenScheme.toLowerCase();
  const noOrigin = NO_ORIGIN_SCHEMES[scheme];
  if (noOrigin !== undefined) return { problem: `no browser sends a ${scheme}: origin (${noOrigin})` };

  const afterScheme = entry.slice(separator + 3);
  const end = afterScheme.search(/[/?#]/);
  const authority = end < 0 ? afterScheme : afterScheme.slice(0, end);
  const base = `${writtenScheme}://${authority}`;
  if (end >= 0) {
    const rest = afterScheme.slice(end);
    const part = rest === '/' ? 'a trailing slash' : rest[0] === '/' ? 'a path' : rest[0] === '?' ? 'a query' : 'a fragment';
    return { problem: `${part} is not part of an origin (browsers send scheme://host[:port] only); write "${base}"` };
  }
  if (authority.includes('@')) {
    return { problem: `userinfo ("…@") is not part of an origin; write "${writtenScheme}://${authority.slice(authority.lastIndexOf('@') + 1)}"` };
  }
  if (/[^\x21-\x7e]/.test(authority)) {
    const host = authority.replace(/^\*\./, '').replace(/:\d*$/, '');
    const ascii = domainToASCII(host);
    const hint = ascii ? `, e.g. "${base.replace(host, ascii)}"` : '';
    return { problem: `non-ASCII host: browsers send the punycode form, so write that${hint}` };
  }

  const wildcard = authority.startsWith('*.');
  const hostAndPort = wildcard ? authority.slice(2) : authority;
  if (hostAndPort.includes('*')) {
    return { problem: '"*" may only stand as the whole leftmost label of a host, as in "https://*.example.com"' };
  }
  const close = hostAndPort.startsWith('[') ? hostAndPort.indexOf(']') : -1;
  const portAt = hostAndPort.indexOf(':', close + 1);
  const host = portAt < 0 ? hostAndPort : hostAndPort.slice(0, portAt);
  const port = portAt < 0 ? '' : hostAndPort.slice(portAt);
  if (port !== '' && !/^:[1-9][0-9]{0,4}$/.test(port)) {
    return { problem: `port "${port.slice(1)}" is not a port number from 1 to 65535 without leading zeros` };
  }
  if (Number(port.slice(1)) > 65535) return { problem: `port ${port.slice(1)} is above 65535` };
  if (host.endsWith('.')) {
    return {
      problem:
        `a trailing dot makes "${host}" another origin to browsers than "${host.slice(0, -1)}", and sites are served ` +
        `from the undotted one; write "${base.replace(host, host.slice(0, -1))}"`,
    };
  }
  const special = SPECIAL_SCHEMES.includes(scheme);
  if (wildcard) return wildcardEntry(scheme, host, port, special);

  if (host.startsWith('[')) {
    const ip = urlHost(`${scheme}://${host}`);
    if (ip === null || !ip.startsWith('[')) {
      return { problem: `the host must be DNS labels (letters, digits, inner hyphens; 1 to 63 characters each) or an [IPv6] literal, and ${host} is not an IPv6 address` };
    }
    return stored(`${scheme}://${ip}${port}`, host, ip, 'IPv6 compressed and in lower case, RFC 5952');
  }
  if (endsInNumber(host)) {
    if (!special) {
      // Other schemes keep their host as written (an "opaque host"): only plain dotted decimal is an address.
      return isDottedDecimal(host)
        ? stored(`${scheme}://${host}${port}`, host, host, 'IPv4')
        : { problem: `"${host}" ends in a number, so it is no DNS name; write an IPv4 address in dotted decimal, e.g. "${scheme}://127.0.0.1${port}", or a host name` };
    }
    const ip = urlHost(`${scheme}://${host}`);
    if (ip === null) {
      return {
        problem:
          `"${host}" ends in a number, so browsers read it as an IPv4 address, and it is not one: no browser can send this origin; ` +
          'write a host name, or an IPv4 address in dotted decimal such as "127.0.0.1"',
      };
    }
    return stored(`${scheme}://${ip}${port}`, host, ip, 'IPv4 in dotted decimal');
  }
  if (canonicalHostName(host) === null) {
    return { problem: 'the host must be DNS labels (letters, digits, inner hyphens; 1 to 63 characters each) or an [IPv6] literal' };
  }
  if (special && urlHost(`${scheme}://${host}`) === null) {
    return { problem: `browsers refuse "${host}" as a host (an xn-- label that is not valid punycode?), so none can send this origin` };
  }
  const canonical = canonicalOrigin(`${scheme}://${host}${port}`);
  return canonical === null ? { problem: 'is not an origin the functions can read (scheme://host[:port], host of DNS labels)' } : { entry: canonical };
}

/** The stored form of an IP entry, saying so when it differs from what was written beyond case. */
function stored(origin: string, written: string, browserHost: string, form: string): OriginEntry {
  const canonical = canonicalOrigin(origin);
  if (canonical === null) return { problem: `"${written}" is not a host browsers send` };
  return browserHost === written.toLowerCase() ? { entry: canonical } : { entry: canonical, rewritten: form };
}

/** A wildcard entry `scheme://*.domain[:port]`, refused over any public suffix or what no browser sends. */
function wildcardEntry(scheme: string, host: string, port: string, special: boolean): OriginEntry {
  if (canonicalHostName(host) === null || /^[0-9.]+$/.test(host)) {
    return { problem: `"${host}" is not a DNS domain a wildcard can stand over` };
  }
  if (endsInNumber(host)) {
    return { problem: `"${host}" ends in a number, which browsers read as an IPv4 address, never a domain: no origin can match "*.${host}"` };
  }
  const domain = host.toLowerCase();
  if (special && urlHost(`${scheme}://x.${domain}`) === null) {
    return { problem: `browsers refuse "${host}" in a host (an xn-- label that is not valid punycode?), so no origin can match "*.${host}"` };
  }
  if (!domain.includes('.') || getPublicSuffix(domain, { allowPrivateDomains: true }) === domain) {
    return {
      problem:
        `"*.${domain}" covers every site under the public suffix "${domain}", not only yours; ` +
        `put the wildcard over a domain you own, e.g. "${scheme}://*.yourcompany.${domain}"`,
    };
  }
  const beneath = publicSuffixBeneath(domain);
  if (beneath !== null) {
    const example = beneath.replace(/^\*\./, 'anyone.');
    return {
      problem:
        `"*.${domain}" also covers sites anyone can register: "${beneath}" is a public suffix beneath it (Public Suffix List), ` +
        `so "${scheme}://attacker.${example}" would be allowed; list your origins exactly, or put the wildcard over a domain only you control`,
    };
  }
  // Canonical like an exact entry (a default port dropped), with the `*.` kept in front of the domain.
  const canonical = canonicalOrigin(`${scheme}://${domain}${port}`);
  if (canonical === null) return { problem: 'is not an origin the functions can read (scheme://*.domain[:port], domain of DNS labels)' };
  return { entry: `${scheme}://*.${canonical.slice(scheme.length + 3)}` };
}

/** The URL Standard's "ends in a number": the last label is all digits, or `0x` and hex digits. */
function endsInNumber(host: string): boolean {
  const last = host.slice(host.lastIndexOf('.') + 1);
  return /^[0-9]+$/.test(last) || /^0x[0-9a-f]*$/i.test(last);
}

function isDottedDecimal(host: string): boolean {
  const parts = host.split('.');
  return parts.length === 4 && parts.every((part) => /^(0|[1-9][0-9]{0,2})$/.test(part) && Number(part) <= 255);
}

function urlHost(url: string): string | null {
  try {
    const host = new URL(url).hostname;
    return host === '' ? null : host;
  } catch {
    return null;
  }
}

function checkMethod(method: string, index: number, at: string, problems: string[]): string[] {
  if (!isToken(method) || method === '*') {
    problems.push(
      `${at}allowMethods[${index}] ${JSON.stringify(method)}: not an HTTP method (a token such as "GET" or "PATCH"; "*" is not a method)`,
    );
    return [];
  }
  if (method === RESERVED_NAME) {
    problems.push(`${at}allowMethods[${index}] "${RESERVED_NAME}": cannot be a key of the lookup table inlined into the functions; remove it`);
    return [];
  }
  const upper = method.toUpperCase();
  return [NORMALIZED_METHODS.includes(upper) ? upper : method];
}

function checkHeaderName(key: string, name: string, index: number, prefixAllowed: boolean, problems: string[]): string[] {
  // "*" alone: every header (allowHeaders), or the non-credentialed wildcard (exposeHeaders).
  if (name === '*') return [name];
  const stem = prefixAllowed && name.endsWith('*') ? name.slice(0, -1) : name;
  if (prefixAllowed && name.toLowerCase() === RESERVED_NAME) {
    problems.push(`${key}[${index}] ${JSON.stringify(name)}: cannot be a key of the lookup table inlined into the functions; remove it`);
    return [];
  }
  if (isToken(stem) && !stem.includes('*')) return [name];
  const shape = prefixAllowed
    ? 'a header name such as "content-type", or a prefix such as "x-amz-*" ("*" may only end it)'
    : 'a header name such as "etag"';
  problems.push(`${key}[${index}] ${JSON.stringify(name)}: not ${shape}`);
  return [];
}

function checkStrings(file: Record<string, unknown>, key: 'allowMethods' | 'allowHeaders' | 'exposeHeaders', fallback: string[], at: string, problems: string[]): string[] {
  const value = file[key];
  if (value === undefined) return fallback;
  if (!Array.isArray(value) || value.some((item) => typeof item !== 'string')) {
    problems.push(`${at}${key} must be an array of strings, e.g. ${JSON.stringify(key === 'allowMethods' ? ['GET', 'PUT'] : ['x-request-id'])}`);
    return [];
  }
  return value as string[];
}

function checkBoolean(file: Record<string, unknown>, key: 'allowCredentials', fallback: boolean, at: string, problems: string[]): boolean {
  const value = file[key];
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') {
    problems.push(`${at}${key} must be true or false (a JSON boolean, not ${JSON.stringify(value)})`);
    return fallback;
  }
  return value;
}

function checkMaxAge(value: unknown, at: string, problems: string[]): number | undefined {
  if (value === undefined) return DEFAULT_POLICY.maxAge;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > MAX_AGE_LIMIT) {
    problems.push(
      `${at}maxAge ${JSON.stringify(value)}: must be a whole number of seconds from 0 to ${MAX_AGE_LIMIT} (a day, the longest browsers honour), or absent for no header`,
    );
    return undefined;
  }
  return value;
}

function checkPreflight(value: unknown, problems: string[]): 'edge' | 'origin' {
  if (value === undefined) return DEFAULT_POLICY.preflight;
  if (value !== 'edge' && value !== 'origin') {
    problems.push(
      `preflight ${JSON.stringify(value)}: must be "edge" (answered by the viewer-request function) or "origin" (forwarded, then corrected by origin-response)`,
    );
    return DEFAULT_POLICY.preflight;
  }
  return value;
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}

/** Levenshtein distance, for "did you mean" on unknown keys. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(
        (previous[j] as number) + 1,
        (current[j - 1] as number) + 1,
        (previous[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    previous = current;
  }
  return previous[b.length] as number;
}
