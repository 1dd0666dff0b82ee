/**
 * What every verb of `npx cloudfront-cors` is: a name, a one-line summary, its own usage text, and a
 * `run` that parses its own flags and returns an exit code. A verb signals a user's mistake by
 * throwing `BadArguments` (exit 2, with its usage) or `Refusal` (exit 1); the dispatcher in
 * `main.ts` turns those, and any other error, into one line on stderr, never a stack trace.
 */
import { resolve, sep } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';

/** Where a command's lines go: stdout and stderr by default; tests collect them. */
export interface Output {
  out(line: string): void;
  err(line: string): void;
}

/** The process's stdout and stderr. */
export const CONSOLE: Output = { out: (line) => console.log(line), err: (line) => console.error(line) };

/** Arguments that make no sense: exit 2, with this message and the verb's usage. */
export class BadArguments extends Error {
  override readonly name = 'BadArguments';
}

/** A refusal or failure the user can act on: exit 1, with this message. */
export class Refusal extends Error {
  override readonly name = 'Refusal';
}

export interface Command {
  /** The verb, as typed: `npx cloudfront-cors <name>`. */
  name: string;
  /** One line for the list of commands. */
  summary: string;
  /** What `npx cloudfront-cors <name> --help` prints: this verb's flags only. */
  usage: string;
  /** Runs the verb with the arguments after its name; resolves to the exit code. */
  run(argv: string[], output: Output): Promise<number>;
}

/**
 * `parseArgs`, strict, with `-h/--help` added; a parse error (an unknown flag, a missing value)
 * becomes `BadArguments`.
 */
export function parseFlags<O extends ParseArgsOptionsConfig>(
  argv: string[],
  options: O,
  allowPositionals = false,
): { values: ParsedFlags<O>; positionals: string[] } {
  try {
    const parsed = parseArgs({ args: argv, options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals, strict: true });
    return { values: parsed.values as ParsedFlags<O>, positionals: parsed.positionals };
  } catch (error) {
    throw new BadArguments((error as Error).message);
  }
}

/** The option declarations `parseArgs` takes. */
export type ParseArgsOptionsConfig = NonNullable<ParseArgsConfig['options']>;

/** The values of parsed flags: a string or a boolean per declared flag, and `help`. */
export type ParsedFlags<O extends ParseArgsOptionsConfig> = {
  [K in keyof O]?: O[K] extends { type: 'boolean' } ? boolean : string;
} & { help?: boolean };

/**
 * Refuses a path to write inside `node_modules`, which npm owns (SPEC §9: nothing is ever written
 * there). Returns the path resolved against the working directory.
 */
export function writablePath(flag: string, path: string): string {
  const absolute = resolve(path);
  if (absolute.split(sep).includes('node_modules')) throw new Refusal(`${flag} ${path}: that is inside node_modules, which npm owns; write into your project instead`);
  return absolute;
}

/** A value that must be one of a few words, e.g. `--only lambda-edge|cloudfront-functions`. */
export function oneOf<T extends string>(flag: string, value: string | undefined, allowed: readonly T[]): T | undefined {
  if (value === undefined || (allowed as readonly string[]).includes(value)) return value as T | undefined;
  throw new BadArguments(`${flag} takes ${allowed.join(' or ')}, not "${value}"`);
}
