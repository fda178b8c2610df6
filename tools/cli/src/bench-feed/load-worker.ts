import { parentPort, workerData } from 'node:worker_threads';
import { callerFor, errorKind, type LoadJob } from './load-generator.js';
import { runLoad } from './load-loop.js';

// The worker thread's entry (see runLoadInWorker): runs one job and posts its LoadRun back.
const job = workerData as LoadJob;
const caller = callerFor(job.target, job.deadlineMs);
try {
  const run = await runLoad({
    shape: job.shape,
    durationMs: job.durationMs,
    call: caller.call,
    errorKey: errorKind,
  });
  parentPort?.postMessage(run, [run.latenciesMs.buffer as ArrayBuffer]);
} finally {
  caller.close();
}
