/**
 * The benchmark's bare floor, in a child process (forked by generate-bench.ts): a gRPC server
 * that answers every Generate with one canned response, in a process holding nothing else.
 * The floor served by the benchmark's own process shares that process's heap (the world, a
 * million posts) and so its collector's pauses; this one measures the transport alone.
 */
import { candidatesv1 } from '@feedmesh/contracts';
import { startCannedServer } from './canned-server.js';

interface Job {
  /** The canned GenerateResponse, protobuf-encoded. */
  readonly response: Uint8Array;
}

process.once('message', (message) => {
  void serve(message as Job).then(
    (address) => process.send!({ address }),
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
      process.exit(1);
    },
  );
});

async function serve(job: Job): Promise<string> {
  const canned = candidatesv1.GenerateResponse.decode(job.response);
  const server = await startCannedServer('candidate-generation-bare-floor', canned);
  // The parent ends this process when its measurement is done.
  process.once('disconnect', () => void server.shutdown().then(() => process.exit(0)));
  return server.address;
}
