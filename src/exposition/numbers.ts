/** Number formatting for the text exposition format and for Python-compatible labels. */

/** Writes a sample value: integers as plain decimals, other numbers in their shortest round-trip form. */
export function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}

/**
 * Renders a number the way Python's `repr(float)` does, which is how Dispatcharr and the original
 * exporter print channel numbers: `1001.0`, `1015.5`, `1e-05`, `1e+16`.
 * Python switches to exponent notation when the decimal exponent is below -4 or at least 16.
 */
export function pythonFloat(value: number): string {
  if (Number.isNaN(value)) return 'nan';
  if (value === Infinity) return 'inf';
  if (value === -Infinity) return '-inf';
  if (value === 0) return Object.is(value, -0) ? '-0.0' : '0.0';
  // Channel numbers are mostly whole: their shortest form plus `.0`, as below, without the digit work.
  if (Number.isInteger(value) && Math.abs(value) < 1e16) return `${value}.0`;

  const [mantissa = '', exponentText = '0'] = value.toExponential().split('e');
  const exponent = Number(exponentText);
  const sign = mantissa.startsWith('-') ? '-' : '';
  const digits = mantissa.replace('-', '').replace('.', '');

  if (exponent < -4 || exponent >= 16) {
    const head = digits.slice(0, 1);
    const tail = digits.slice(1);
    const exponentSign = exponent < 0 ? '-' : '+';
    const exponentDigits = String(Math.abs(exponent)).padStart(2, '0');
    return `${sign}${head}${tail ? `.${tail}` : ''}e${exponentSign}${exponentDigits}`;
  }
  if (exponent < 0) {
    return `${sign}0.${'0'.repeat(-exponent - 1)}${digits}`;
  }
  const integerPart = digits.slice(0, exponent + 1).padEnd(exponent + 1, '0');
  const fractionPart = digits.slice(exponent + 1);
  return `${sign}${integerPart}.${fractionPart || '0'}`;
}
