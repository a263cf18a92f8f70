/**
 * A diagnostic for the gateway benchmark: the cheapest possible extra stdio hop. It spawns
 * a server (in its own session, as the manager does) and copies bytes both ways — stdin →
 * server, server stdout → stdout — without parsing anything. SDK client → relay → server
 * shows what one more process and two more pipe hops cost on this machine; what the
 * gateway adds beyond that is its own work.
 *
 * env MCP_BENCH_RELAY = ["command", "arg", …]; exits when the server exits; stdin EOF is
 * passed on (the server then exits).
 *
 * Must stay self-contained (node:* only): the bench transpiles it and runs it with plain node.
 */
import { spawn } from 'node:child_process';

const [command, ...args] = JSON.parse(process.env.MCP_BENCH_RELAY ?? '[]') as string[];
if (!command) {
  process.stderr.write('MCP_BENCH_RELAY must be ["command", "arg", …]\n');
  process.exit(2);
}
const env = { ...process.env };
delete env.MCP_BENCH_RELAY;
const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'ignore'], detached: true, env });
process.stdin.pipe(child.stdin);
child.stdout.pipe(process.stdout);
child.once('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
process.once('SIGTERM', () => child.kill('SIGTERM'));
