/**
 * Runs the notification benchmark and prints its report:
 *
 *   node services/notification/dist/bench/run-notification-bench.js [--json] [--likes 600]
 *     [--rate 50] [--owners 100] [--subscribers 10000] [--channels 10] [--redis redis://...]
 *     [--node-flags='--cpu-prof --cpu-prof-dir=/tmp/prof']   (flags for the notification process)
 *
 * Needs Redis and the built gateway and notification services (`npx tsc -b
 * services/notification services/feed-gateway`). Progress goes to stderr.
 */
import { integerFlag, parseScriptArgs } from '@feedmesh/service-kit';
import { runNotificationBench, type NotificationBenchReport } from './notification-bench.js';

const values = parseScriptArgs(
  `node services/notification/dist/bench/run-notification-bench.js [--json] [--likes 600]
  [--rate 50] [--owners 100] [--subscribers 10000] [--channels 10] [--redis redis://...]
  [--node-flags='--cpu-prof --cpu-prof-dir=/tmp/prof']`,
  {
    json: { type: 'boolean', default: false },
    likes: { type: 'string' },
    rate: { type: 'string' },
    owners: { type: 'string' },
    subscribers: { type: 'string' },
    channels: { type: 'string' },
    redis: { type: 'string' },
    'node-flags': { type: 'string' },
  },
);

const count = (name: string, text: string | undefined) => integerFlag(name, text, 0);

const report = await runNotificationBench({
  ...(values.redis === undefined ? {} : { redisUrl: values.redis }),
  likes: count('likes', values.likes),
  ratePerSecond: count('rate', values.rate),
  owners: count('owners', values.owners),
  subscribers: count('subscribers', values.subscribers),
  channels: count('channels', values.channels),
  notificationNodeFlags: values['node-flags']?.split(' ').filter(Boolean) ?? [],
  log: (line) => process.stderr.write(`[notification-bench] ${line}\n`),
});

process.stdout.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : describe(report));

function describe(r: NotificationBenchReport): string {
  const ms = (v: number) => `${v.toFixed(1)} ms`;
  const lines = [
    `machine: ${r.machine.cpus} cpus, load ${r.machine.loadAverage1mBefore.toFixed(2)} -> ${r.machine.loadAverage1mAfter.toFixed(2)}`,
    `like at the gateway -> Subscribe (${r.latency.received}/${r.latency.sent} at ${r.latency.achievedRatePerSecond.toFixed(0)}/s): ` +
      `p50 ${ms(r.latency.p50Ms)}, p90 ${ms(r.latency.p90Ms)}, p99 ${ms(r.latency.p99Ms)}, max ${ms(r.latency.maxMs)}; ` +
      `notification CPU ${r.latency.notificationCpuMsPerLike.toFixed(2)} ms/like`,
  ];
  const s = r.subscribers;
  if (s !== undefined) {
    lines.push(
      `concurrent subscribers: ${s.listening}/${s.target} listening after ${(s.openMs / 1000).toFixed(1)} s, ` +
        `${s.held}/${s.target} delivered to (held and live) in one process; ` +
        `RSS ${s.notificationRssMbBefore.toFixed(0)} -> ${s.notificationRssMbHeld.toFixed(0)} MB ` +
        `(${s.rssKbPerSubscriber.toFixed(1)} KB each), idle CPU ${s.idleCpuMsPerSecond.toFixed(0)} ms/s`,
      `fan-out burst of ${s.fanOutLatency.sent} likes (one per stream): p50 ${ms(s.fanOutLatency.p50Ms)}, p99 ${ms(s.fanOutLatency.p99Ms)}`,
      `steady likes with every stream held (${s.latencyWhileHeld.received}/${s.latencyWhileHeld.sent}): ` +
        `p50 ${ms(s.latencyWhileHeld.p50Ms)}, p90 ${ms(s.latencyWhileHeld.p90Ms)}, p99 ${ms(s.latencyWhileHeld.p99Ms)}; ` +
        `notification CPU ${s.latencyWhileHeld.notificationCpuMsPerLike.toFixed(2)} ms/like`,
    );
  }
  return `${lines.join('\n')}\n`;
}
