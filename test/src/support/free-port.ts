import { createServer } from 'node:net';

/**
 * A port that is free now, below Linux's ephemeral range (32768+). A test that restarts a
 * process on the same port needs one the kernel never hands to an outgoing connection: a
 * client that keeps redialling a dead ephemeral port can connect to itself and hold it.
 */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    if (await canListen(port)) return port;
  }
  throw new Error('no free port found in 20000-31999 after 50 attempts');
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}
