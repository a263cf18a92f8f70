/** Turn socket and spawn errors into short, clear reasons. */

export function errnoCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  if ('code' in error && typeof error.code === 'string') return error.code;
  // fetch-style wrappers keep the system error as `cause`
  if ('cause' in error) return errnoCode(error.cause);
  return undefined;
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

const NETWORK: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset by peer',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ENOTFOUND: 'host not found (DNS)',
  EAI_AGAIN: 'DNS lookup failed (temporary)',
  ETIMEDOUT: 'connection timed out',
  EPIPE: 'connection closed while sending',
  CERT_HAS_EXPIRED: 'TLS certificate has expired',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'TLS certificate is self-signed',
  SELF_SIGNED_CERT_IN_CHAIN: 'TLS certificate chain is self-signed',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'TLS certificate cannot be verified',
  ERR_TLS_CERT_ALTNAME_INVALID: 'TLS certificate does not match the host name',
  HPE_INVALID_CONSTANT: 'the answer is not HTTP',
  HPE_INVALID_STATUS: 'the answer is not HTTP',
};

/** "connection refused (ECONNREFUSED)" or the error's own message. */
export function networkReason(error: unknown): string {
  const code = errnoCode(error);
  const known = code === undefined ? undefined : NETWORK[code];
  if (known) return `${known} (${code})`;
  return code ? `${messageOf(error)} (${code})` : messageOf(error);
}

const SPAWN: Record<string, string> = {
  ENOENT: 'command not found',
  EACCES: 'permission denied (not executable?)',
  ENOTDIR: 'a path component is not a directory',
  E2BIG: 'argument list too long',
};

export function spawnReason(command: string, error: unknown): string {
  const code = errnoCode(error);
  const known = code === undefined ? undefined : SPAWN[code];
  return known ? `${known}: ${command} (${code})` : `could not start ${command}: ${messageOf(error)}`;
}
