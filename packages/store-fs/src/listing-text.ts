/**
 * A listing's parse of a summary file: only the top-level members a listing reads are handed
 * to `JSON.parse`, not the progress updates, sessions, error details and custom metrics that
 * make up most of the file. `JSON.parse` of the whole file is most of what a listing of 10,000
 * summaries costs (about 35 µs of each 6 KB file against a few for its listed members), so this
 * is what lets `list` run close to a bare `readFileSync` + `JSON.parse` loop.
 *
 * Hand-written because no JSON library parses a chosen subset of an object's members faster
 * than V8's own `JSON.parse` parses all of them: a tokenizer in JavaScript, the usual way to
 * skip values, measured twice as slow as parsing everything. This finds the members without
 * tokenizing, from the layout every summary file has: the one `JSON.stringify(dict, null, 2)`
 * writes (this store) and Python's `json.dump(indent=2)` wrote (the original). In that layout
 * each member of the top-level object starts a line indented by exactly two spaces, and a line
 * break is never inside a string (JSON escapes it), so the members can be found with `indexOf`
 * alone. A file laid out any other way (one line, another indent, CRLF line ends) is parsed
 * whole, as is a file whose listed members do not parse: `JSON.parse` of the whole text then
 * reports the real fault, or finds the value the cut misread.
 *
 * The price, by design (a listing validates what it shows): damage inside a member a listing
 * does not read (a NUL byte inside the progress updates) is found by `read`, `show`, `validate`
 * and `load`, which parse everything, and not by a listing. The PostgreSQL store's listing
 * reads only its listing projection in the same way.
 */
import { LISTING_FIELDS } from '@process-summary/core';

/** What a listing reads of a file: the listed fields, and the epoch its copies are ranked by. */
const LISTED_MEMBERS: readonly string[] = [...LISTING_FIELDS, 'owner_epoch'];

/**
 * The listed names by length and first letter: a member's name is looked up where it stands in
 * the text, with no string made for it (a listing looks up some 35 names in each of 10,000 files).
 */
const LISTED_BY_SHAPE = new Map<number, string[]>();
for (const name of LISTED_MEMBERS) {
  const shape = shapeOf(name.length, name.charCodeAt(0));
  const names = LISTED_BY_SHAPE.get(shape);
  if (names === undefined) LISTED_BY_SHAPE.set(shape, [name]);
  else names.push(name);
}

function shapeOf(length: number, firstCode: number): number {
  return length * 65536 + firstCode;
}

/** Whether `text` from `start` to `end` spells a listed name. */
function isListedName(text: string, start: number, end: number): boolean {
  const names = LISTED_BY_SHAPE.get(shapeOf(end - start, text.charCodeAt(start)));
  if (names === undefined) return false;
  for (let i = 0; i < names.length; i++) {
    if (text.startsWith(names[i] as string, start)) return true;
  }
  return false;
}

/** Where a member of the top-level object starts, in the two-space layout. */
const MEMBER_START = '\n  "';

/**
 * The summary file `text` parsed for a listing: an object holding at least the members of it
 * that a listing reads (the listed fields and `owner_epoch`, with their values as `JSON.parse`
 * gives them), or what `JSON.parse(text)` gives when the file is not in the two-space layout.
 * Throws what `JSON.parse(text)` throws when the text is not JSON.
 */
export function parseListedMembers(text: string): unknown {
  const listed = listedMembersText(text);
  if (listed !== null) {
    try {
      return JSON.parse(listed);
    } catch {
      // The whole parse below tells what is wrong, and where.
    }
  }
  return JSON.parse(text);
}

/**
 * The text of an object with only the listed members of `text`, in their order; null when
 * `text` is not one object in the two-space layout, or when nothing would be left out.
 */
export function listedMembersText(text: string): string | null {
  if (!text.startsWith('{\n  "')) return null;
  // The closing brace alone on the last line (a newline may follow it): a file cut short ends
  // inside some member instead, so it is never mistaken for a complete one.
  let end = text.length - 1;
  if (text.charCodeAt(end) === 10) end--;
  if (text.charCodeAt(end) !== 125 || text.charCodeAt(end - 1) !== 10) return null;
  const close = end - 1;
  // A name with an escape in it could spell a listed one: such names are kept, and told apart
  // by the parse. Most files have no backslash before their last member, or none at all.
  const firstBackslash = text.indexOf('\\');
  let out = '{';
  let dropped = false;
  // Listed members that follow one another are copied as one run, commas and all.
  let runStart = -1;
  let runEnd = -1;
  // `start` is the line break before a member, `next` the one before the member after it.
  let start = 1;
  while (start < close) {
    let next = text.indexOf(MEMBER_START, start + 1);
    if (next === -1 || next > close) next = close;
    // Every member but the last ends with the comma that separates it from the next, just
    // before the line break; any other layout is parsed whole.
    const valueEnd = next === close ? next : next - 1;
    if (next !== close && text.charCodeAt(valueEnd) !== 44) return null;
    const nameStart = start + 4;
    const nameEnd = text.indexOf('"', nameStart);
    if (nameEnd === -1 || nameEnd > valueEnd) return null;
    if (
      isListedName(text, nameStart, nameEnd) ||
      (firstBackslash !== -1 &&
        firstBackslash < nameEnd &&
        text.lastIndexOf('\\', nameEnd) >= nameStart)
    ) {
      if (runStart === -1) runStart = start + 3;
      runEnd = valueEnd;
    } else {
      dropped = true;
      if (runStart !== -1) {
        out = withRun(out, text, runStart, runEnd);
        runStart = -1;
      }
    }
    start = next;
  }
  if (!dropped) return null;
  if (runStart !== -1) out = withRun(out, text, runStart, runEnd);
  return `${out}}`;
}

/** `out` (an object's text so far, from its `{`) with the members of `text` from `start` to `end`. */
function withRun(out: string, text: string, start: number, end: number): string {
  return out.length === 1 ? out + text.slice(start, end) : `${out},${text.slice(start, end)}`;
}
