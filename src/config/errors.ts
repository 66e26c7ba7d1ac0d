/** A configuration problem the user must fix; printed as one line, exit status 2. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}
