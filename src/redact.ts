/** Removes credentials from URLs before they reach a label, a log line or an error message. */

const SECRET_PARAM = /^(pass(word)?|pwd|token|api[_-]?key|key|secret|auth|access[_-]?token|signature|sig)$/i;
const REDACTED = 'REDACTED';

export function redactUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    // Not a parseable URL: still hide anything that looks like user:password@ or password=value.
    return text
      .replace(/\/\/([^/@\s:]*):[^/@\s]*@/g, `//$1:${REDACTED}@`)
      .replace(/([?&;](?:pass(?:word)?|pwd|token|api[_-]?key|key|secret|auth)=)[^&;#\s]*/gi, `$1${REDACTED}`);
  }
  const secretParams = [...url.searchParams.keys()].filter((name) => SECRET_PARAM.test(name));
  if (!url.password && secretParams.length === 0) return text;
  if (url.password) url.password = REDACTED;
  for (const name of secretParams) url.searchParams.set(name, REDACTED);
  return url.toString();
}
