/**
 * Reading and validating the policy file (SPEC §1). Runs at build time only, so it may use Node
 * and libraries; every refusal names the key or entry, what is wrong, and what to write instead.
 */
import { readFileSync } from 'node:fs';
import { domainToASCII } from 'node:url';
import { getPublicSuffix } from 'tldts';
import { isToken } from '../functions/core/cors.ts';
import { canonicalHostName, canonicalOrigin } from '../functions/core/origin.ts';
import { DEFAULT_POLICY, type CorsPolicy } from '../functions/core/policy.ts';
import { publicSuffixBeneath } from './public-suffix.ts';

/** The policy file as written: only `allowOrigins` is required. */
export interface CorsPolicyFile {
  $schema?: string;
  allowOrigins: string[];
  allowMethods?: string[];
  allowHeaders?: string[];
  exposeHeaders?: string[];
  allowCredentials?: boolean;
  maxAge?: number;
  preflight?: 'edge' | 'origin';
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

const KNOWN_KEYS = [
  '$schema',
  'allowOrigins',
  'allowMethods',
  'allowHeaders',
  'exposeHeaders',
  'allowCredentials',
  'maxAge',
  'preflight',
] as const;

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
 * @throws PolicyError when the file is unreadable, not JSON, or refused
 */
export function readPolicyFile(path: string, notes?: string[]): CorsPolicy {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new PolicyError(path, [
      `cannot read the file (${(error as NodeJS.ErrnoException).code ?? String(error)}); pass an existing file with --config PATH`,
    ]);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new PolicyError(path, [`not valid JSON: ${(error as Error).message}`]);
  }
  return validatePolicy(raw, path, notes);
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

  for (const key of Object.keys(file)) {
    if ((KNOWN_KEYS as readonly string[]).includes(key)) continue;
    const near = KNOWN_KEYS.find((known) => editDistance(known.toLowerCase(), key.toLowerCase()) <= 3);
    problems.push(
      `unknown key "${key}"${near ? `: did you mean "${near}"?` : ''} (known keys: ${KNOWN_KEYS.slice(1).join(', ')})`,
    );
  }

  if (file.$schema !== undefined && typeof file.$schema !== 'string') {
    problems.push('$schema must be a string: the path or URL of cors.config.schema.json');
  }
  const allowCredentials = checkBoolean(file, 'allowCredentials', DEFAULT_POLICY.allowCredentials, problems);
  const allowOrigins = checkOrigins(file.allowOrigins, allowCredentials, problems, notes);
  const allowMethods = checkStrings(file, 'allowMethods', DEFAULT_POLICY.allowMethods, problems).flatMap(
    (method, index) => checkMethod(method, index, problems),
  );
  const allowHeaders = checkStrings(file, 'allowHeaders', DEFAULT_POLICY.allowHeaders, problems).flatMap(
    (name, index) => checkHeaderName('allowHeaders', name, index, true, problems).map((n) => n.toLowerCase()),
  );
  const exposeHeaders = checkStrings(file, 'exposeHeaders', DEFAULT_POLICY.exposeHeaders, problems).flatMap(
    (name, index) => checkHeaderName('exposeHeaders', name, index, false, problems),
  );
  if (allowCredentials && exposeHeaders.includes('*')) {
    problems.push(
      'exposeHeaders: "*" exposes nothing on credentialed requests (browsers read it as a header named "*"); list the headers by name',
    );
  }
  const maxAge = checkMaxAge(file.maxAge, problems);
  const preflight = checkPreflight(file.preflight, problems);

  if (problems.length > 0) throw new PolicyError(source, problems);
  return {
    allowOrigins: unique(allowOrigins),
    allowMethods: unique(allowMethods),
    allowHeaders: unique(allowHeaders),
    exposeHeaders: unique(exposeHeaders),
    allowCredentials,
    maxAge,
    preflight,
  };
}

function checkOrigins(value: unknown, allowCredentials: boolean, problems: string[], notes: string[]): string[] {
  const example = 'e.g. "allowOrigins": ["https://app.example.com"]';
  if (value === undefined) {
    problems.push(`allowOrigins is required: list the origins allowed to read responses, ${example}`);
    return [];
  }
  if (!Array.isArray(value)) {
    problems.push(`allowOrigins must be an array of origins, ${example}`);
    return [];
  }
  if (value.length === 0) {
    problems.push(`allowOrigins is empty: list at least one origin, ${example}`);
    return [];
  }
  if (value.includes('*')) {
    if (value.length > 1) {
      problems.push('allowOrigins: "*" already allows every origin; use ["*"] alone, or remove "*" and list origins');
    } else if (allowCredentials) {
      problems.push(
        'allowOrigins ["*"] with allowCredentials: true: browsers never send credentials to "*" and would let any site read ' +
          'credentialed responses if they did; list the origins, or set allowCredentials to false',
      );
    }
    return value.length === 1 ? ['*'] : [];
  }
  return value.flatMap((entry: unknown, index) => {
    const problem = originEntryProblem(entry);
    if (problem !== null) {
      problems.push(`allowOrigins[${index}] ${JSON.stringify(entry)}: ${problem}`);
      return [];
    }
    const canonical = canonicalEntry(entry as string);
    const host = ipHost(entry as string);
    if (host !== null && 'host' in host && host.host !== host.written.toLowerCase()) {
      notes.push(`allowOrigins[${index}] ${JSON.stringify(entry)} is sent by browsers as "${canonical}" (${host.form}); built as that`);
    }
    return [canonical];
  });
}

/** The canonical form of a valid entry: a wildcard keeps its `*.` in front of the canonical rest. */
function canonicalEntry(entry: string): string {
  const separator = entry.indexOf('://');
  const wildcard = entry.slice(separator + 3, separator + 5) === '*.';
  if (!wildcard) {
    const ip = ipHost(entry);
    const browserForm = ip !== null && 'host' in ip ? entry.slice(0, separator + 3) + ip.host + ip.port : entry;
    return canonicalOrigin(browserForm) as string;
  }
  const canonical = canonicalOrigin(entry.slice(0, separator + 3) + entry.slice(separator + 5)) as string;
  const at = canonical.indexOf('://') + 3;
  return canonical.slice(0, at) + '*.' + canonical.slice(at);
}

/** Schemes whose hosts the URL Standard parses as domains and IPv4 addresses ("special schemes"). */
const SPECIAL_SCHEMES = ['ftp', 'file', 'http', 'https', 'ws', 'wss'];

type IpHost = { written: string; host: string; port: string; form: string } | { problem: string };

/**
 * An exact entry's host when it is an IP address, in the form browsers serialize it (URL Standard:
 * the host parser, then the IPv4 or IPv6 serializer, which is what Node's `URL` implements), or why
 * it can never be sent; `null` for a DNS name. Browsers read a host whose last label is a number
 * (`127.1`, `0x7f.0.0.1`, `2130706433`, `foo.123`) as IPv4 and send it dotted-decimal, or refuse
 * the URL; they send IPv6 compressed and lower case (RFC 5952: `[::1]`, never `[0:0:0:0:0:0:0:1]`).
 */
function ipHost(entry: string): IpHost | null {
  const separator = entry.indexOf('://');
  const scheme = entry.slice(0, separator).toLowerCase();
  const authority = entry.slice(separator + 3);
  const close = authority.startsWith('[') ? authority.indexOf(']') : -1;
  const portAt = authority.indexOf(':', close + 1);
  const written = portAt < 0 ? authority : authority.slice(0, portAt);
  const port = portAt < 0 ? '' : authority.slice(portAt);
  const special = SPECIAL_SCHEMES.includes(scheme);
  if (written.startsWith('[')) {
    const host = urlHost(`${scheme}://${written}`);
    if (host === null) {
      return { problem: `the host must be DNS labels (letters, digits, inner hyphens; 1 to 63 characters each) or an [IPv6] literal, and ${written} is not an IPv6 address` };
    }
    return { written, host, port, form: 'IPv6 compressed and in lower case, RFC 5952' };
  }
  if (!endsInNumber(written)) return null;
  if (!special) {
    // Other schemes keep their host as written (an "opaque host"): only plain dotted decimal is an address.
    return isDottedDecimal(written)
      ? { written, host: written, port, form: 'IPv4' }
      : { problem: `"${written}" ends in a number, so it is no DNS name; write an IPv4 address in dotted decimal, e.g. "${scheme}://127.0.0.1${port}", or a host name` };
  }
  const host = urlHost(`${scheme}://${written}`);
  if (host === null) {
    return {
      problem:
        `"${written}" ends in a number, so browsers read it as an IPv4 address, and it is not one: no browser can send this origin; ` +
        'write a host name, or an IPv4 address in dotted decimal such as "127.0.0.1"',
    };
  }
  return { written, host, port, form: 'IPv4 in dotted decimal' };
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

/** Why an `allowOrigins` entry is refused, or `null` when it is valid. */
function originEntryProblem(entry: unknown): string | null {
  if (typeof entry !== 'string') return 'an origin must be a string such as "https://app.example.com"';
  if (entry.toLowerCase() === 'null') {
    return (
      'the "null" origin is shared by sandboxed iframes, file: pages and cross-origin redirects, so allowing it allows ' +
      'all of them; remove it'
    );
  }
  if (/\s/.test(entry)) return 'contains whitespace; write the origin alone, e.g. "https://app.example.com"';
  const separator = entry.indexOf('://');
  if (separator < 1) {
    return `an origin is scheme://host[:port]; write e.g. "https://${entry.replace(/^[/:]+/, '') || 'app.example.com'}"`;
  }
  const scheme = entry.slice(0, separator);
  if (!/^[A-Za-z][A-Za-z0-9+.-]*$/.test(scheme)) return `"${scheme}" is not a URL scheme; write e.g. "https://…"`;

  const afterScheme = entry.slice(separator + 3);
  const end = afterScheme.search(/[/?#]/);
  const authority = end < 0 ? afterScheme : afterScheme.slice(0, end);
  const base = `${scheme}://${authority}`;
  if (end >= 0) {
    const rest = afterScheme.slice(end);
    const part = rest === '/' ? 'a trailing slash' : rest[0] === '/' ? 'a path' : rest[0] === '?' ? 'a query' : 'a fragment';
    return `${part} is not part of an origin (browsers send scheme://host[:port] only); write "${base}"`;
  }
  if (authority.includes('@')) {
    return `userinfo ("…@") is not part of an origin; write "${scheme}://${authority.slice(authority.lastIndexOf('@') + 1)}"`;
  }
  if (/[^\x21-\x7e]/.test(authority)) {
    const host = authority.replace(/^\*\./, '').replace(/:\d*$/, '');
    const ascii = domainToASCII(host);
    const hint = ascii ? `, e.g. "${base.replace(host, ascii)}"` : '';
    return `non-ASCII host: browsers send the punycode form, so write that${hint}`;
  }

  const wildcard = authority.startsWith('*.');
  const hostAndPort = wildcard ? authority.slice(2) : authority;
  if (hostAndPort.includes('*')) {
    return '"*" may only stand as the whole leftmost label of a host, as in "https://*.example.com"';
  }
  const portAt = hostAndPort.startsWith('[') ? hostAndPort.indexOf(':', hostAndPort.indexOf(']')) : hostAndPort.indexOf(':');
  const host = portAt < 0 ? hostAndPort : hostAndPort.slice(0, portAt);
  const port = portAt < 0 ? undefined : hostAndPort.slice(portAt + 1);
  if (port !== undefined && !/^[1-9][0-9]{0,4}$/.test(port)) {
    return `port "${port}" is not a port number from 1 to 65535 without leading zeros`;
  }
  if (port !== undefined && Number(port) > 65535) return `port ${port} is above 65535`;
  if (host.endsWith('.')) return `a trailing dot is not part of an origin browsers send; write "${base.replace(`${host}`, host.slice(0, -1))}"`;

  if (wildcard) {
    if (canonicalHostName(host) === null || /^[0-9.]+$/.test(host)) {
      return `"${host}" is not a DNS domain a wildcard can stand over`;
    }
    if (endsInNumber(host)) {
      return `"${host}" ends in a number, which browsers read as an IPv4 address, never a domain: no origin can match "*.${host}"`;
    }
    const domain = host.toLowerCase();
    if (!domain.includes('.') || getPublicSuffix(domain, { allowPrivateDomains: true }) === domain) {
      return (
        `"*.${domain}" covers every site under the public suffix "${domain}", not only yours; ` +
        `put the wildcard over a domain you own, e.g. "${scheme}://*.yourcompany.${domain}"`
      );
    }
    const beneath = publicSuffixBeneath(domain);
    if (beneath !== null) {
      const example = beneath.replace(/^\*\./, 'anyone.');
      return (
        `"*.${domain}" also covers sites anyone can register: "${beneath}" is a public suffix beneath it (Public Suffix List), ` +
        `so "${scheme}://attacker.${example}" would be allowed; list your origins exactly, or put the wildcard over a domain only you control`
      );
    }
    return null;
  }
  const ip = ipHost(entry);
  if (ip !== null && 'problem' in ip) return ip.problem;
  if (canonicalOrigin(ip === null ? entry : `${scheme}://${ip.host}${ip.port}`) === null) {
    return 'the host must be DNS labels (letters, digits, inner hyphens; 1 to 63 characters each) or an [IPv6] literal';
  }
  return null;
}

function checkMethod(method: string, index: number, problems: string[]): string[] {
  if (!isToken(method) || method === '*') {
    problems.push(
      `allowMethods[${index}] ${JSON.stringify(method)}: not an HTTP method (a token such as "GET" or "PATCH"; "*" is not a method)`,
    );
    return [];
  }
  if (method === RESERVED_NAME) {
    problems.push(`allowMethods[${index}] "${RESERVED_NAME}": cannot be a key of the lookup table inlined into the functions; remove it`);
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

function checkStrings(file: Record<string, unknown>, key: keyof CorsPolicy, fallback: string[], problems: string[]): string[] {
  const value = file[key];
  if (value === undefined) return fallback;
  if (!Array.isArray(value) || value.some((item) => typeof item !== 'string')) {
    problems.push(`${key} must be an array of strings, e.g. ${JSON.stringify(key === 'allowMethods' ? ['GET', 'PUT'] : ['x-request-id'])}`);
    return [];
  }
  return value as string[];
}

function checkBoolean(file: Record<string, unknown>, key: 'allowCredentials', fallback: boolean, problems: string[]): boolean {
  const value = file[key];
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') {
    problems.push(`${key} must be true or false (a JSON boolean, not ${JSON.stringify(value)})`);
    return fallback;
  }
  return value;
}

function checkMaxAge(value: unknown, problems: string[]): number | undefined {
  if (value === undefined) return DEFAULT_POLICY.maxAge;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > MAX_AGE_LIMIT) {
    problems.push(
      `maxAge ${JSON.stringify(value)}: must be a whole number of seconds from 0 to ${MAX_AGE_LIMIT} (a day, the longest browsers honour), or absent for no header`,
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
