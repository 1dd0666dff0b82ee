/**
 * The CORS policy: what a validated policy file says, and the compiled form the edge handlers
 * read on every request. Validation of the file itself lives in `build/policy-file.ts`, because it
 * runs once at build time and may use Node and libraries; this file is inlined into the bundles.
 */
import { authorityOf } from './origin.ts';

/** Who answers CORS preflight requests. */
export type PreflightMode = 'edge' | 'origin';

/**
 * A validated policy with every default applied (SPEC §1). Produced by `validatePolicy`.
 */
export interface CorsPolicy {
  /** Canonical exact origins, wildcard entries (`https://*.example.com`), or `["*"]` alone. */
  allowOrigins: string[];
  /** Methods a preflight may ask for, exactly as browsers send them in `Access-Control-Request-Method`. */
  allowMethods: string[];
  /** Lower-case header names; an entry ending in `*` allows every name with that prefix. */
  allowHeaders: string[];
  /** Response headers scripts may read, in the case the policy wrote them. */
  exposeHeaders: string[];
  /** Whether responses carry `Access-Control-Allow-Credentials: true`. */
  allowCredentials: boolean;
  /** Seconds a browser may cache a preflight answer; `undefined` sends no header. */
  maxAge: number | undefined;
  /** Who answers preflights. */
  preflight: PreflightMode;
}

/** Defaults for every optional key of the policy file (SPEC §1). */
export const DEFAULT_POLICY: Omit<CorsPolicy, 'allowOrigins'> = {
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
 * The compiled policy's property names, and the decisions' own. The CloudFront Function's build
 * shortens them (esbuild `mangleProps`), since they appear in its 10 KB once per use; none of them
 * may be a name CloudFront's event objects use (`headers`, `method`, `origin`, …).
 */
export const INTERNAL_PROPERTIES =
  /^(anyOrigin|origins|wildcards|methods|headerNames|headerPrefixes|allowMethods|exposeHeaders|allowCredentials|maxAge|preflightAtEdge|requestMethod|requestHeaders|action)$/;

/** A set of strings as a plain object, because CloudFront Functions has no `Set`. */
export type Lookup = Record<string, 1>;

/**
 * The policy as the handlers read it: plain JSON, so the build can inline it into a bundle, and
 * shaped so every per-request question is a table lookup.
 */
export interface CompiledPolicy {
  /** `allowOrigins` is `["*"]`: public mode. */
  anyOrigin: boolean;
  /** Exact canonical origins: a request's canonical origin is looked up as itself. */
  origins: Lookup;
  /**
   * Wildcard entries keyed as written (`https://*.example.com:8443`), apart from the exact ones so a
   * request can never match one by sending its text. A request origin is looked up once per label
   * it has in front of a shorter domain: the cost follows its host, not the number of entries.
   */
  wildcards: Lookup;
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
  /** Preflights are answered by the viewer-request handler. */
  preflightAtEdge: boolean;
}

/**
 * Compiles a validated policy into the lookup tables the handlers use.
 *
 * @example compilePolicy({ ...DEFAULT_POLICY, allowOrigins: ['https://*.example.com'] }).origins
 *          // { 'https://*.example.com': 1 }
 */
export function compilePolicy(policy: CorsPolicy): CompiledPolicy {
  const headerPrefixes: string[] = [];
  const exactHeaders: string[] = [];
  for (let i = 0; i < policy.allowHeaders.length; i++) {
    const name = policy.allowHeaders[i] as string;
    if (name.charAt(name.length - 1) === '*') headerPrefixes.push(name.slice(0, -1));
    else exactHeaders.push(name);
  }
  const anyOrigin = policy.allowOrigins.length === 1 && policy.allowOrigins[0] === '*';
  const exact: string[] = [];
  const wildcards: string[] = [];
  for (let i = 0; !anyOrigin && i < policy.allowOrigins.length; i++) {
    const entry = policy.allowOrigins[i] as string;
    (entry.indexOf('://*.') >= 0 ? wildcards : exact).push(entry);
  }
  return {
    anyOrigin,
    origins: lookup(exact),
    wildcards: lookup(wildcards),
    methods: lookup(policy.allowMethods),
    headerNames: lookup(exactHeaders),
    headerPrefixes,
    allowMethods: policy.allowMethods.join(', '),
    exposeHeaders: policy.exposeHeaders.join(', '),
    allowCredentials: policy.allowCredentials,
    maxAge: policy.maxAge === undefined ? '' : String(policy.maxAge),
    preflightAtEdge: policy.preflight === 'edge',
  };
}

/**
 * Returns whether a canonical origin is allowed by an exact or wildcard entry (not by `"*"`:
 * callers check `anyOrigin` themselves, because public mode answers differently).
 *
 * A wildcard `scheme://*.domain[:port]` matches one or more labels in front of `domain`, never
 * `domain` itself: `https://a.b.example.com` is looked up as `https://*.b.example.com`, then
 * `https://*.example.com`, then `https://*.com` (which validation never lets into a policy).
 */
export function isListedOrigin(policy: CompiledPolicy, origin: string): boolean {
  if (has(policy.origins, origin)) return true;
  const authority = authorityOf(origin);
  if (authority.charAt(0) === '[') return false; // IP literals never match a wildcard
  const colon = authority.indexOf(':');
  const host = colon < 0 ? authority : authority.slice(0, colon);
  const port = colon < 0 ? '' : authority.slice(colon);
  const prefix = origin.slice(0, origin.length - authority.length) + '*.';
  for (let dot = host.indexOf('.'); dot >= 0; dot = host.indexOf('.', dot + 1)) {
    if (has(policy.wildcards, prefix + host.slice(dot + 1) + port)) return true;
  }
  return false;
}

/** Returns whether a lower-case header name is allowed in a preflight. */
export function isAllowedHeader(policy: CompiledPolicy, name: string): boolean {
  if (has(policy.headerNames, name)) return true;
  for (let i = 0; i < policy.headerPrefixes.length; i++) {
    if (name.indexOf(policy.headerPrefixes[i] as string) === 0) return true;
  }
  return false;
}

/** Own-property lookup: a request may send `__proto__`, which a plain `in` would find. */
export function has(table: Lookup, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(table, key);
}

function lookup(keys: string[]): Lookup {
  const table: Lookup = {};
  for (let i = 0; i < keys.length; i++) table[keys[i] as string] = 1;
  return table;
}
