/**
 * `npx cloudfront-cors report`: the origins a `"mode": "report-only"` policy would refuse, counted
 * from the lines its handlers log (SPEC §11), so a team sees who would break before it enforces.
 * Exit codes: 0 done (refusals or none); 1 failed; 2 bad arguments.
 */
import { BadArguments, Refusal, parseFlags, type Command } from './command.ts';

export const reportCommand: Command = {
  name: 'report',
  summary: 'count the origins a report-only policy refused, from log files or a log group',
  usage: `usage: npx cloudfront-cors report FILE… | --log-group NAME [--since 24h] [--region R]  [--json]

Reads the lines a policy with "mode": "report-only" logs for each request it would refuse,
{"cloudfront-cors":"refused","origin":…,"reason":…}, and prints the refused origins with their
counts, most frequent first. Files may be CloudWatch Logs exports, gzipped or not, the console's
CSV download, or JSON output of the AWS CLI: whatever surrounds the line is skipped.

  FILE…                  log files to read
  --log-group NAME       read a CloudWatch Logs group through the AWS SDK instead (every page)
  --since DURATION       with --log-group: how far back, e.g. 30m, 24h, 7d (default: 24h)
  --region R             with --log-group: its region (default: us-east-1, where CloudFront
                         Functions log; Lambda@Edge logs in the region that ran it)
  --json                 print a JSON array of { origin, count, reasons }
  -h, --help             this text

Exit codes: 0 done, 1 failed (a file or the log group cannot be read), 2 bad arguments.`,

  async run(argv, output) {
    const { values, positionals } = parseFlags(
      argv,
      { 'log-group': { type: 'string' }, since: { type: 'string' }, region: { type: 'string' }, json: { type: 'boolean' } },
      true,
    );
    if (values.help) {
      output.out(this.usage);
      return 0;
    }
    const group = values['log-group'];
    if ((group === undefined) === (positionals.length === 0)) {
      throw new BadArguments('name log files, or a log group with --log-group NAME, one of the two');
    }
    if (group === undefined && (values.since !== undefined || values.region !== undefined)) {
      throw new BadArguments('--since and --region go with --log-group');
    }
    const { RefusalTally, duration, readLogFile, readLogGroup } = await import('../deploy/refusal-report.ts');
    const tally = new RefusalTally();
    let source: string;
    if (group !== undefined) {
      const back = duration(values.since ?? '24h');
      if (back === null) throw new BadArguments(`--since ${values.since}: a duration such as 30m, 24h or 7d`);
      const since = new Date(Date.now() - back);
      try {
        const events = await readLogGroup(tally, group, since, values.region ?? 'us-east-1');
        source = `${events} log event${events === 1 ? '' : 's'} of ${group} since ${since.toISOString()}`;
      } catch (error) {
        if ((error as Error).name === 'ResourceNotFoundException') {
          throw new Refusal(`no log group ${group} in ${values.region ?? 'us-east-1'}: CloudFront Functions log to /aws/cloudfront/function/<name> in us-east-1, Lambda@Edge to /aws/lambda/us-east-1.<name> in the region that ran it (--region)`);
        }
        throw error;
      }
    } else {
      for (const file of positionals) {
        try {
          await readLogFile(tally, file);
        } catch (error) {
          throw new Refusal(`cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}): name a log file, plain or gzipped`);
        }
      }
      source = positionals.join(', ');
    }
    const refused = tally.result();
    if (tally.unreadable > 0) output.err(`warning: ${tally.unreadable} line${tally.unreadable === 1 ? '' : 's'} looked like refusals but could not be read`);
    if (values.json) {
      output.out(JSON.stringify(refused, null, 2));
      return 0;
    }
    if (refused.length === 0) {
      output.out(`no refused requests in ${source}`);
      return 0;
    }
    const width = Math.max(5, ...refused.map((entry) => String(entry.count).length));
    output.out(`${'count'.padStart(width)}  origin  (reasons)`);
    for (const entry of refused) {
      const reasons = Object.entries(entry.reasons)
        .map(([reason, count]) => (count === entry.count ? reason : `${reason} ${count}`))
        .join(', ');
      output.out(`${String(entry.count).padStart(width)}  ${entry.origin}  (${reasons})`);
    }
    const total = refused.reduce((sum, entry) => sum + entry.count, 0);
    output.out(`\n${total} refused request${total === 1 ? '' : 's'} from ${refused.length} origin${refused.length === 1 ? '' : 's'}, in ${source}`);
    return 0;
  },
};
