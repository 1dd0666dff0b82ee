/**
 * Canonical origins (SPEC §3).
 *
 * This file runs on every request, in Lambda@Edge and in CloudFront Functions (cloudfront-js-2.0):
 * ES5.1 built-ins only. The grammar is one anchored regular expression, because in CloudFront
 * Functions' engine a regular expression is the cheapest way to read text: njs interprets a
 * `charCodeAt` loop at some 170 ns a character, and runs this whole match in about 1.2 µs
 * (docs/performance.md). It is written so no input makes it backtrack much: every repeated part
 * is followed by a character its class cannot hold (DNS labels are runs of letters and digits
 * joined by runs of hyphens), so a failing match gives up in time linear in the value's length,
 * and values longer than any origin are refused before it runs.
 *
 * No flag `i`: under njs a case-insensitive class matches non-ASCII letters such as the Kelvin sign
 * (U+212A) as `k`. Case is folded with `toLowerCase` only after the match has proven the text
 * ASCII (SPEC §4.7; see `text.ts`), so V8 and CloudFront's engine agree on every input.
 */

/**
 * Longest `Origin` value worth reading. A DNS name is at most 253 characters and a port 6; a longer
 * value is malformed by construction, and refusing it early bounds the work an attacker can ask for.
 */
export const MAX_ORIGIN_LENGTH = 320;

/** A host name is at most 253 characters in text form, a label 63 (RFC 1035 §2.3.4). */
const MAX_HOST_LENGTH = 253;
const MAX_LABEL_LENGTH = 63;
const LONG_LABEL = /[^.]{64}/;

/**
 * `scheme "://" (host-name ["."] | "[" ipv6 "]") [":" port]`. Groups: 1 scheme (RFC 3986 §3.1),
 * 2 host name, 3 a trailing root dot, 4 the IPv6 literal's inside, 5 the port (1..99999, no
 * leading zero). A host name is DNS labels: runs of letters and digits (`[^\W_]`; `\w` is ASCII in
 * both engines) joined by runs of hyphens, so a label never starts or ends with one (RFC 1123 §2.1).
 */
const ORIGIN = /^([A-Za-z][A-Za-z\d+.-]*):\/\/(?:([^\W_]+(?:-+[^\W_]+)*(?:\.[^\W_]+(?:-+[^\W_]+)*)*)(\.?)|\[([\dA-Fa-f:]+)\])(?::([1-9]\d{0,4}))?$/;
const IPV6_GROUPS = /^[\dA-Fa-f]{1,4}(?::[\dA-Fa-f]{1,4})*$/;

const DEFAULT_PORTS: Record<string, string> = { http: '80', https: '443' };

/** An origin read by {@link parseOrigin}. */
export interface Origin {
  /** Its canonical text: `scheme://host[:port]`. */
  serialized: string;
  /** The lower-case scheme and the port, `""` for the scheme's default: how the policy groups origins (`https:`, `http:3000`). */
  schemeAndPort: string;
  /** The lower-case host: DNS labels, a trailing dot when `rootDot` allowed one, or a bracketed IPv6 literal. */
  hostName: string;
}

/**
 * Reads an `Origin` header value: its canonical form and parts, or `null` when it is malformed.
 *
 * Canonical means exactly `scheme "://" host [":" port]`: ASCII, no whitespace, no path, query,
 * fragment or userinfo, port 1..65535 without leading zeros, host made of DNS labels (letters,
 * digits, inner hyphens, 1..63 characters) or a bracketed IPv6 literal. Scheme and host are folded
 * to lower case and a default port (`:80` for http, `:443` for https) is dropped. Browsers
 * serialize origins this way already (Fetch standard, "serializing an origin"), so a real
 * browser's `Origin` comes back unchanged; anything else was crafted.
 *
 * A fully qualified host (`https://app.example.com.`) is malformed unless `rootDot` is set: no
 * policy entry has the dot, and to browsers it is another origin than the undotted one. Only the
 * same-origin check sets it, so a page served from the dotted host keeps working (SPEC §4.2).
 *
 * @example parseOrigin('HTTPS://App.Example.com:443')
 *          // { serialized: 'https://app.example.com', schemeAndPort: 'https:', hostName: 'app.example.com' }
 */
export function parseOrigin(value: string, rootDot?: boolean): Origin | null {
  const match = value.length <= MAX_ORIGIN_LENGTH ? ORIGIN.exec(value) : null;
  // njs lets `$` match before a final line break, as PCRE does: the match must be the whole value.
  if (match === null || (match[0] as string).length !== value.length || (match[3] && !rootDot)) return null;
  let host = match[2];
  if (host) {
    if (!isHostLength(host)) return null;
    host += match[3] as string;
  } else {
    host = match[4] as string;
    if (!isIpv6(host)) return null;
    host = '[' + host + ']';
  }
  const scheme = (match[1] as string).toLowerCase();
  let port = match[5] || '';
  if (+port > 65535) return null;
  if (DEFAULT_PORTS[scheme] === port) port = '';
  host = host.toLowerCase();
  return { serialized: scheme + '://' + host + (port && ':' + port), schemeAndPort: scheme + ':' + port, hostName: host };
}

/**
 * Returns the canonical form of an `Origin` header value, or `null` when it is malformed
 * (see {@link parseOrigin}).
 *
 * @example canonicalOrigin('HTTPS://App.Example.com:443') // 'https://app.example.com'
 * @example canonicalOrigin('https://app.example.com/')    // null
 */
export function canonicalOrigin(value: string, rootDot?: boolean): string | null {
  const origin = typeof value === 'string' ? parseOrigin(value, rootDot) : null;
  return origin === null ? null : origin.serialized;
}

/**
 * Returns the DNS labels of a host name, lower-cased, or `null` when it is not one: the grammar
 * requests are read with, for policy validation.
 *
 * @example canonicalHostName('App.Example.COM') // 'app.example.com'
 */
export function canonicalHostName(host: string): string | null {
  const origin = parseOrigin('x://' + host);
  return origin !== null && origin.hostName === host.toLowerCase() && host.charAt(0) !== '[' ? origin.hostName : null;
}

/**
 * At most 253 characters, no label over 63. Only a long name can have a long label, and only
 * then does the unanchored search run (it is slow in njs).
 */
function isHostLength(host: string): boolean {
  return host.length <= MAX_LABEL_LENGTH || (host.length <= MAX_HOST_LENGTH && !LONG_LABEL.test(host));
}

/**
 * The inside of a bracketed IPv6 literal as browsers serialize one (URL Standard, "IPv6
 * serializer"; RFC 4291 §2.2): eight groups of one to four hex digits, or fewer around a single
 * `::`. A dotted IPv4 tail is valid in a URL but never in a serialized origin; `ORIGIN` already
 * refused its dots.
 */
function isIpv6(inside: string): boolean {
  const runs = inside.split('::');
  let groups = 0;
  for (let i = 0; i < runs.length; i++) {
    const run = runs[i] as string;
    if (run === '') continue;
    if (!IPV6_GROUPS.test(run)) return false;
    groups += run.split(':').length;
  }
  return runs.length === 1 ? groups === 8 : runs.length === 2 && groups < 8;
}
