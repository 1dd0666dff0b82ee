import { describe, expect, it } from 'vitest';
import { cloudFrontFunctionProblems } from '../../../build/cloudfront-function-syntax.ts';
import { checkInputs } from '../../../build/build.ts';

const ENTRY = 'function handler(event) { return event.request; }';

describe('cloudFrontFunctionProblems', () => {
  it('accepts what cloudfront-js-2.0 runs: ES5.1, const/let, arrows, templates, rest parameters, async/await', () => {
    const code = `${ENTRY}
      const a = 1; let b = (x, ...rest) => \`\${x}\${rest.length}\`; var c = 2 ** 3;
      async function d() { await null; }`;
    expect(cloudFrontFunctionProblems(code)).toEqual([]);
  });

  it.each([
    ['class A {}', /a class/],
    ['for (const x of []) {}', /for…of/],
    ['const { a } = {};', /destructuring/],
    ['const [a] = [];', /destructuring/],
    ['function f(a = 1) {}', /default parameter/],
    ['f(...[1]);', /spread/],
    ['function* g() {}', /generator/],
    ['tag`x`;', /tagged template/],
    ['var o = { a };', /object literal extension/],
    ['var o = { m() {} };', /object literal extension/],
    ['var x = require("fs");', /require\(\)/],
    ['var x = a ?? b;', /syntax newer/],
    ['var x = a?.b;', /syntax newer/],
    ['var x = { ...a };', /syntax newer/],
    ['try {} catch {}', /syntax newer/],
    ['export { handler };', /syntax newer/],
    ['import x from "y";', /syntax newer/],
    ['async function f() { for (;;) try { return g(1, await h()); } catch (e) {} }', /await as a call's argument .*njs crashes/],
  ])('refuses %s', (code, problem) => {
    expect(cloudFrontFunctionProblems(`${ENTRY}\n${code}`).join('; ')).toMatch(problem);
  });

  describe('for a function that reads a KeyValueStore', () => {
    const modules = ['cloudfront', 'crypto'];

    it("accepts the default imports of CloudFront's own modules", () => {
      const code = `import cf from 'cloudfront';\nimport crypto from 'crypto';\nconst kvs = cf.kvs();\nasync ${ENTRY}`;
      expect(cloudFrontFunctionProblems(code, modules)).toEqual([]);
    });

    it.each([
      ["import fs from 'fs';", /an import of "fs"/],
      ["import { kvs } from 'cloudfront';", /an import of "cloudfront"/],
      ["import * as cf from 'cloudfront';", /an import of "cloudfront"/],
      ['export { handler };', /an export/],
      ["var x = import('cloudfront');", /syntax newer/],
    ])('refuses %s', (code, problem) => {
      expect(cloudFrontFunctionProblems(`${ENTRY}\n${code}`, modules).join('; ')).toMatch(problem);
    });
  });

  it('refuses code without a top-level function handler', () => {
    expect(cloudFrontFunctionProblems('var handler = function (event) {};')).toEqual([
      expect.stringMatching(/no top-level function handler/),
    ]);
  });
});

describe('checkInputs', () => {
  const metafile = (...inputs: string[]) => ({ metafile: { inputs: Object.fromEntries(inputs.map((i) => [i, { bytes: 1, imports: [] }])), outputs: {} } });

  it('accepts our own code and the inlined policy', () => {
    expect(() => checkInputs('x', metafile('functions/core/cors.ts', 'cloudfront-cors:policy'))).not.toThrow();
  });

  it('refuses a bundle that would carry a package, naming it', () => {
    expect(() => checkInputs('lambda-edge/viewer-request', metafile('functions/core/cors.ts', 'node_modules/aws-lambda-test-utils/index.js'))).toThrow(
      /lambda-edge\/viewer-request would bundle code from outside functions\/: node_modules\/aws-lambda-test-utils\/index\.js/,
    );
  });
});
