import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { validatePolicy } from '../../../build/policy-file.ts';
import { compilePolicy } from '../../../functions/core/policy.ts';
import { withoutLegacyParameters } from '../../../functions/core/query.ts';

const policy = compilePolicy(validatePolicy({ allowOrigins: ['https://app.example.com'], legacyQueryParameters: ['origin', 'site_id'] }));
const drop = (query: string) => withoutLegacyParameters(policy, query);

describe('dropping legacy query parameters from a raw query string', () => {
  it.each([
    ['', ''],
    ['origin=5', ''],
    ['a=1&origin=5&b=2', 'a=1&b=2'],
    ['origin=1&x=%20y&origin=2', 'x=%20y'],
    ['q=a%2Bb&origin=1&r=%E2%9C%93&s=a+b', 'q=a%2Bb&r=%E2%9C%93&s=a+b'],
    ['ori%67in=5&a=b', 'a=b'],
    ['%6F%72%69%67%69%6E=5', ''],
    ['site_id=3&site%5Fid=4&siteid=5&site+id=6', 'siteid=5&site+id=6'],
    ['origin', ''],
    ['origin=', ''],
    ['a=1&&origin=1&b', 'a=1&&b'],
    ['a=1&origin=1&', 'a=1&'],
    ['a=b=c&origin=d=e', 'a=b=c'],
    ['a=1&origin=%zz', 'a=1'],
    ['%zz=1&origin=2', '%zz=1'],
    ['=x&origin=1', '=x'],
  ])('turns %j into %j', (query, expected) => {
    expect(drop(query)).toBe(expected);
  });

  it.each([
    'origin2=1', 'xorigin=1', 'Origin=1', 'ORIGIN=1', 'origin[]=1', 'origin%00=1', 'orig+in=1', 'a=origin', 'origin%3D5', ' origin=1', 'constructor=1', '__proto__=1',
  ])('keeps the look-alike %j as it is', (query) => {
    expect(drop(query)).toBe(query);
    expect(drop(`${query}&origin=9`)).toBe(query);
  });

  it('keeps every other part byte for byte, in order, and drops nothing twice', () => {
    const part = fc.oneof(
      fc.constantFrom('origin=1', 'ori%67in=2', 'site_id=3', 'origin', 'a=1', 'origin2=1', '', '=', '%zz', 'x=%26', 'Origin=1', 'site+id=1'),
      fc.string({ maxLength: 12 }).map((text) => text.replace(/&/g, '')),
    );
    /** The name as a form decodes it, written apart from the code under test. */
    const decoded = (p: string) => {
      const name = p.split('=')[0] as string;
      try {
        return decodeURIComponent(name.replace(/\+/g, ' '));
      } catch {
        return name;
      }
    };
    fc.assert(
      fc.property(fc.array(part, { maxLength: 8 }), (parts) => {
        const query = parts.join('&');
        const result = drop(query);
        expect(result).toBe(query === '' ? '' : parts.filter((p) => !['origin', 'site_id'].includes(decoded(p))).join('&'));
        expect(drop(result)).toBe(result);
      }),
      { numRuns: 2000 },
    );
  });
});
