import { describe, expect, it } from 'vitest';
import { publicSuffixBeneath } from '../../../build/public-suffix.ts';

describe('publicSuffixBeneath', () => {
  it.each([
    ['amazonaws.com', /\.amazonaws\.com$/],
    ['on.aws', /\.on\.aws$/],
    ['compute.amazonaws.com', /^\*\.compute\.amazonaws\.com$/],
    ['uk', /\.uk$/],
    ['com', /\.com$/],
    ['herokuapp.com', /\.herokuapp\.com$/],
  ])('finds a public suffix beneath %s', (domain, suffix) => {
    expect(publicSuffixBeneath(domain)).toMatch(suffix);
  });

  it.each(['example.com', 'preview.example.com', 'a.b.example.co.uk', 'github.io', 'cloudfront.net', 'Example.COM'])('finds none beneath %s', (domain) => {
    expect(publicSuffixBeneath(domain)).toBeNull();
  });
});
