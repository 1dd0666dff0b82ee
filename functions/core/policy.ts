/**
 * The CORS policy: what a validated policy file says, and the compiled form the edge handlers
 * read on every request. Validation of the file itself lives in `build/policy-file.ts`, because it
 * runs once at build time and may use Node and libraries; this file is inlined into the bundles.
 */
import { parseOrigin, type Origin } from './origin.ts';

/** Who answers CORS preflight requests. */
export type PreflightMode = 'edge' | 'origin';

/**
 * One rule (SPEC §11): which origins may make which requests, and what their answers say. A
 * policy's rules are tried in order, as S3 tries its CORS rules; a policy without `"rules"` is one.
 */
export interface CorsRule {
  /** A name for the rule, which a stored origin's value may give to join it (SPEC §10). */
  id?: string;
  /** Canonical exact origins, wildcard entries (`https://*.example.com`), or `["*"]` alone. */
  allowOrigins: string[];
  /** Methods the rule allows, exactly as browsers send them (`Access-Control-Request-Method`). */
  allowMethods: string[];
  /** Lower-case header names; an entry ending in `*` allows every name with that prefix. */
  allowHeaders: string[];
  /** Response headers scripts may read, in the case the policy wrote them. */
  exposeHeaders: string[];
  /** Whether responses carry `Access-Control-Allow-Credentials: true`. */
  allowCredentials: boolean;
  /** Seconds a browser may cache a preflight answer; `undefined` sends no header. */
  maxAge: number | undefined;
}

/**
 * A validated policy with every default applied (SPEC §1, §11). Produced by `validatePolicy`: one
 * rule's fields at the top level, as a policy file without `"rules"` has them, or `rules`.
 */
export type CorsPolicy = PolicyWide & ((Omit<CorsRule, 'id'> & { rules?: undefined }) | { rules: CorsRule[] });

/** What holds for every rule of a policy. */
export interface PolicyWide {
  /** Who answers preflights. */
  preflight: PreflightMode;
  /** More origins live in a CloudFront KeyValueStore, read by the CloudFront Function (SPEC §10). */
  originStore?: 'keyvaluestore';
  /** Query parameters the viewer request drops, by their percent-decoded name (SPEC §11). */
  legacyQueryParameters?: string[];
  /** `"report-only"`: refused requests pass as they would without the policy, and are logged (SPEC §11). */
  mode?: 'enforce' | 'report-only';
}

/** A policy's rules in order: its `rules`, or the one rule its top-level fields make. */
export function policyRules(policy: CorsPolicy): CorsRule[] {
  if (policy.rules !== undefined) return policy.rules;
  return [
    {
      allowOrigins: policy.allowOrigins,
      allowMethods: policy.allowMethods,
      allowHeaders: policy.allowHeaders,
      exposeHeaders: policy.exposeHeaders,
      allowCredentials: policy.allowCredentials,
      maxAge: policy.maxAge,
    },
  ];
}

/** Defaults for every optional key of the policy file (SPEC §1). */
export const DEFAULT_POLICY: Omit<CorsRule, 'id' | 'allowOrigins'> & PolicyWide = {
  /** @default ["GET", "HEAD"] */
  allowMethods: ['GET', 'HEAD'],
  /** @default [] */
  allowHeaders: [],
  /** @default [] */
  exposeHeaders: [],
  /** @default false */
  allowCredentials: false,
  /** @default undefined (no `Access-Control-Max-Age` header) */
  maxAge: undefined,
  /** @default "edge" */
  preflight: 'edge',
};

/**
 * The property names of the compiled policy and of the core's own objects. The CloudFront
 * Function's build shortens them (esbuild `mangleProps`), since they appear in its 10 KB once per
 * use; none of them may be a name CloudFront's event objects use (`headers`, `method`, `origin`, …).
 */
export const INTERNAL_PROPERTIES =
  /^(anyOrigin|origins|methods|headerNames|headerPrefixes|allowMethods|exposeHeaders|allowCredentials|maxAge|preflightAtEdge|serialized|schemeAndPort|hostName|allowed|answerStatus|answerHeaders|originStore|legacyParameters|reportOnly|laterRules|ruleIds|inRules|named)$/;

/** A set of strings as a plain object, because CloudFront Functions has no `Set`. */
export type Lookup = Record<string, 1>;

/**
 * The allowed origins of one scheme and port, keyed by host, so a request is looked up by the
 * host it sends, never by scanning the list:
 * - `"app.example.com": 1`, an exact origin;
 * - `".example.com": { "app-1": 1, "app-2": 1 }`, exact origins that share a parent domain, when
 *   writing the parent once makes the table smaller (the CloudFront Function has 10 KB);
 * - `"*.preview.example.com": 1`, a wildcard entry. No request host holds `*`, so none can match a
 *   wildcard by sending its text.
 */
export type HostTable = Record<string, 1 | Lookup>;

/**
 * A large host table in Lambda@Edge: the same keys (no groups), sorted by UTF-16 code units, in an
 * array that V8 splits from one string in a fraction of the time it takes to read the object or
 * fill a `Set` (see `policyModule`): looked up by binary search. Never in the CloudFront Function.
 */
export type HostList = string[];

/**
 * The policy as the handlers read it: plain JSON, so the build can inline it into a bundle, and
 * shaped so every per-request question is a table lookup.
 *
 * Lookups compare the value found with `=== 1` (or test for an object), never with `in`: a request
 * may ask for `constructor` or `__proto__`, which every object inherits, and what it inherits is a
 * function or an object, never `1`. Every key that holds an object (`https:`, `.example.com`) has a
 * character no inherited name has.
 */
export interface CompiledRule {
  /** `allowOrigins` is `["*"]`: any origin, answered `*`. */
  anyOrigin: boolean;
  /** Allowed origins by `schemeAndPort` (`https:`, `http:3000`; see `parseOrigin`), then by host. */
  origins: Record<string, HostTable>;
  /** Allowed methods, case-sensitive as Fetch compares them. */
  methods: Lookup;
  /** Lower-case header names allowed exactly. */
  headerNames: Lookup;
  /** Lower-case prefixes from entries ending in `*`; `""` allows every header. */
  headerPrefixes: string[];
  /** Value of `Access-Control-Allow-Methods`. */
  allowMethods: string;
  /** Value of `Access-Control-Expose-Headers`, or `""` for none. */
  exposeHeaders: string;
  allowCredentials: boolean;
  /** Value of `Access-Control-Max-Age`, or `""` for none. */
  maxAge: string;
}

/**
 * The policy as the handlers read it: its first rule's tables, what holds for every rule, and its
 * other rules. Plain JSON, so the build can inline it into a bundle, and shaped so every
 * per-request question is a table lookup.
 *
 * Lookups compare the value found with `=== 1` (or test for an object), never with `in`: a request
 * may ask for `constructor` or `__proto__`, which every object inherits, and what it inherits is a
 * function or an object, never `1`. Every key that holds an object (`https:`, `.example.com`) has a
 * character no inherited name has.
 */
export interface CompiledPolicy extends CompiledRule {
  /** Preflights are answered by the viewer-request handler. */
  preflightAtEdge: boolean;
  /** More origins live in a CloudFront KeyValueStore (SPEC §10; see `store.ts`). */
  originStore: boolean;
  /** Query parameter names the viewer request drops (see `query.ts`). */
  legacyParameters: Lookup;
  /** Refused requests pass unchanged and are logged (`refusalReason`). */
  reportOnly: boolean;
  /** The rules after the first, in order (SPEC §11); `[]` for a one-rule policy. See {@link ruleAt}. */
  laterRules: CompiledRule[];
  /** Each rule `id` by its position, 0 for the policy's own fields: which rule a stored origin joins. */
  ruleIds: Record<string, number>;
}

/** A policy's rule by its position: 0 is the policy's own fields, then its {@link CompiledPolicy.laterRules}. */
export function ruleAt(policy: CompiledPolicy, index: number): CompiledRule {
  return index === 0 ? policy : (policy.laterRules[index - 1] as CompiledRule);
}

/**
 * Compiles a validated policy into the lookup tables the handlers use.
 *
 * @example compilePolicy({ ...DEFAULT_POLICY, allowOrigins: ['https://*.example.com'] }).origins
 *          // { 'https:': { '*.example.com': 1 } }
 */
export function compilePolicy(policy: CorsPolicy): CompiledPolicy {
  const rules = policyRules(policy);
  const ruleIds: Record<string, number> = {};
  for (let i = 0; i < rules.length; i++) if ((rules[i] as CorsRule).id !== undefined) ruleIds[(rules[i] as CorsRule).id as string] = i;
  return {
    ...compileRule(rules[0] as CorsRule),
    preflightAtEdge: policy.preflight === 'edge',
    originStore: policy.originStore === 'keyvaluestore',
    legacyParameters: lookup(policy.legacyQueryParameters ?? []),
    reportOnly: policy.mode === 'report-only',
    laterRules: rules.slice(1).map(compileRule),
    ruleIds,
  };
}

/** One rule's lookup tables and answer values. */
function compileRule(rule: CorsRule): CompiledRule {
  const headerPrefixes: string[] = [];
  const exactHeaders: string[] = [];
  for (let i = 0; i < rule.allowHeaders.length; i++) {
    const name = rule.allowHeaders[i] as string;
    if (name.charAt(name.length - 1) === '*') headerPrefixes.push(name.slice(0, -1));
    else exactHeaders.push(name);
  }
  const anyOrigin = rule.allowOrigins.length === 1 && rule.allowOrigins[0] === '*';
  return {
    anyOrigin,
    origins: anyOrigin ? {} : originTables(rule.allowOrigins),
    methods: lookup(rule.allowMethods),
    headerNames: lookup(exactHeaders),
    headerPrefixes,
    allowMethods: rule.allowMethods.join(', '),
    exposeHeaders: rule.exposeHeaders.join(', '),
    allowCredentials: rule.allowCredentials,
    maxAge: rule.maxAge === undefined ? '' : String(rule.maxAge),
  };
}

/**
 * The parts of the engine a compiled policy can reach. A part a policy cannot use is compiled out of
 * its bundles; with every part present (the sources, in tests) the engine answers the same, because
 * the data then makes that part do nothing.
 */
export interface CodeShape {
  /** Wildcard entries: the suffix lookups. */
  usesWildcards: boolean;
  /** Exact origins grouped under a shared parent domain. */
  usesGroups: boolean;
  /** `allowHeaders` entries ending in `*`. */
  usesHeaderPrefixes: boolean;
  /** Host tables held in a sorted {@link HostList} (Lambda@Edge only). */
  usesHostLists: boolean;
  /** `"*"`: public mode. */
  usesAnyOrigin: boolean;
  /** `"preflight": "edge"`: preflight answers in the viewer request. */
  usesEdgePreflight: boolean;
  /** `maxAge` is set. */
  usesMaxAge: boolean;
  /** `allowCredentials` is true. */
  usesCredentials: boolean;
  /** `originStore`: the CloudFront Function reads a KeyValueStore and vouches for what it finds there. */
  usesStore: boolean;
  /** `legacyQueryParameters`: the viewer request drops those query parameters. */
  usesLegacyParameters: boolean;
  /** `"mode": "report-only"`: refused requests pass unchanged and are logged. */
  usesReportOnly: boolean;
  /** More than one rule (SPEC §11): the first rule that matches a request decides. */
  usesRules: boolean;
}

/** Every part of the engine: what the sources run with. */
export const WHOLE_ENGINE: CodeShape = {
  usesWildcards: true,
  usesGroups: true,
  usesHeaderPrefixes: true,
  usesHostLists: true,
  usesAnyOrigin: true,
  usesEdgePreflight: true,
  usesMaxAge: true,
  usesCredentials: true,
  usesStore: true,
  usesLegacyParameters: true,
  usesReportOnly: true,
  usesRules: true,
};

/**
 * The parts of the engine a compiled policy can reach (see {@link CodeShape}).
 *
 * @param lists whether the build writes large host tables as sorted lists (Lambda@Edge)
 */
export function codeShape(policy: CompiledPolicy, lists?: boolean): CodeShape {
  const rules: CompiledRule[] = [policy as CompiledRule].concat(policy.laterRules);
  let usesWildcards = false;
  let usesGroups = false;
  for (let i = 0; i < rules.length; i++) {
    const rule = rules[i] as CompiledRule;
    for (const schemeAndPort in rule.origins) {
      const table = rule.origins[schemeAndPort] as HostTable;
      for (const key in table) {
        if (key.charAt(0) === '*') usesWildcards = true;
        if (key.charAt(0) === '.') usesGroups = true;
      }
    }
  }
  return {
    usesWildcards,
    usesGroups,
    usesHeaderPrefixes: rules.some((rule) => rule.headerPrefixes.length > 0),
    usesHostLists: lists === true,
    usesAnyOrigin: rules.some((rule) => rule.anyOrigin),
    usesEdgePreflight: policy.preflightAtEdge,
    usesMaxAge: rules.some((rule) => rule.maxAge !== ''),
    usesCredentials: rules.some((rule) => rule.allowCredentials),
    usesStore: policy.originStore,
    usesLegacyParameters: Object.keys(policy.legacyParameters).length > 0,
    usesReportOnly: policy.reportOnly,
    usesRules: rules.length > 1,
  };
}

/**
 * Returns whether a canonical origin is allowed by an exact or wildcard entry (not by `"*"`:
 * callers check `anyOrigin` themselves, because public mode answers differently).
 *
 * A wildcard `scheme://*.domain[:port]` matches one or more labels in front of `domain`, never
 * `domain` itself: host `a.b.example.com` is looked up as `*.b.example.com`, then `*.example.com`,
 * then `*.com` (which validation never lets into a policy). The cost follows the request's host,
 * not the number of entries.
 */
export function isListedOrigin(policy: CompiledRule, origin: Origin): boolean {
  // A Lambda@Edge bundle may hold a large table as a sorted list (`HostList`, written by the build).
  const found = policy.origins[origin.schemeAndPort] as HostTable | HostList | undefined;
  if (found === undefined) return false;
  if (CORS_CODE.usesHostLists && found instanceof Array) return isInList(found, origin.hostName);
  const table: HostTable = found as HostTable; // (one object under two names costs the CloudFront Function nothing)
  const host = origin.hostName;
  if (table[host] === 1) return true;
  let dot = host.indexOf('.');
  if (CORS_CODE.usesGroups) {
    const group = table[host.slice(dot)];
    if (dot > 0 && typeof group === 'object' && group[host.slice(0, dot)] === 1) return true;
  }
  if (CORS_CODE.usesWildcards) {
    for (; dot > 0; dot = host.indexOf('.', dot + 1)) if (table['*' + host.slice(dot)] === 1) return true;
  }
  return false;
}

/** {@link isListedOrigin} on a sorted {@link HostList}: the host itself, then its wildcard suffixes. */
function isInList(list: HostList, host: string): boolean {
  if (inSorted(list, host)) return true;
  for (let dot = host.indexOf('.'); dot > 0; dot = host.indexOf('.', dot + 1)) if (inSorted(list, '*' + host.slice(dot))) return true;
  return false;
}

/** Binary search in a list sorted by UTF-16 code units, the order of `<` on strings. */
function inSorted(list: HostList, key: string): boolean {
  let low = 0;
  let high = list.length - 1;
  while (low <= high) {
    const middle = (low + high) >>> 1;
    const found = list[middle] as string;
    if (found === key) return true;
    if (found < key) low = middle + 1;
    else high = middle - 1;
  }
  return false;
}

/** Returns whether a lower-case header name is allowed in a preflight. */
export function isAllowedHeader(policy: CompiledRule, name: string): boolean {
  if (policy.headerNames[name] === 1) return true;
  if (CORS_CODE.usesHeaderPrefixes) {
    for (let i = 0; i < policy.headerPrefixes.length; i++) {
      if (name.indexOf(policy.headerPrefixes[i] as string) === 0) return true;
    }
  }
  return false;
}

/**
 * The origin tables of a policy's entries (canonical, as validation wrote them), exact origins that
 * share a parent domain grouped when that is shorter in JSON.
 */
function originTables(entries: string[]): Record<string, HostTable> {
  const tables: Record<string, HostTable> = {};
  const parents: Record<string, Record<string, string[]>> = {};
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i] as string;
    const wildcard = entry.indexOf('://*.') >= 0;
    const origin = parseOrigin(wildcard ? entry.replace('://*.', '://') : entry) as Origin;
    const table = (tables[origin.schemeAndPort] = tables[origin.schemeAndPort] || {});
    const host = origin.hostName;
    const dot = host.indexOf('.');
    if (wildcard) table['*.' + host] = 1;
    else if (dot < 0 || host.charAt(0) === '[' || /^[0-9.]+$/.test(host)) table[host] = 1;
    else {
      const byParent = (parents[origin.schemeAndPort] = parents[origin.schemeAndPort] || {});
      (byParent[host.slice(dot)] = byParent[host.slice(dot)] || []).push(host.slice(0, dot));
    }
  }
  for (const schemeAndPort in parents) {
    const table = tables[schemeAndPort] as HostTable;
    const byParent = parents[schemeAndPort] as Record<string, string[]>;
    for (const parent in byParent) {
      const labels = byParent[parent] as string[];
      const group = lookup(labels);
      // `"app.example.com":1,` per origin, against `".example.com":{…}` once and `"app":1,` each.
      const flat = labels.length * (parent.length + 5) + labels.join('').length;
      if (JSON.stringify(parent).length + 1 + JSON.stringify(group).length < flat) table[parent] = group;
      else for (let i = 0; i < labels.length; i++) table[labels[i] + parent] = 1;
    }
  }
  return tables;
}

function lookup(keys: string[]): Lookup {
  const table: Lookup = {};
  for (let i = 0; i < keys.length; i++) table[keys[i] as string] = 1;
  return table;
}
