/**
 * The time base of every float time in a summary: epoch seconds with sub-millisecond
 * resolution, advancing monotonically within a process.
 */
export interface Clock {
  /** Epoch seconds, monotonic within the process. */
  now(): number;
}

/**
 * The default clock: the wall clock is read once (the performance time origin, taken when the
 * process started) and the monotonic clock is added to it, so a wall-clock step (NTP, a manual
 * change) never makes a duration negative.
 */
export const systemClock: Clock = {
  now: () => (performance.timeOrigin + performance.now()) / 1000,
};

/** A clock a test moves by hand. */
export interface ManualClock extends Clock {
  /** Moves the clock forward by `seconds` (never backward). */
  advance(seconds: number): void;
  /** Sets the clock to `epochSeconds`; refuses to go backward. */
  set(epochSeconds: number): void;
}

/** A clock for tests: starts at `start` (epoch seconds) and moves only when told. */
export function createManualClock(start = 1_750_000_000): ManualClock {
  let current = start;
  return {
    now: () => current,
    advance(seconds) {
      if (!(seconds >= 0) || !Number.isFinite(seconds)) {
        throw new RangeError(
          `ManualClock.advance: seconds must be finite and >= 0, got ${seconds}`,
        );
      }
      current += seconds;
    },
    set(epochSeconds) {
      if (!(epochSeconds >= current) || !Number.isFinite(epochSeconds)) {
        throw new RangeError(`ManualClock.set: time must be finite and not go backward`);
      }
      current = epochSeconds;
    },
  };
}

/**
 * The largest time, in seconds either side of 1970, that a file may hold: what a JavaScript
 * `Date` holds (±8.64e15 ms). The schema refuses times past it, so every difference of two
 * times is finite and every time can be shown as a date.
 */
export const MAX_TIME_SECONDS = 8.64e12;

/** `time` brought within ±{@link MAX_TIME_SECONDS}: for times computed from a hostile file's. */
export function clampTime(time: number): number {
  return Math.min(MAX_TIME_SECONDS, Math.max(-MAX_TIME_SECONDS, time));
}

/**
 * Times below this are not epoch seconds: the Python original stored `time.perf_counter()`
 * (seconds since boot), which is meaningful only as a difference. 1e9 s is September 2001.
 */
export const RELATIVE_TIME_LIMIT = 1e9;

/** Whether a stored time is a seed-format relative time (perf_counter seconds), not a date. */
export function isRelativeTime(time: number): boolean {
  return time < RELATIVE_TIME_LIMIT;
}
