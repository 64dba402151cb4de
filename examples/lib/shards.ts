/**
 * How a process is split across workers: worker `n` of `count` takes the items whose index
 * modulo `count` is `n`, and is named `w<n>` (its summary is `collect@w<n>`). Shared by the
 * worker and the launcher so both name and split alike.
 */
export function workerName(n: number): string {
  return `w${n}`;
}

/** The items of worker `n` of `count`, in their original order. */
export function shareOf<T>(items: readonly T[], n: number, count: number): T[] {
  return items.filter((_, index) => index % count === n);
}

/** The custom metric a worker records, so a rerun with another split is refused, not mixed. */
export function shardLabel(n: number, count: number): string {
  return `${n} of ${count}`;
}
