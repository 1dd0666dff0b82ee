/**
 * Errors as a person can act on them: the AWS SDK's by name, Node's own by their message. Kept
 * apart from the SDK clients, so that the CLI can describe any error without loading them.
 */

/** One line for an error: what went wrong and, where it can say, what to do about it. */
export function awsMessage(error: unknown): string {
  const name = (error as Error).name;
  const message = (error as Error).message;
  if (name === 'CredentialsProviderError') return `no AWS credentials: ${message} (set AWS_PROFILE or run aws configure)`;
  if (name === 'NoSuchDistribution') return `no such distribution: ${message}`;
  if (name === 'AccessDenied' || name === 'AccessDeniedException') return `access denied: ${message}`;
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'ETIMEDOUT' || code === 'ECONNRESET') {
    return `cannot reach AWS (${message}); check the network, a proxy, or AWS_ENDPOINT_URL`;
  }
  // Node's own errors (a file, a socket) say what they are in their message.
  if (typeof code === 'string') return message;
  return `${name}: ${message}`;
}
