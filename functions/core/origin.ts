/**
 * Canonical origins (SPEC §3).
 *
 * This file runs on every request, in Lambda@Edge and in CloudFront Functions
 * (cloudfront-js-2.0). It therefore uses only ES5.1 built-ins (no `startsWith`,
 * `Map`, `Set`) and no regular expression: every check is one pass over the
 * characters, so its cost is linear in the header's length whatever its content. Case is folded
 * only once the grammar has proven the text ASCII, so `toLowerCase` cannot map a character beyond
 * ASCII onto a letter (SPEC §4.7; see `text.ts`): V8 and CloudFront's engine agree on every input.
 */

/**
 * Longest `Origin` value worth reading. A DNS name is at most 253 characters and
 * a port 6; a longer value is malformed by construction, and refusing it early
 * bounds the work an attacker can ask for.
 */
const MAX_ORIGIN_LENGTH = 320;

/** A DNS label is at most 63 octets (RFC 1035 §2.3.4). */
const MAX_LABEL_LENGTH = 63;

/** A host name is at most 253 characters in text form (RFC 1035 §2.3.4). */
const MAX_HOST_LENGTH = 253;

const DEFAULT_PORTS: Record<string, string> = { http: '80', https: '443' };

/**
 * Returns the canonical form of an `Origin` header value, or `null` when the value is malformed.
 *
 * Canonical means exactly `scheme "://" host [":" port]`: ASCII, no whitespace, no path, query,
 * fragment or userinfo, port 1..65535 without leading zeros, host made of DNS labels (letters,
 * digits, inner hyphens, 1..63 characters) or a bracketed IPv6 literal. Scheme and host are folded
 * to lower case and a default port (`:80` for http, `:443` for https) is dropped.
 *
 * Browsers serialize origins this way already (Fetch standard, "serializing an origin"), so a
 * real browser's `Origin` comes back unchanged; anything else was crafted.
 *
 * A fully qualified host (`https://app.example.com.`) is malformed here: no policy entry has the
 * dot, and to browsers it is another origin than the undotted one. Only the same-origin check
 * reads it, with `rootDot` (SPEC §4.2: a page served from the dotted host keeps working).
 *
 * @example canonicalOrigin('HTTPS://App.Example.com:443') // 'https://app.example.com'
 * @example canonicalOrigin('https://app.example.com/')    // null
 * @param rootDot accept one trailing dot after the host's last label, and keep it
 */
export function canonicalOrigin(value: string, rootDot?: boolean): string | null {
  if (typeof value !== 'string' || value.length > MAX_ORIGIN_LENGTH) return null;
  const separator = value.indexOf('://');
  if (separator < 1) return null;

  const scheme = canonicalScheme(value.slice(0, separator));
  if (scheme === null) return null;

  const authority = value.slice(separator + 3);
  let host: string | null;
  let rest: string;
  if (authority.charAt(0) === '[') {
    const close = authority.indexOf(']');
    if (close < 0) return null;
    host = canonicalIpv6(authority.slice(0, close + 1));
    rest = authority.slice(close + 1);
  } else {
    const colon = authority.indexOf(':');
    host = canonicalHostName(colon < 0 ? authority : authority.slice(0, colon), rootDot);
    rest = colon < 0 ? '' : authority.slice(colon);
  }
  if (host === null) return null;
  if (rest === '') return scheme + '://' + host;
  if (rest.charAt(0) !== ':') return null;

  const port = rest.slice(1);
  if (!isPort(port)) return null;
  return DEFAULT_PORTS[scheme] === port ? scheme + '://' + host : scheme + '://' + host + ':' + port;
}

/**
 * Returns the host and port of a canonical origin: what follows `://`.
 *
 * @example authorityOf('https://app.example.com:8443') // 'app.example.com:8443'
 */
export function authorityOf(origin: string): string {
  return origin.slice(origin.indexOf('://') + 3);
}

/**
 * Returns the DNS labels of a host name, lower-cased, or `null` when it is not one.
 * Shared by request parsing and policy validation so both speak one grammar.
 *
 * @example canonicalHostName('App.Example.COM') // 'app.example.com'
 * @param rootDot accept one trailing dot (the DNS root), kept in the result
 */
export function canonicalHostName(host: string, rootDot?: boolean): string | null {
  if (rootDot === true && host.length > 1 && host.charCodeAt(host.length - 1) === 46 /* . */) {
    const name = canonicalHostName(host.slice(0, -1));
    return name === null ? null : name + '.';
  }
  if (host.length === 0 || host.length > MAX_HOST_LENGTH) return null;
  let labelLength = 0;
  for (let i = 0; i < host.length; i++) {
    const code = host.charCodeAt(i);
    if (code === 46 /* . */) {
      if (labelLength === 0 || host.charCodeAt(i - 1) === 45 /* - */) return null;
      labelLength = 0;
      continue;
    }
    if (code === 45 /* - */) {
      if (labelLength === 0) return null;
    } else if (!isAlphaNumeric(code)) {
      return null;
    }
    labelLength++;
    if (labelLength > MAX_LABEL_LENGTH) return null;
  }
  // A trailing dot (an empty last label) only with `rootDot`, above; a trailing hyphen never.
  if (labelLength === 0 || host.charCodeAt(host.length - 1) === 45) return null;
  return host.toLowerCase();
}

/** Scheme per RFC 3986 §3.1: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ), folded to lower case. */
function canonicalScheme(scheme: string): string | null {
  for (let i = 0; i < scheme.length; i++) {
    const code = scheme.charCodeAt(i);
    const letter = (code >= 65 && code <= 90) || (code >= 97 && code <= 122);
    const other = (code >= 48 && code <= 57) || code === 43 || code === 45 || code === 46;
    if (!letter && (i === 0 || !other)) return null;
  }
  return scheme.toLowerCase();
}

/**
 * A bracketed IPv6 literal as browsers serialize one (URL Standard, "IPv6 serializer"; RFC 4291
 * §2.2): up to eight groups of one to four hex digits, fewer around a single `::`. A dotted IPv4
 * tail is valid in a URL but never in a serialized origin, so it is refused. Case is folded.
 */
function canonicalIpv6(literal: string): string | null {
  const inner = literal.slice(1, -1);
  if (inner.length < 2 || inner.length > 39) return null;
  const gap = inner.indexOf('::');
  if (gap >= 0 && inner.indexOf('::', gap + 1) >= 0) return null;
  const groups = gap < 0 ? ipv6Groups(inner) : ipv6Groups(inner.slice(0, gap)) + ipv6Groups(inner.slice(gap + 2));
  return groups >= 0 && (gap < 0 ? groups === 8 : groups <= 7) ? '[' + inner.toLowerCase() + ']' : null;
}

/** How many groups a run of `:`-separated hex groups holds, or a negative number when malformed. */
function ipv6Groups(run: string): number {
  if (run === '') return 0;
  const parts = run.split(':');
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i] as string;
    if (part.length === 0 || part.length > 4) return -99;
    for (let j = 0; j < part.length; j++) {
      const code = part.charCodeAt(j);
      if (!((code >= 48 && code <= 57) || (code >= 97 && code <= 102) || (code >= 65 && code <= 70))) return -99;
    }
  }
  return parts.length;
}

/** 1..65535 in plain decimal, no sign, no leading zero. */
function isPort(port: string): boolean {
  if (port.length === 0 || port.length > 5 || port.charCodeAt(0) === 48 /* 0 */) return false;
  for (let i = 0; i < port.length; i++) {
    const code = port.charCodeAt(i);
    if (code < 48 || code > 57) return false;
  }
  return Number(port) <= 65535;
}

function isAlphaNumeric(code: number): boolean {
  return (code >= 48 && code <= 57) || (code >= 65 && code <= 90) || (code >= 97 && code <= 122);
}
