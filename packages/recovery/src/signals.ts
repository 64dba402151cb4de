/**
 * One SIGINT, one SIGTERM and one `exit` listener for the whole process, shared by every
 * summary this process runs. With a listener per summary, each would count the others as
 * "the application's own handler" and none would let the signal end the process.
 */

/** What a running summary does when the process is signalled or exits. */
export interface SignalParticipant {
  /**
   * The signal arrived and nothing else listens: record it durably now. Returns a promise
   * when the store can only save asynchronously (the signal is raised again after it).
   */
  recordSignal(signal: NodeJS.Signals): Promise<void> | undefined;
  /** The signal arrived and the application listens too: note it, the application decides. */
  noteSignal(signal: NodeJS.Signals): void;
  /**
   * Gives ownership up just before the process ends by the signal; a promise when the store
   * can only release asynchronously (the signal is raised again after it).
   */
  releaseForSignal(): Promise<void> | undefined;
  /**
   * The event loop ran empty (a script that returned without ending the summary): the last
   * moment anything can be awaited before the process exits. A promise when the participant
   * records the exit asynchronously (a store without `saveSync`); the process exits after it.
   */
  beforeExit(): Promise<void> | undefined;
  /** The process is exiting (normally, or by `process.exit` from the application's handler). */
  onExit(): void;
}

const SIGNALS = ['SIGINT', 'SIGTERM'] as const;
const participants = new Set<SignalParticipant>();
let ending = false;

function onSignal(signal: NodeJS.Signals): void {
  const applicationListens = process.listenerCount(signal) > 1;
  if (applicationListens) {
    for (const participant of participants) participant.noteSignal(signal);
    return;
  }
  if (ending) {
    reraise(signal); // a second signal while the first is being recorded: stop now
    return;
  }
  ending = true;
  const pending: Promise<void>[] = [];
  for (const participant of participants) {
    const saving = participant.recordSignal(signal);
    if (saving !== undefined) pending.push(saving);
  }
  if (pending.length === 0) reraise(signal);
  else void Promise.allSettled(pending).then(() => reraise(signal));
}

function onBeforeExit(): void {
  // Participants leave as they close: once they have, the loop empties again and Node exits.
  for (const participant of [...participants]) void participant.beforeExit();
}

function onExit(): void {
  for (const participant of [...participants]) participant.onExit();
}

/** Ends the process as the signal would have without us: our listeners gone, the default action. */
function reraise(signal: NodeJS.Signals): void {
  const pending: Promise<void>[] = [];
  for (const participant of [...participants]) {
    const releasing = participant.releaseForSignal();
    if (releasing !== undefined) pending.push(releasing);
  }
  participants.clear();
  uninstall();
  if (pending.length === 0) process.kill(process.pid, signal);
  else void Promise.allSettled(pending).then(() => process.kill(process.pid, signal));
}

function uninstall(): void {
  for (const signal of SIGNALS) process.removeListener(signal, onSignal);
  process.removeListener('beforeExit', onBeforeExit);
  process.removeListener('exit', onExit);
}

/** Starts handling signals and exit for `participant` (listeners installed with the first). */
export function joinSignalHandling(participant: SignalParticipant): void {
  if (participants.size === 0) {
    // Prepended, so the state is on disk before any other listener can exit the process.
    for (const signal of SIGNALS) process.prependListener(signal, onSignal);
    process.on('beforeExit', onBeforeExit);
    process.on('exit', onExit);
  }
  participants.add(participant);
}

/** Stops handling for `participant` (listeners removed with the last). */
export function leaveSignalHandling(participant: SignalParticipant): void {
  if (!participants.delete(participant)) return;
  if (participants.size === 0) uninstall();
}
