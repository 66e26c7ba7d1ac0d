/**
 * Removes credentials from URLs before they reach a label, a log line or an error message: the
 * password of `user:password@`, and the values of query parameters that carry secrets. The rest of
 * the text is kept exactly as written.
 */

const REDACTED = 'REDACTED';
const USER_INFO_PASSWORD = /(\/\/[^/?#@\s:]*):[^/?#@\s]*@/g;
const SECRET_PARAMETER = /([?&;](?:pass(?:word)?|pwd|token|api[_-]?key|key|secret|auth|access[_-]?token|signature|sig)=)[^&;#\s]*/gi;

export function redactUrl(text: string): string {
  return text.replace(USER_INFO_PASSWORD, `$1:${REDACTED}@`).replace(SECRET_PARAMETER, `$1${REDACTED}`);
}

/** A URL fit to be shown as a link: without `user:password@` at all, and with secret parameters redacted. */
export function withoutCredentials(text: string): string {
  return text.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/?#@]*@/i, '$1').replace(SECRET_PARAMETER, `$1${REDACTED}`);
}
