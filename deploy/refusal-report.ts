/**
 * What `npx cloudfront-cors report` reads: the lines report-only handlers log for a request the
 * policy refuses, `{"cloudfront-cors":"refused","origin":…,"reason":…}` (SPEC §11), from log files
 * (CloudWatch Logs exports, whatever prefix each line carries) or from a log group through the AWS
 * SDK. Counted by origin, most frequent first.
 */
import { open } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';
import { CloudWatchLogsClient, paginateFilterLogEvents } from '@aws-sdk/client-cloudwatch-logs';

/** One origin the policy refused, how often, and why. */
export interface RefusedOrigin {
  origin: string;
  count: number;
  /** How many of those refusals had each reason (`not allowed`, `malformed`, `method`, `header`). */
  reasons: Record<string, number>;
}

/** Where each refused line starts, whatever a log line carries before it. */
const MARKER = '{"cloudfront-cors":"refused"';
/** The same, inside a JSON string (Lambda's JSON log format, `aws logs … --output json`). */
const ESCAPED_MARKER = '{\\"cloudfront-cors\\":\\"refused\\"';
/** The same, inside a CSV field (the CloudWatch console's download). */
const CSV_MARKER = '{""cloudfront-cors"":""refused""';

/** Tallies refusals as lines come in; `result()` sorts them. */
export class RefusalTally {
  private readonly origins = new Map<string, RefusedOrigin>();
  /** Lines that held the marker but not a refusal that could be read. */
  unreadable = 0;

  /** Reads every refusal in a block of log text (a log event's message, a small file). */
  addText(text: string): void {
    for (const line of text.split('\n')) this.addLine(line);
  }

  /**
   * Reads one log line: every refusal on it, after any prefix (timestamp, request id, level) and
   * whether written plain, inside a JSON string, or inside a CSV field.
   */
  addLine(line: string, depth = 0): void {
    if (line.indexOf(MARKER) < 0) {
      // Written inside a JSON string or a CSV field: read it as it was logged. (Twice nested at most.)
      if (depth < 2 && line.indexOf(ESCAPED_MARKER) >= 0) this.addLine(line.replace(/\\(["\\])/g, '$1'), depth + 1);
      else if (depth < 2 && line.indexOf(CSV_MARKER) >= 0) this.addLine(line.replace(/""/g, '"'), depth + 1);
      return;
    }
    for (let start = line.indexOf(MARKER); start >= 0; start = line.indexOf(MARKER, start + 1)) {
      const text = jsonObjectAt(line, start);
      let entry: unknown;
      try {
        entry = text === null ? null : JSON.parse(text);
      } catch {
        entry = null;
      }
      const { origin, reason } = (entry ?? {}) as { origin?: unknown; reason?: unknown };
      if (typeof origin !== 'string' || typeof reason !== 'string') {
        this.unreadable++;
        continue;
      }
      let found = this.origins.get(origin);
      if (found === undefined) this.origins.set(origin, (found = { origin, count: 0, reasons: {} }));
      found.count++;
      found.reasons[reason] = (found.reasons[reason] ?? 0) + 1;
    }
  }

  /** The refused origins, most frequent first, then in code-unit order. */
  result(): RefusedOrigin[] {
    return [...this.origins.values()].sort((a, b) => b.count - a.count || (a.origin < b.origin ? -1 : a.origin > b.origin ? 1 : 0));
  }
}

/**
 * The JSON object that starts at `start`, up to its matching brace (strings and escapes read as
 * JSON reads them), so whatever follows it on the line is left out; `null` when it never closes.
 */
function jsonObjectAt(line: string, start: number): string | null {
  let depth = 0;
  let inString = false;
  for (let i = start; i < line.length; i++) {
    const c = line[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{') depth++;
    else if (c === '}' && --depth === 0) return line.slice(start, i + 1);
  }
  return null;
}

/**
 * Reads a log file line by line into a tally, so a file of any size is read in constant memory; a
 * gzipped file (a CloudWatch Logs export to S3) is unzipped as it is read.
 */
export async function readLogFile(tally: RefusalTally, path: string): Promise<void> {
  const handle = await open(path);
  try {
    const head = Buffer.alloc(2);
    await handle.read(head, 0, 2, 0);
    const stream = handle.createReadStream({ start: 0, autoClose: false });
    const text = head[0] === 0x1f && head[1] === 0x8b ? stream.pipe(createGunzip()) : stream;
    for await (const line of createInterface({ input: text, crlfDelay: Infinity })) tally.addLine(line);
  } finally {
    await handle.close();
  }
}

/**
 * Reads a log group's events since a time, every page, into a tally. The filter keeps the
 * service's work to the refused lines; the tally reads each one exactly.
 */
export async function readLogGroup(tally: RefusalTally, logGroupName: string, since: Date, region: string): Promise<number> {
  const client = new CloudWatchLogsClient({ region });
  let events = 0;
  const pages = paginateFilterLogEvents({ client }, { logGroupName, startTime: since.getTime(), filterPattern: '"cloudfront-cors" "refused"' });
  for await (const page of pages) {
    for (const event of page.events ?? []) {
      events++;
      if (event.message !== undefined) tally.addText(event.message);
    }
  }
  return events;
}

/**
 * A duration such as `30m`, `24h` or `7d`, in milliseconds; `null` when it is not one.
 *
 * @example duration('24h') // 86400000
 */
export function duration(text: string): number | null {
  const match = /^([1-9][0-9]{0,4})([mhd])$/.exec(text);
  if (match === null) return null;
  const unit = { m: 60_000, h: 3_600_000, d: 86_400_000 }[match[2] as 'm' | 'h' | 'd'];
  return Number(match[1]) * unit;
}
