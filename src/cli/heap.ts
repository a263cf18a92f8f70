/**
 * Keep the young generation small. The manager is long-lived and its garbage is
 * short-lived (protocol messages, snapshots); V8's default semi-space growth keeps tens
 * of MB of it resident. Imported first by main.ts, before the heap grows.
 */
import { setFlagsFromString } from 'node:v8';

setFlagsFromString('--max-semi-space-size=2');
