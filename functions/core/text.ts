/**
 * Header text as HTTP reads it (SPEC §4.7): only spaces and tabs are whitespace around a value
 * (RFC 9110 §5.6.3, "OWS"), and only ASCII letters have case (header names and methods are
 * tokens, RFC 9110 §5.6.2; Fetch's "byte-lowercase"). `String.prototype.trim` and `toLowerCase`
 * know Unicode, and engines disagree on it: njs lower-cases `İ` (U+0130) to `i`, V8 to `i̇`, and
 * both map the Kelvin sign (U+212A) to `k` and trim U+00A0 and U+FEFF. So a value such as
 * `x-amz-\u212Aey` or `\u00a0PUT` would pass as `x-amz-key` or `PUT`.
 *
 * The rule the core follows: check the grammar first (a token, DNS labels, hex digits: ASCII by
 * construction), then fold case with `toLowerCase`, which on ASCII text changes ASCII letters only.
 * Text that is compared without a grammar of its own (`Vary` tokens) goes through `asciiLowerCase`.
 * Whitespace is trimmed with `trimWhitespace`, never `trim`.
 *
 * ES5.1 built-ins only and no regular expression: this runs per request in both runtimes.
 */

/**
 * Returns the value with ASCII `A`-`Z` lower-cased and every other character as it was.
 *
 * @example asciiLowerCase('X-Amz-\u212Aey') // 'x-amz-\u212Aey'
 */
export function asciiLowerCase(value: string): string {
  let i = 0;
  while (i < value.length && !isUpper(value.charCodeAt(i))) i++;
  if (i === value.length) return value; // the common case: nothing to change, nothing allocated
  let lower = value.slice(0, i);
  for (; i < value.length; i++) {
    const code = value.charCodeAt(i);
    lower += isUpper(code) ? String.fromCharCode(code + 32) : value.charAt(i);
  }
  return lower;
}

/**
 * Returns the value without leading and trailing spaces and tabs; any other character, Unicode
 * spaces included, stays.
 *
 * @example trimWhitespace(' \tPUT ') // 'PUT'
 * @example trimWhitespace('\u00a0PUT') // '\u00a0PUT'
 */
export function trimWhitespace(value: string): string {
  let start = 0;
  let end = value.length;
  while (start < end && isSpaceOrTab(value.charCodeAt(start))) start++;
  while (end > start && isSpaceOrTab(value.charCodeAt(end - 1))) end--;
  return value.slice(start, end);
}

function isUpper(code: number): boolean {
  return code >= 65 && code <= 90;
}

function isSpaceOrTab(code: number): boolean {
  return code === 32 || code === 9;
}
