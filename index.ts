/**
 * `cloudfront-cors`: the programmatic build (SPEC §9). The same build as `npx cloudfront-cors build`,
 * for scripts and infrastructure code.
 *
 * @example
 * import { build, validatePolicy } from 'cloudfront-cors';
 * validatePolicy({ allowOrigins: ['https://app.example.com'] }); // throws PolicyError when refused
 * const report = await build({ config: 'cors.config.json', outDir: 'dist' });
 */
export { build, BuildError, type Artifact, type BuildOptions, type BuildReport, type BuildTarget } from './build/build.ts';
export { PolicyError, readPolicyFile, validatePolicy, type CorsPolicyFile } from './build/policy-file.ts';
export type { CorsPolicy, PreflightMode } from './functions/core/policy.ts';
