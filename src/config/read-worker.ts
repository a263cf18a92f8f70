/**
 * Worker entry of `readConfigIsolated`: reads and checks one config file off the main
 * thread and posts the plain `ConfigResult` back. Imports only the config loader.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { readConfig } from './load.js';

const { file, env } = workerData as { file: string; env: NodeJS.ProcessEnv };
parentPort?.postMessage(await readConfig(file, { env }));
