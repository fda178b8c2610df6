/**
 * Preloaded into a service's process (`node --import`) by the process playground's tests: its
 * port accepts connections, and drops them, before the service has even loaded, as a port
 * check or an early health listener would. Once the file named by
 * FEEDMESH_TEST_RELEASE_FILE exists (never, when the variable is unset), the port is let go
 * and the service starts as usual.
 */
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

const listen = process.env.GRPC_LISTEN ?? '';
const release = process.env.FEEDMESH_TEST_RELEASE_FILE;
const separator = listen.lastIndexOf(':');

let dropped = 0;
const early = createServer((socket) => {
  dropped += 1;
  if (dropped === 1) console.log('early listener: dropped a connection');
  socket.destroy();
});
await new Promise<void>((resolve, reject) => {
  early.once('error', reject);
  early.listen(Number(listen.slice(separator + 1)), listen.slice(0, separator), resolve);
});
console.log(`early listener: accepting connections at ${listen} before the service starts`);
while (release === undefined || !existsSync(release)) await sleep(50);
await new Promise<void>((resolve) => early.close(() => resolve()));
console.log('early listener: closed; the service starts');
