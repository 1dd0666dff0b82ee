/**
 * `npx cloudfront-cors replay FILE…`: runs events CloudFront really sent through the built handlers
 * and prints what each returned; `--save DIR` also writes each as a test fixture. Nothing it builds
 * stays on disk.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { buildInMemory, loadHandlers, readBuiltCode, type EdgeHandlers } from '../dev/handlers.ts';
import { parseRecorded, replayEvent, saveFixture, type RecordedEvent } from '../dev/replay.ts';
import { BadArguments, parseFlags, Refusal, writablePath, type Command } from './command.ts';

export const replayCommand: Command = {
  name: 'replay',
  summary: 'run recorded CloudFront events through the built functions',
  usage: `usage: npx cloudfront-cors replay [--config PATH | --dist DIR] [--save DIR [--name NAME]] FILE…

Runs recorded CloudFront events through the built handlers and prints what each returned. A FILE
holds log lines from a --record-events build (CloudWatch prefixes are fine), raw event JSON (one
event or an array), or an event object as aws cloudfront test-function takes it.

  --config PATH   build this policy for the replay (default: ./cors.config.json)
  --dist DIR      replay through an existing build instead
  --save DIR      also write each event as a fixture: DIR/<runtime>/<event-type>/<NAME>.json
  --name NAME     the fixture's name (default: recorded-N); with several events, NAME-N`,

  async run(argv, output) {
    const { values, positionals: files } = parseFlags(
      argv,
      { config: { type: 'string' }, dist: { type: 'string' }, save: { type: 'string' }, name: { type: 'string' } },
      true,
    );
    if (values.help) {
      output.out(this.usage);
      return 0;
    }
    if (files.length === 0) throw new BadArguments('name at least one FILE');
    if (values.config !== undefined && values.dist !== undefined) throw new BadArguments('give --config or --dist, not both');
    if (values.name !== undefined && values.save === undefined) throw new BadArguments('--name names the fixture --save writes; give --save DIR too');
    if (values.name !== undefined && !/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(values.name)) {
      throw new BadArguments(`--name ${JSON.stringify(values.name)}: a fixture name is letters, digits, ".", "_" and "-", e.g. from-prod`);
    }
    const save = values.save === undefined ? undefined : writablePath('--save', values.save);

    const events: RecordedEvent[] = files.flatMap((file) => parseRecorded(readText(file), file));
    const handlers = values.dist === undefined ? await buildInMemory(resolve(values.config ?? 'cors.config.json')) : await builtHandlers(values.dist);
    for (const [index, event] of events.entries()) {
      output.out(`# ${event.source}: ${event.kind}`);
      output.out(JSON.stringify(await replayEvent(handlers, event), null, 2));
      if (save !== undefined) {
        const name = (values.name ?? 'recorded') + (values.name !== undefined && events.length === 1 ? '' : `-${index + 1}`);
        output.out(`# saved as ${saveFixture(save, event, name)}`);
      }
    }
    return 0;
  },
};

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new Refusal(`cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
}

async function builtHandlers(dist: string): Promise<EdgeHandlers> {
  let code;
  try {
    code = readBuiltCode(resolve(dist));
  } catch (error) {
    throw new Refusal(
      `${dist} holds no complete build (${(error as NodeJS.ErrnoException).code ?? String(error)}): ` +
        'run npx cloudfront-cors build first, or replay with --config PATH',
    );
  }
  return loadHandlers(code);
}
