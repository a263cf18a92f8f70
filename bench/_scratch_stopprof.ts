import { runManager, managerCommand } from './startup.js';
import { echoServerCommand } from './lib/servers.js';
const n = Number(process.argv[2] ?? 200);
const cmd = managerCommand();
cmd.args = ['--cpu-prof', '--cpu-prof-dir=/tmp/prof', ...cmd.args];
const r = await runManager(n, echoServerCommand(), cmd);
console.log(JSON.stringify({ stopMs: r.stopMs, leftovers: r.leftovers }));
