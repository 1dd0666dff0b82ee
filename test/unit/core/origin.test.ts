import { describe, expect, it } from 'vitest';
import { canonicalOrigin, canonicalHostName } from '../../../functions/core/origin.ts';

describe('canonicalOrigin', () => {
  it.each([
    ['https://app.example.com', 'https://app.example.com'],
    ['HTTPS://APP.EXAMPLE.COM', 'https://app.example.com'],
    ['https://app.example.com:443', 'https://app.example.com'],
    ['http://app.example.com:80', 'http://app.example.com'],
    ['http://app.example.com:443', 'http://app.example.com:443'],
    ['https://app.example.com:80', 'https://app.example.com:80'],
    ['http://localhost:3000', 'http://localhost:3000'],
    ['capacitor://localhost', 'capacitor://localhost'],
    ['chrome-extension://abcdefghijklmnopabcdefghijklmnop', 'chrome-extension://abcdefghijklmnopabcdefghijklmnop'],
    ['http://127.0.0.1:8080', 'http://127.0.0.1:8080'],
    ['http://[::1]:3000', 'http://[::1]:3000'],
    ['https://[2001:DB8::1]', 'https://[2001:db8::1]'],
    ['http://[::]:8080', 'http://[::]:8080'],
    ['http://[1:2:3:4:5:6:7:8]', 'http://[1:2:3:4:5:6:7:8]'],
    ['http://[1:2:3:4:5:6:7::]', 'http://[1:2:3:4:5:6:7::]'],
    ['http://[::ffff:c000:201]', 'http://[::ffff:c000:201]'],
    ['https://xn--bcher-kva.example', 'https://xn--bcher-kva.example'],
    ['https://a-b.example.com:65535', 'https://a-b.example.com:65535'],
  ])('canonicalizes %j to %j', (value, canonical) => {
    expect(canonicalOrigin(value)).toBe(canonical);
  });

  it.each([
    ['', 'empty'],
    ['null', 'the null origin'],
    ['https://', 'no host'],
    ['://app.example.com', 'no scheme'],
    ['1https://app.example.com', 'scheme starting with a digit'],
    ['https://app.example.com/', 'trailing slash'],
    ['https://user@app.example.com', 'userinfo'],
    ['https://app.example.com:0', 'port 0'],
    ['https://app.example.com:65536', 'port above 65535'],
    ['https://app.example.com:0443', 'leading zero'],
    ['https://app.example.com:', 'empty port'],
    ['https://app.example.com.', 'trailing dot'],
    ['https://-app.example.com', 'leading hyphen'],
    ['https://app-.example.com', 'trailing hyphen'],
    [`https://${'a'.repeat(64)}.example.com`, 'label over 63 characters'],
    [`https://${'a.'.repeat(130)}com`, 'host over 253 characters'],
    ['https://[::1', 'unclosed IPv6 literal'],
    ['http://[:.]', 'IPv6 literal of separators only'],
    ['http://[::::::::::::::::]', 'IPv6 literal with several ::'],
    ['http://[fffff:1]', 'IPv6 group of five digits'],
    ['http://[1:2:3:4:5:6:7]', 'IPv6 literal of seven groups without ::'],
    ['http://[1:2:3:4:5:6:7:8:9]', 'IPv6 literal of nine groups'],
    ['http://[1::2::3]', 'IPv6 literal with two ::'],
    ['http://[::ffff:192.0.2.1]', 'dotted IPv4 tail, which browsers serialize as hex'],
    ['http://[1.2.3.4::]', 'IPv4 before ::'],
    ['https://[::g]', 'non-hex IPv6 literal'],
    ['https://[::1]x', 'text after an IPv6 literal'],
    ['https://bücher.example', 'non-ASCII host'],
    ['https://app.example.com\n', 'line break'],
  ])('refuses %j (%s)', (value) => {
    expect(canonicalOrigin(value)).toBeNull();
  });

  it('refuses anything that is not a string', () => {
    for (const value of [undefined, null, 42, {}, ['https://app.example.com']]) {
      expect(canonicalOrigin(value as unknown as string)).toBeNull();
    }
  });

  it('returns a browser-serialized origin unchanged, so real traffic is never rewritten', () => {
    for (const origin of ['https://app.example.com', 'http://localhost:5173', 'https://x.y.example.co.uk:8443']) {
      expect(canonicalOrigin(origin)).toBe(origin);
    }
  });

  it('is idempotent', () => {
    for (const value of ['HTTPS://A.EXAMPLE.COM:443', 'http://[::1]:80', 'http://LocalHost:3000']) {
      const once = canonicalOrigin(value) as string;
      expect(canonicalOrigin(once)).toBe(once);
    }
  });
});

describe('canonicalHostName', () => {
  it('folds case and keeps every label', () => {
    expect(canonicalHostName('App.Example.COM')).toBe('app.example.com');
  });

  it('refuses an empty label', () => {
    expect(canonicalHostName('a..example.com')).toBeNull();
  });
});
