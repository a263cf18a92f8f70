#!/usr/bin/env node
import './heap.js';
import { defaultContext, runCli } from './run.js';

// `mcp-manager logs x | head`: a closed pipe ends the output, it is not a crash.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

const code = await runCli(process.argv.slice(2), defaultContext());
process.exitCode = code;
// Exit even if a stray handle (a library timer, a socket) would keep the loop alive.
setTimeout(() => process.exit(code), 1000).unref();
