import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { join } from 'node:path';

// Loaded into a service with `--import` (NODE_OPTIONS refuses --cpu-prof): profiles the whole
// process and writes <dir>/<service>-<pid>.cpuprofile when it exits. The in-thread inspector
// session answers synchronously, which is what lets this run in the 'exit' handler.
const dir = process.env['BENCH_CPU_PROFILE_DIR'];
if (dir) {
  const session = new Session();
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.start');
  const name = /services\/([^/]+)\/dist/.exec(process.argv[1] ?? '')?.[1] ?? 'process';
  process.once('exit', () => {
    session.post('Profiler.stop', (error, result) => {
      if (!error) {
        writeFileSync(
          join(dir, `${name}-${process.pid}.cpuprofile`),
          JSON.stringify(result.profile),
        );
      }
    });
  });
}
