/**
 * A KeyValueStore whose contents come from a file of origins (one a line, or a JSON array), for
 * `dev --kvs FILE` and the testing helpers. The file is read again whenever it changes, so an
 * origin added to it is allowed on the next request, as `origins add` makes it at the edge.
 */
import { statSync } from 'node:fs';
import { readOriginList, storeEntriesOf } from '../deploy/origin-list.ts';
import { Refusal } from '../cli/command.ts';
import type { StoreContents } from './handlers.ts';

/**
 * The store a file describes, read again when its size or modification time changes. The first
 * read must succeed. Later, a file that cannot be read or holds a refused origin is reported
 * through `onProblem` and the store keeps what it held before, so a typo while editing never opens
 * anything and never empties the store.
 *
 * @throws Refusal when the file cannot be read or holds a refused origin at the first read
 */
export function fileStore(path: string, onProblem: (message: string) => void = (message) => console.error(`warning: ${message}`)): StoreContents {
  let seen = '';
  let contents: ReadonlyMap<string, string> = new Map();
  const load = (first: boolean) => {
    const stat = statSync(path, { throwIfNoEntry: false });
    const version = stat === undefined ? 'missing' : `${stat.size}:${stat.mtimeMs}`;
    if (version === seen) return;
    seen = version;
    try {
      contents = storeEntriesOf(readOriginList(path));
    } catch (error) {
      if (first) throw new Refusal(`${path}: ${(error as Error).message}`);
      onProblem(`${path}: ${(error as Error).message}; the store keeps what it held before`);
    }
  };
  load(true);
  return () => {
    load(false);
    return contents;
  };
}
