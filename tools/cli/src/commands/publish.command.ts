import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { Command } from '@commander-js/extra-typings';
import { CommandFailedError } from '../cli-errors.js';
import type { CliIo } from '../cli-io.js';
import { readEventLines } from '../event-lines.js';
import { publishEvents } from '../event-publisher.js';
import { confirmGatewayAnswers, withGateway } from '../gateway-client.js';
import { integerIn } from '../option-parsers.js';
import { startProgress } from '../progress.js';
import { counted, formatCount } from '../render/text.js';
import { addressOption, jsonOption } from './gateway-options.js';

export function registerPublishCommand(program: Command, io: CliIo): void {
  program
    .command('publish')
    .description('publish JSON lines of events (ts-proto Event.toJSON) through the gateway')
    .argument('<file>', 'a .jsonl file, as `feedmesh world` writes, or - for stdin')
    .option('--batch <n>', 'events per PublishEvents call', integerIn(1, 1000), 500)
    .addOption(addressOption())
    .addOption(jsonOption())
    .action(async (file, options) => {
      const input = file === '-' ? io.stdin : await openFile(file);
      const totalBytes = file === '-' ? undefined : (await stat(file)).size;
      const progress = startProgress(io.stderr, {
        total: totalBytes ?? 1,
        format:
          totalBytes === undefined
            ? 'publish | {events} events'
            : 'publish |{bar}| {percentage}% | {events} events | eta {eta_formatted}',
        payload: { events: 0 },
      });
      const bytesRead = () => (input as { bytesRead?: number }).bytesRead ?? 0;
      try {
        const summary = await withGateway(options.addr, async (client) => {
          const published = await publishEvents(client, readEventLines(input), {
            batchSize: options.batch,
            address: options.addr,
            signal: io.interrupt,
            onBatch: (count) =>
              progress.update(totalBytes === undefined ? 0 : bytesRead(), {
                events: formatCount(count),
              }),
          });
          // With no events nothing was called: a wrong --addr would pass for a success.
          if (published.published === 0) await confirmGatewayAnswers(client);
          return published;
        });
        progress.update(totalBytes ?? 1, { events: formatCount(summary.published) });
        progress.stop();
        if (options.json) {
          io.stdout.write(`${JSON.stringify({ file, address: options.addr, ...summary })}\n`);
        }
        io.stderr.write(
          summary.published === 0
            ? `0 events published to ${options.addr}: ${file === '-' ? 'stdin' : file} held none\n`
            : `published ${counted(summary.published, 'event')} in ${counted(summary.batches, 'batch', 'batches')} ` +
                `to ${options.addr} in ${summary.seconds.toFixed(1)} s ` +
                `(${formatCount(summary.eventsPerSecond)} events/s)\n`,
        );
      } finally {
        progress.stop();
        input.destroy();
      }
    });
}

async function openFile(file: string) {
  let stats;
  try {
    stats = await stat(file);
  } catch (error) {
    throw new CommandFailedError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code}`);
  }
  // A directory opens without complaint and fails at the first read with a bare EISDIR.
  if (!stats.isFile()) throw new CommandFailedError(`cannot read ${file}: not a file`);
  return createReadStream(file);
}
