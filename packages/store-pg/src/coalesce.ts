/**
 * One write at a time per summary, and at most one waiting: any number of `save` calls in
 * flight cost at most two writes, and each resolves after a write that began after it was
 * called (so it holds the state it was called with).
 */
export class Coalescer<K extends object, A> {
  readonly #states = new WeakMap<K, { running: boolean; next: Waiting<A> | null }>();
  readonly #write: (key: K, arg: A) => Promise<void>;

  constructor(write: (key: K, arg: A) => Promise<void>) {
    this.#write = write;
  }

  run(key: K, arg: A): Promise<void> {
    let state = this.#states.get(key);
    if (state === undefined) {
      state = { running: false, next: null };
      this.#states.set(key, state);
    }
    if (!state.running) return this.#start(key, state, arg);
    if (state.next === null) {
      let resolve!: () => void;
      let reject!: (err: unknown) => void;
      const promise = new Promise<void>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      state.next = { arg, promise, resolve, reject };
    } else {
      // The newest caller's lease is the one to write with.
      state.next.arg = arg;
    }
    return state.next.promise;
  }

  #start(key: K, state: { running: boolean; next: Waiting<A> | null }, arg: A): Promise<void> {
    state.running = true;
    const done = this.#write(key, arg);
    const next = () => {
      state.running = false;
      const waiting = state.next;
      if (waiting === null) return;
      state.next = null;
      this.#start(key, state, waiting.arg).then(waiting.resolve, waiting.reject);
    };
    done.then(next, next);
    return done;
  }
}

interface Waiting<A> {
  arg: A;
  promise: Promise<void>;
  resolve: () => void;
  reject: (err: unknown) => void;
}
