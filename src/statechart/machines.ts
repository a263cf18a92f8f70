/** The machines whose charts are shown, by the name views use for them. */
import { serverMachine } from '../../machines/server.machine.js';
import { supervisorMachine } from '../../machines/supervisor.machine.js';

export const MACHINES = { server: serverMachine, supervisor: supervisorMachine } as const;
export type MachineName = keyof typeof MACHINES;

export const isMachineName = (value: string): value is MachineName => Object.hasOwn(MACHINES, value);
