/**
 * One server-sent-events connection: the headers, the frames, and the bound on what may wait
 * in its buffers. A client that does not read (a stalled tab, a proxy holding the stream) is
 * dropped once its buffered bytes pass the cap instead of growing the server's memory; its
 * EventSource reconnects and re-syncs from `hello`.
 */
import type { ServerResponse } from 'node:http';

/** What a stream may be narrowed to (`/api/stream?run=R&process=P`). */
export interface StreamFilter {
  run?: string | undefined;
  process?: string | undefined;
}

const UNSAFE_IN_JSON = /[<>&\u2028\u2029]/g;

/**
 * JSON for an event's `data:` line: `<`, `>`, `&` and U+2028/2029 escaped (the same value when
 * parsed, but inert if a proxy or a careless client treats the stream as HTML or script).
 * `JSON.stringify` without indentation never writes a raw line break, so the value is always
 * one `data:` line.
 */
export function sseJson(value: unknown): string {
  return JSON.stringify(value).replace(
    UNSAFE_IN_JSON,
    (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** One complete event frame: serialized once, written as is to every client it concerns. */
export function sseFrame(type: string, data: unknown): string {
  return `event: ${type}\ndata: ${sseJson(data)}\n\n`;
}

/** A comment line: keeps proxies from closing an idle stream; EventSource ignores it. */
export const KEEP_ALIVE_FRAME = ': keep-alive\n\n';

/** Reconnection delay the browser should use after the stream drops. */
const RETRY_FRAME = 'retry: 2000\n\n';

/** Why a client went away (for the log). */
export type DropReason = 'closed' | 'slow' | 'error' | 'shutdown';

/** An attached stream. */
export class SseClient {
  readonly #response: ServerResponse;
  readonly #filter: StreamFilter;
  readonly #maxBufferedBytes: number;
  #open = true;
  #onGone: (client: SseClient, reason: DropReason) => void;

  /**
   * Writes the headers (`extraHeaders` first, so the stream's own cannot be overridden) and
   * the retry hint; `onGone` is called once, when the stream ends for whatever reason.
   */
  constructor(
    response: ServerResponse,
    filter: StreamFilter,
    extraHeaders: Readonly<Record<string, string>>,
    maxBufferedBytes: number,
    onGone: (client: SseClient, reason: DropReason) => void,
  ) {
    this.#response = response;
    this.#filter = { run: filter.run, process: filter.process };
    this.#maxBufferedBytes = maxBufferedBytes;
    this.#onGone = onGone;
    response.on('close', () => this.#gone('closed'));
    response.on('error', () => this.#gone('error'));
    response.socket?.setNoDelay(true);
    response.writeHead(200, {
      ...extraHeaders,
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache, no-transform',
      'X-Accel-Buffering': 'no',
    });
    response.write(RETRY_FRAME);
  }

  /** Whether the stream is still open. */
  get open(): boolean {
    return this.#open;
  }

  /** Whether a change of (run, process) concerns this stream. */
  matches(run: string, process: string): boolean {
    return (
      (this.#filter.run === undefined || this.#filter.run === run) &&
      (this.#filter.process === undefined || this.#filter.process === process)
    );
  }

  /**
   * Writes a frame, unless the client is already too far behind: then it is dropped (the
   * socket destroyed, which frees what it buffered). Returns whether it is still open.
   */
  write(frame: string): boolean {
    if (!this.#open) return false;
    if (this.#response.writableLength > this.#maxBufferedBytes) {
      this.#drop('slow');
      return false;
    }
    this.#response.write(frame);
    return true;
  }

  /** Ends the stream (shutdown): a client that cannot take the end is cut off. */
  end(): void {
    if (!this.#open) return;
    this.#gone('shutdown');
    this.#response.end();
    if (this.#response.writableLength > 0) this.#response.destroy();
  }

  #drop(reason: DropReason): void {
    this.#gone(reason);
    this.#response.destroy();
  }

  #gone(reason: DropReason): void {
    if (!this.#open) return;
    this.#open = false;
    const onGone = this.#onGone;
    this.#onGone = () => {};
    onGone(this, reason);
  }
}
