/**
 * Worker-thread entry: lays out one machine's chart off the manager's event loop (ELK
 * takes hundreds of milliseconds of CPU) and posts the layout back.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { chartOf } from './chart.js';
import { layoutChart } from './layout.js';
import { MACHINES, type MachineName } from './machines.js';

const name = (workerData as { machine: MachineName }).machine;
const layout = await layoutChart(chartOf(MACHINES[name]));
parentPort?.postMessage(layout);
