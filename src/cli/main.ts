#!/usr/bin/env node
import { defaultContext, runCli } from './run.js';

// `mcp-manager logs x | head`: a closed pipe ends the output, it is not a crash.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

const code = await runCli(process.argv.slice(2), defaultContext());
process.exitCode = code;
// Exit even if a stray handle (a library timer, a socket) would keep the loop alive, or
// an output pipe stopped taking what was written.
setTimeout(() => process.exit(code), 1000).unref();
// The command is done: exit once stdout and stderr have taken what was written (a pipe
// may be asynchronous), without tearing down a heap that is freed with the process anyway
// (after a stop of 200 servers that teardown was about 15 ms of the stop's tail).
await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
process.exit(code);

function flushed(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => {
    if (stream.destroyed || !stream.writable) resolve();
    else stream.write('', () => resolve());
  });
}
