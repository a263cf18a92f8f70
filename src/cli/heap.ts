/**
 * The V8 flags a manager runs with. Its young generation is kept small: the manager is
 * long-lived and its garbage short-lived (protocol messages, snapshots), and V8's default
 * young generation (16 MB semi-spaces) keeps some 12 MB more of it resident at 200 servers.
 * 4 MB: at 2 MB the HTTP gateway's CPU per call rose by about a fifth (bench/README, RSS).
 *
 * V8 sizes the young generation when the process starts: set from inside
 * (`v8.setFlagsFromString`) the flag has no effect. So it goes on the command line of every
 * manager the CLI launches or writes down (`start --daemon`, the service unit, a client's
 * `connect` entry) and of `npm start`; `NODE_OPTIONS` gives it to a manager started by hand.
 */
export const MANAGER_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=4'];

const flagName = (arg: string): string => arg.split('=', 1)[0]!;

/**
 * `execArgv` with the manager's flags in front, except those it, or `NODE_OPTIONS`, already
 * sets (the user's value wins).
 */
export function withManagerFlags(execArgv: readonly string[], nodeOptions = ''): string[] {
  const given = new Set([...execArgv, ...nodeOptions.split(/\s+/)].map(flagName));
  return [...MANAGER_NODE_FLAGS.filter((flag) => !given.has(flagName(flag))), ...execArgv];
}
