/**
 * Every command, in the order the help lists them. A command's code is loaded only when it
 * is the one run, so `--help` and a listing do not pay for the others.
 */
import type { Command } from '../spec.js';
import { spec as aggregate } from './aggregate/spec.js';
import { spec as alert } from './alert/spec.js';
import { spec as check } from './check/spec.js';
import { spec as copy } from './copy/spec.js';
import { spec as events } from './events/spec.js';
import { spec as exportSpec } from './export/spec.js';
import { spec as list } from './list/spec.js';
import { spec as repair } from './repair/spec.js';
import { spec as serve } from './serve/spec.js';
import { spec as show } from './show/spec.js';
import { spec as validate } from './validate/spec.js';
import { spec as watch } from './watch/spec.js';

export const COMMANDS: readonly Command[] = [
  { spec: list, run: async (c) => (await import('./list/run.js')).runList(c) },
  { spec: show, run: async (c) => (await import('./show/run.js')).runShow(c) },
  { spec: watch, run: async (c) => (await import('./watch/run.js')).runWatch(c) },
  { spec: validate, run: async (c) => (await import('./validate/run.js')).runValidate(c) },
  { spec: check, run: async (c) => (await import('./check/run.js')).runCheck(c) },
  { spec: aggregate, run: async (c) => (await import('./aggregate/run.js')).runAggregate(c) },
  { spec: exportSpec, run: async (c) => (await import('./export/run.js')).runExport(c) },
  { spec: events, run: async (c) => (await import('./events/run.js')).runEvents(c) },
  { spec: repair, run: async (c) => (await import('./repair/run.js')).runRepair(c) },
  { spec: copy, run: async (c) => (await import('./copy/run.js')).runCopy(c) },
  { spec: serve, run: async (c) => (await import('./serve/run.js')).runServe(c) },
  { spec: alert, run: async (c) => (await import('./alert/run.js')).runAlert(c) },
];

/** The command named `name`, or undefined. */
export function findCommand(name: string): Command | undefined {
  return COMMANDS.find((c) => c.spec.name === name);
}
