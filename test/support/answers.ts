/**
 * One neutral shape for what either viewer-request flavour answered, so the Lambda@Edge and
 * CloudFront Function results can be compared for equality (SPEC §4: identical behaviour).
 */
import type { CloudFrontRequestResult } from 'aws-lambda';
import type { FunctionResult } from './artifacts.ts';

export type ViewerAnswer =
  | { kind: 'request'; headers: Record<string, string[]> }
  | { kind: 'response'; status: number; headers: Record<string, string> };

export function lambdaAnswer(result: CloudFrontRequestResult): ViewerAnswer {
  if (result === null || result === undefined) throw new Error('the Lambda@Edge handler returned nothing');
  if ('status' in result) {
    const headers: Record<string, string> = {};
    for (const [name, entries] of Object.entries(result.headers ?? {})) headers[name] = entries.map((e) => e.value).join(', ');
    return { kind: 'response', status: Number(result.status), headers };
  }
  const headers: Record<string, string[]> = {};
  for (const [name, entries] of Object.entries(result.headers)) headers[name] = entries.map((e) => e.value);
  return { kind: 'request', headers };
}

export function functionAnswer(result: FunctionResult | { thrown: string }): ViewerAnswer {
  if ('thrown' in result) throw new Error(`the CloudFront Function threw: ${result.thrown}`);
  if ('statusCode' in result) {
    const headers: Record<string, string> = {};
    for (const [name, header] of Object.entries(result.headers)) headers[name] = header.value;
    return { kind: 'response', status: result.statusCode, headers };
  }
  const headers: Record<string, string[]> = {};
  for (const [name, header] of Object.entries(result.headers)) {
    headers[name] = header.multiValue ? header.multiValue.map((v) => v.value) : [header.value];
  }
  return { kind: 'request', headers };
}
