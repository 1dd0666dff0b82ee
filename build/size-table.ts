import type { Artifact } from './build.ts';

/** The size table: each artifact against its CloudFront limit. */
export function sizeTable(outDir: string, artifacts: Artifact[]): string {
  const rows = artifacts.map((artifact) => [
    `${outDir}/${artifact.name}${artifact.measure === 'zipped' ? ' (zipped)' : ''}`,
    `${artifact.size.toLocaleString('en-US')} B`,
    `${artifact.limit.toLocaleString('en-US')} B`,
    `${((artifact.size / artifact.limit) * 100).toFixed(1)}%`,
    artifact.size > artifact.limit ? 'OVER LIMIT' : 'ok',
  ]);
  const header = ['artifact', 'size', 'CloudFront limit', 'used', ''];
  const widths = header.map((_, i) => Math.max(...[header, ...rows].map((row) => (row[i] as string).length)));
  return [header, ...rows]
    .map((row) => row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i] as number) : cell.padStart(widths[i] as number))).join('  ').trimEnd())
    .join('\n');
}
