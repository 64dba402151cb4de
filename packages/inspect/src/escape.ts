/**
 * Escaping stored text for each medium the read side writes to. Everything a summary holds
 * (names, error types, messages, metric keys) is untrusted: a file can be written by anyone
 * who can write the store. Terminal escaping is here too, so every renderer uses one copy.
 */

// C0 controls (ESC, BEL, CR, LF, TAB, …), DEL, C1 controls (U+0080–U+009F: U+009B is a
// one-character CSI for some terminals), the line and paragraph separators, and the bidi
// overrides and isolates that can make text display in another order than it is stored.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

const NAMED: Readonly<Record<string, string>> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/**
 * Makes untrusted text safe to print on a terminal: every control character is shown escaped
 * (`\x1b`, `\x07`, `\r`, `\x9b`, `\u202e`), never interpreted.
 */
export function escapeControl(text: string): string {
  return text.replace(CONTROL, (char) => {
    const named = NAMED[char];
    if (named !== undefined) return named;
    const code = char.charCodeAt(0);
    return code <= 0xff
      ? `\\x${code.toString(16).padStart(2, '0')}`
      : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

/**
 * `JSON.stringify` that also escapes what it leaves raw (DEL, C1 controls, U+2028/9, bidi
 * overrides), so JSON output of untrusted text cannot drive a terminal either. Still valid
 * JSON that parses to the same value.
 */
export function safeJsonStringify(value: unknown, indent?: number): string {
  const json = JSON.stringify(value, null, indent);
  // Most output is ASCII without DEL, and then nothing needs escaping: two native scans (a
  // UTF-8 length equal to the length, no DEL) say so several times faster than the regular
  // expression finds nothing in 10 MB of listing.
  if (
    json === undefined ||
    (Buffer.byteLength(json, 'utf8') === json.length && !json.includes('\u007f'))
  ) {
    return json;
  }
  return json.replace(
    /[\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g,
    (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** Text a spreadsheet would evaluate as a formula (OWASP's CSV injection list). */
const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * One CSV (RFC 4180) field: empty for null, quoted when needed; control characters escaped,
 * never raw; text a spreadsheet would run as a formula is prefixed with `'` (numbers are
 * left alone: `-3` is data).
 */
export function csvField(value: unknown): string {
  if (value === null || value === undefined) return '';
  let text = escapeControl(String(value));
  if (typeof value === 'string' && FORMULA_START.test(value)) text = `'${text}`;
  return /[",\s]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/**
 * A Prometheus label value (text format 0.0.4): control characters escaped first (a textfile
 * is read by people too), then backslash, double quote and newline as the format requires.
 */
export function prometheusLabelValue(text: string): string {
  return escapeControl(text)
    .replaceAll('\\', '\\\\')
    .replaceAll('"', '\\"')
    .replaceAll('\n', '\\n');
}

/**
 * Text in a Nagios plugin's status line: `|` starts the performance data and a newline the
 * long output, so neither may come from a stored name or message. `|` becomes `¦`, control
 * characters (newlines included) are escaped.
 */
export function nagiosText(text: string): string {
  return escapeControl(text).replaceAll('|', '¦');
}

/**
 * A Nagios performance data label: quoted with `'` when it holds anything but letters,
 * digits, `_`, `.` and `-` (a `'` inside is doubled, as the plugin guidelines say); `|`, `=`
 * and control characters cannot appear in it.
 */
export function nagiosPerfLabel(text: string): string {
  const safe = nagiosText(text).replaceAll('=', '_');
  return /^[A-Za-z0-9_.-]+$/.test(safe) ? safe : `'${safe.replaceAll("'", "''")}'`;
}
