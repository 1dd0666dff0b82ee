/**
 * What `npx cloudfront-cors report` reads: the lines report-only handlers log for a request the
 * policy refuses, `{"cloudfront-cors":"refused","origin":…,"reason":…}` (SPEC §11), from log files
 * (CloudWatch Logs exports, whatever prefix each line carries) or from a log group through the AWS
 * SDK. Counted by origin, most frequent first.
 */
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

/** Tallies refusals as lines come in; `result()` sorts them. */
export class RefusalTally {
  private readonly origins = new Map<string, RefusedOrigin>();
  /** Lines that held the marker but not a refusal that could be read. */
  unreadable = 0;

  /** Reads every refusal in a block of log text (a file, or one log event's message). */
  addText(text: string): void {
    for (const line of text.split('\n')) this.addLine(line);
  }

  /** Reads one log line: a refusal after any prefix (timestamp, request id, level), or nothing. */
  addLine(line: string): void {
    const start = line.indexOf(MARKER);
    if (start < 0) return;
    let entry: unknown;
    try {
      entry = JSON.parse(line.slice(start).trim());
    } catch {
      this.unreadable++;
      return;
    }
    const { origin, reason } = entry as { origin?: unknown; reason?: unknown };
    if (typeof origin !== 'string' || typeof reason !== 'string') {
      this.unreadable++;
      return;
    }
    let found = this.origins.get(origin);
    if (found === undefined) this.origins.set(origin, (found = { origin, count: 0, reasons: {} }));
    found.count++;
    found.reasons[reason] = (found.reasons[reason] ?? 0) + 1;
  }

  /** The refused origins, most frequent first, then in code-unit order. */
  result(): RefusedOrigin[] {
    return [...this.origins.values()].sort((a, b) => b.count - a.count || (a.origin < b.origin ? -1 : a.origin > b.origin ? 1 : 0));
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
