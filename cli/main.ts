/**
 * `npx cloudfront-cors <command>`: the dispatcher. It knows the verbs and nothing of their flags;
 * each verb parses its own (cli/<verb>.ts). Every user's mistake ends as one message on stderr and
 * an exit code (2 bad arguments, 1 refused or failed, 0 otherwise), never a stack trace:
 * `CLOUDFRONT_CORS_DEBUG=1` shows one for an error that was not expected.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BuildError, ROOT } from '../build/build.ts';
import { PolicyError } from '../build/policy-file.ts';
import { awsMessage } from '../deploy/aws-message.ts';
import { ReplayError } from '../dev/replay.ts';
import { attachCommand } from './attach.ts';
import { buildCommand } from './build.ts';
import { BadArguments, CONSOLE, Refusal, type Command, type Output } from './command.ts';
import { deployCommand } from './deploy.ts';
import { detachCommand } from './detach.ts';
import { devCommand } from './dev.ts';
import { importCommand } from './import.ts';
import { initCommand } from './init.ts';
import { originsCommand } from './origins.ts';
import { replayCommand } from './replay.ts';
import { reportCommand } from './report.ts';
import { validateCommand } from './validate.ts';

/** Every verb, in the order `--help` lists them: a user's path from nothing to a deployed policy. */
export const COMMANDS: readonly Command[] = [
  initCommand,
  importCommand,
  validateCommand,
  buildCommand,
  deployCommand,
  attachCommand,
  detachCommand,
  originsCommand,
  devCommand,
  replayCommand,
  reportCommand,
];

/** What `npx cloudfront-cors --help` prints. */
export function usage(): string {
  const width = Math.max(...COMMANDS.map((command) => command.name.length));
  return `usage: npx cloudfront-cors <command> [options]

CORS for many origins behind one CloudFront cache. Every command works in the folder it runs in:
the policy is ./cors.config.json, the output ./dist/, SAM's answers ./samconfig.toml.

commands:
${COMMANDS.map((command) => `  ${command.name.padEnd(width)}  ${command.summary}`).join('\n')}

  npx cloudfront-cors <command> --help   that command's options (or: npx cloudfront-cors help <command>)
  npx cloudfront-cors --version          the installed version`;
}

/** The installed package's version. */
export function version(): string {
  return (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
}

/** Runs `cloudfront-cors <argv…>` and resolves to the exit code. */
export async function main(argv: string[], output: Output = CONSOLE): Promise<number> {
  // The AWS SDK warns on every client about Node versions it will stop supporting; the warning
  // is about the SDK's future, not this command, and would bury its output.
  process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';
  const [verb, ...rest] = argv;
  if (verb === undefined) {
    output.err(usage());
    return 2;
  }
  if (verb === '--help' || verb === '-h' || verb === 'help') {
    if (rest.length === 0) {
      output.out(usage());
      return 0;
    }
    const command = COMMANDS.find((c) => c.name === rest[0]);
    if (command === undefined || rest.length > 1) return unknown(rest.join(' '), output);
    output.out(command.usage);
    return 0;
  }
  if (verb === '--version' || verb === '-v' || verb === 'version') {
    if (rest.length > 0) return unknown(`${verb} ${rest.join(' ')}`, output);
    output.out(version());
    return 0;
  }
  const command = COMMANDS.find((c) => c.name === verb);
  if (command === undefined) return unknown(verb, output);
  try {
    return await command.run(rest, output);
  } catch (error) {
    return failed(command, error, output);
  }
}

function unknown(words: string, output: Output): number {
  output.err(`cloudfront-cors: unknown command "${words}"; the commands are ${COMMANDS.map((c) => c.name).join(', ')} (npx cloudfront-cors --help)`);
  return 2;
}

/** One message and an exit code for whatever a verb threw. */
function failed(command: Command, error: unknown, output: Output): number {
  const prefix = `cloudfront-cors ${command.name}:`;
  if (error instanceof BadArguments) {
    output.err(`${prefix} ${error.message}\n\n${command.usage}`);
    return 2;
  }
  if (error instanceof Refusal || error instanceof PolicyError || error instanceof BuildError || error instanceof ReplayError) {
    output.err(`${prefix} ${error.message}`);
    return 1;
  }
  output.err(`${prefix} ${awsMessage(error)}`);
  if (process.env['CLOUDFRONT_CORS_DEBUG'] && error instanceof Error && error.stack) output.err(error.stack);
  return 1;
}
