#!/usr/bin/env node
import { startProcessTelemetry } from '@feedmesh/telemetry';

// Telemetry first: the rest (gRPC clients, and in `up` every service) loads after it.
const telemetry = startProcessTelemetry({ serviceName: 'feedmesh-cli' });
const { runCli } = await import('./cli.js');

// The first Ctrl-C asks the running command to wind down (drain the playground, end a
// subscription); a second one means now.
const interrupt = new AbortController();
const onSignal = (signal: NodeJS.Signals) => {
  if (interrupt.signal.aborted) process.exit(signal === 'SIGINT' ? 130 : 143);
  interrupt.abort();
};
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);

const code = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  env: process.env,
  interrupt: interrupt.signal,
});
await telemetry.shutdown().catch(() => undefined);
// Exit now rather than when the last handle closes: on Linux, stdout and stderr writes to
// files, pipes and terminals are synchronous, so nothing written is lost.
process.exit(code);
