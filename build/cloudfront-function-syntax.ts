/**
 * Checks that built code runs on CloudFront Functions' cloudfront-js-2.0 runtime: ES5.1 plus
 * `const`/`let`, arrow functions, rest parameters, template literals, `**` and async/await
 * (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/functions-javascript-runtime-20.html),
 * with a top-level `function handler(event)` and no module syntax but the default imports of the
 * modules the runtime offers (`import cf from 'cloudfront'`, `import crypto from 'crypto'`), when
 * the caller allows them.
 *
 * esbuild is told the same feature set and lowers what it can; this check is the proof on the
 * output, so nothing esbuild lets through unnoticed reaches CloudFront.
 */
import { parse, type Node } from 'acorn';
import { full } from 'acorn-walk';

/** Node types cloudfront-js-2.0 does not support, with what they are called in an error. */
const UNSUPPORTED: Record<string, string> = {
  ClassDeclaration: 'a class',
  ClassExpression: 'a class',
  ForOfStatement: 'for…of',
  ObjectPattern: 'destructuring',
  ArrayPattern: 'destructuring',
  AssignmentPattern: 'a default parameter or destructuring default',
  SpreadElement: 'spread (…)',
  YieldExpression: 'a generator',
  TaggedTemplateExpression: 'a tagged template',
  MetaProperty: 'new.target or import.meta',
  ImportExpression: 'import()',
};

/**
 * Returns the reasons built code would not run on cloudfront-js-2.0; empty when it would.
 *
 * @example cloudFrontFunctionProblems('function handler(event) { return event.request; }') // []
 */
export function cloudFrontFunctionProblems(code: string, modules: readonly string[] = []): string[] {
  let program: Node;
  try {
    // ES2017 is the newest edition whose syntax the runtime might accept (async/await); anything
    // newer (`??`, `?.`, object spread, optional catch binding) fails to parse here.
    program = parse(code, { ecmaVersion: 2017, sourceType: modules.length > 0 ? 'module' : 'script', locations: true });
  } catch (error) {
    return [`syntax newer than cloudfront-js-2.0 supports: ${(error as Error).message}`];
  }
  const problems: string[] = [];
  const at = (node: Node) => (node.loc ? ` at ${node.loc.start.line}:${node.loc.start.column + 1}` : '');
  full(program, (node) => {
    const name = UNSUPPORTED[node.type];
    if (name !== undefined) problems.push(`${name}${at(node)}`);
    if (node.type === 'FunctionDeclaration' || node.type === 'FunctionExpression') {
      if ((node as unknown as { generator: boolean }).generator) problems.push(`a generator${at(node)}`);
    }
    if (node.type === 'Property') {
      const property = node as unknown as { shorthand: boolean; method: boolean; computed: boolean };
      if (property.shorthand || property.method || property.computed) {
        problems.push(`an ES6 object literal extension (shorthand, method or computed key)${at(node)}`);
      }
    }
    if (node.type === 'CallExpression' || node.type === 'NewExpression') {
      const call = node as unknown as { callee: { type: string; name?: string }; arguments: Node[] };
      if (call.callee.type === 'Identifier' && call.callee.name === 'require') problems.push(`require()${at(node)}`);
      // njs 0.7, from which CloudFront's runtime derives, crashes on `f(await g())` inside `try` in
      // a loop: an awaited value goes into a variable first.
      for (const argument of call.arguments) if (argument.type === 'AwaitExpression') problems.push(`await as a call's argument${at(argument)} (njs crashes on it; await into a variable first)`);
    }
  });
  const body = (program as unknown as { body: Array<Node & { id?: { name: string } | null; source?: { value: unknown }; specifiers?: Array<{ type: string }> }> }).body;
  for (const statement of body) {
    if (statement.type === 'ImportDeclaration') {
      const source = statement.source?.value;
      const plain = statement.specifiers?.length === 1 && statement.specifiers[0]?.type === 'ImportDefaultSpecifier';
      if (!modules.includes(source as string) || !plain) problems.push(`an import of ${JSON.stringify(source)}${at(statement)} (only ${modules.length > 0 ? modules.map((m) => `import x from '${m}'`).join(' and ') : 'none'})`);
    } else if (statement.type.startsWith('Export')) problems.push(`an export${at(statement)}`);
  }
  const entry = body.find((statement) => statement.type === 'FunctionDeclaration' && statement.id?.name === 'handler');
  if (entry === undefined) problems.push('no top-level function handler(event): CloudFront calls a function named handler');
  return problems;
}
