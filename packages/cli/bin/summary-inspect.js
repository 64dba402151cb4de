#!/usr/bin/env node
// On Node >= 22.1, V8's compiled code of the bundle is kept on disk between runs (in the OS temp
// directory, or NODE_COMPILE_CACHE), as tsc does: an invocation then skips compiling it. Node
// ignores the call when NODE_DISABLE_COMPILE_CACHE is set, and a cache it cannot write is not an
// error. Node 20 has no enableCompileCache and runs as before. The bundle is imported after the
// call (a static import would be evaluated before it), so its modules are the ones cached.
import module from 'node:module';

try {
  module.enableCompileCache?.();
} catch {
  // A cache is an optimisation: never a reason not to run.
}
await import('../dist/summary-inspect.js');
