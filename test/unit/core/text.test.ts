import { describe, expect, it } from 'vitest';
import { asciiLowerCase, trimWhitespace } from '../../../functions/core/text.ts';

describe('asciiLowerCase', () => {
  it.each([
    ['Content-Type', 'content-type'],
    ['X-AMZ-DATE', 'x-amz-date'],
    ['already lower', 'already lower'],
    ['', ''],
    // Beyond ASCII nothing changes, though toLowerCase would map these to ASCII letters.
    ['\u212Aey', '\u212Aey'],
    ['X-\u0130D', 'x-\u0130d'],
    ['\u00C0\u00DF\u1E9E', '\u00C0\u00DF\u1E9E'],
  ])('lower-cases %j to %j', (value, lower) => {
    expect(asciiLowerCase(value)).toBe(lower);
  });
});

describe('trimWhitespace', () => {
  it.each([
    [' \tPUT\t ', 'PUT'],
    ['PUT', 'PUT'],
    ['  ', ''],
    ['a b', 'a b'],
    // Only spaces and tabs are HTTP's whitespace: these stay, so the value is no token.
    ['\u00a0PUT', '\u00a0PUT'],
    ['\uFEFFPUT', '\uFEFFPUT'],
    ['PUT\u3000', 'PUT\u3000'],
    ['PUT\r\n', 'PUT\r\n'],
  ])('trims %j to %j', (value, trimmed) => {
    expect(trimWhitespace(value)).toBe(trimmed);
  });
});
