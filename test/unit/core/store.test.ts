import { describe, expect, it } from 'vitest';
import { parseOrigin } from '../../../functions/core/origin.ts';
import { STORE_MAX_READS, STORE_WILDCARD_LABELS, storeKeys } from '../../../functions/core/store.ts';

const keysOf = (origin: string) => storeKeys(parseOrigin(origin, true)!);

describe('store keys', () => {
  it.each([
    ['https://app.example.com', ['https://app.example.com', 'https://*.example.com']],
    ['https://a.b.example.com', ['https://a.b.example.com', 'https://*.b.example.com', 'https://*.example.com']],
    ['http://a.example.com:3000', ['http://a.example.com:3000', 'http://*.example.com:3000']],
    ['capacitor://localhost', ['capacitor://localhost']],
    ['https://example.com', ['https://example.com']],
    ['http://127.0.0.1:8080', ['http://127.0.0.1:8080']],
    ['http://[::1]:8080', ['http://[::1]:8080']],
    ['https://app.example.com.', []],
  ])('looks %s up under its canonical text and its wildcards', (origin, keys) => {
    expect(keysOf(origin)).toEqual(keys);
  });

  it(`stops at wildcards over domains of ${STORE_WILDCARD_LABELS} labels, so no host costs more than ${STORE_MAX_READS} reads`, () => {
    const host = `${Array.from({ length: 60 }, (_, i) => `l${i}`).join('.')}.example.com`;
    const keys = keysOf(`https://${host}`);
    expect(keys).toHaveLength(STORE_MAX_READS);
    expect(keys.at(-1)).toBe('https://*.example.com');
    expect(keys[1]!.split('.')).toHaveLength(1 + STORE_WILDCARD_LABELS);
  });

  it('reads a host whose last label is a number as an address, with no wildcard', () => {
    expect(keysOf('https://a.b.123')).toEqual(['https://a.b.123']);
    expect(keysOf('https://a.b.x123')).toEqual(['https://a.b.x123', 'https://*.b.x123']);
  });
});
