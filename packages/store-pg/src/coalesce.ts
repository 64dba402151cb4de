/**
 * One write at a time per summary, and at most one waiting per distinct argument (the lease):
 * any number of `save` calls in flight with one lease cost at most two writes, and each
 * resolves after a write that began after it was called (so it holds the state it was called
 * with) and that was made with its own lease — a call with a lease no longer current is never
 * answered by a write made with the current one.
 */
export class Coalescer<K extends object, A> {
  readonly #states = new WeakMap<K, State<A>>();
  readonly #write: (key: K, arg: A) => Promise<void>;
  readonly #same: (a: A, b: A) => boolean;

  constructor(write: (key: K, arg: A) => Promise<void>, same: (a: A, b: A) => boolean) {
    this.#write = write;
    this.#same = same;
  }

  run(key: K, arg: A): Promise<void> {
    let state = this.#states.get(key);
    if (state === undefined) {
      state = { running: false, waiting: [] };
      this.#states.set(key, state);
    }
    if (!state.running) return this.#start(key, state, arg);
    const last = state.waiting[state.waiting.length - 1];
    if (last !== undefined && this.#same(last.arg, arg)) return last.promise;
    let resolve!: () => void;
    let reject!: (err: unknown) => void;
    const promise = new Promise<void>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    state.waiting.push({ arg, promise, resolve, reject });
    return promise;
  }

  #start(key: K, state: State<A>, arg: A): Promise<void> {
    state.running = true;
    const done = this.#write(key, arg);
    const next = () => {
      state.running = false;
      const waiting = state.waiting.shift();
      if (waiting === undefined) return;
      this.#start(key, state, waiting.arg).then(waiting.resolve, waiting.reject);
    };
    done.then(next, next);
    return done;
  }
}

interface State<A> {
  running: boolean;
  waiting: Waiting<A>[];
}

interface Waiting<A> {
  arg: A;
  promise: Promise<void>;
  resolve: () => void;
  reject: (err: unknown) => void;
}
