import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { echov1 } from '@feedmesh/contracts';
import { ConfigError } from '@feedmesh/errors';
import { createLogger } from '@feedmesh/telemetry';
import { createChannel, createClient } from 'nice-grpc';
import { ClientError, Metadata, Status } from 'nice-grpc-common';
import { HealthDefinition } from 'nice-grpc-server-health';
import selfsigned from 'selfsigned';
import { bearerTokenMiddleware } from './auth.js';
import { createServiceClient } from './client.js';
import { echoService } from './echo-service.js';
import { startGrpcServer, type RunningServer } from './server.js';
import { channelCredentials, loadTls, type TlsMaterial } from './tls.js';

const silent = createLogger('test', { level: 'silent' });
const YEAR_MS = 365 * 24 * 3_600_000;

interface Pem {
  private: string;
  cert: string;
}

async function authority(name: string): Promise<Pem> {
  return selfsigned.generate([{ name: 'commonName', value: name }], {
    algorithm: 'sha256',
    keySize: 2048,
    notAfterDate: new Date(Date.now() + YEAR_MS),
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      {
        name: 'keyUsage',
        keyCertSign: true,
        cRLSign: true,
        digitalSignature: true,
        critical: true,
      },
    ],
  });
}

async function leaf(name: string, ca: Pem): Promise<TlsMaterial> {
  const pem = await selfsigned.generate([{ name: 'commonName', value: name }], {
    algorithm: 'sha256',
    keySize: 2048,
    notAfterDate: new Date(Date.now() + YEAR_MS),
    ca: { key: ca.private, cert: ca.cert },
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true, clientAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2, value: 'localhost' },
          { type: 7, ip: '127.0.0.1' },
        ],
      },
    ],
  });
  return { cert: Buffer.from(pem.cert), key: Buffer.from(pem.private), ca: Buffer.from(ca.cert) };
}

async function failureOf(call: Promise<unknown>): Promise<ClientError> {
  const error = await call.then(
    () => assert.fail('expected the call to fail'),
    (e: unknown) => e,
  );
  assert.ok(error instanceof ClientError, String(error));
  return error;
}

describe('mutual TLS between services', function () {
  this.timeout(60_000);
  let server: RunningServer;
  let serverTls: TlsMaterial;
  let clientTls: TlsMaterial;
  let strangerTls: TlsMaterial;

  before(async () => {
    const ca = await authority('feedmesh test CA');
    const otherCa = await authority('someone else');
    serverTls = await leaf('echo', ca);
    clientTls = await leaf('gateway', ca);
    strangerTls = await leaf('stranger', otherCa);
    server = await startGrpcServer({
      name: 'echo',
      listen: '127.0.0.1:0',
      maxMessageBytes: 1024 * 1024,
      unaryTimeoutMs: 5_000,
      drainTimeoutMs: 1_000,
      services: [echoService()],
      logger: silent,
      tls: serverTls,
    });
  });
  after(() => server.shutdown());

  const echo = (tls: TlsMaterial | undefined) => {
    // By name, not IP: TLS server names must be host names (RFC 6066).
    const address = server.address.replace('127.0.0.1', 'localhost');
    const { client, close } = createServiceClient(echov1.EchoServiceDefinition, address, {
      deadlineMs: 5_000,
      retryMaxAttempts: 1,
      tls,
    });
    return client.echo({ payload: Buffer.from('secret'), delayMs: 0 }).finally(close);
  };

  it('answers a client presenting a certificate signed by the shared CA', async () => {
    const response = await echo(clientTls);
    assert.equal(response.payload.toString(), 'secret');
  });

  it('refuses a plaintext client', async () => {
    assert.equal((await failureOf(echo(undefined))).code, Status.UNAVAILABLE);
  });

  it('refuses a client whose certificate another CA signed', async () => {
    assert.equal((await failureOf(echo(strangerTls))).code, Status.UNAVAILABLE);
  });

  it('refuses to talk to a server whose certificate its CA did not sign', async () => {
    const misled = { ...clientTls, ca: strangerTls.ca };
    assert.equal((await failureOf(echo(misled))).code, Status.UNAVAILABLE);
  });

  it('serves plaintext health checks for probes on a separate listener, and nothing else there', async () => {
    const guarded = await startGrpcServer({
      name: 'echo',
      listen: '127.0.0.1:0',
      healthListen: '127.0.0.1:0',
      maxMessageBytes: 1024 * 1024,
      unaryTimeoutMs: 5_000,
      drainTimeoutMs: 1_000,
      services: [echoService()],
      logger: silent,
      tls: serverTls,
    });
    const channel = createChannel(guarded.healthAddress!, channelCredentials(undefined));
    try {
      const health = createClient(HealthDefinition, channel);
      assert.equal((await health.check({ service: '' })).status, 1);
      const echoThere = createClient(echov1.EchoServiceDefinition, channel);
      const error = await failureOf(echoThere.echo({ payload: Buffer.alloc(0), delayMs: 0 }));
      assert.equal(error.code, Status.UNIMPLEMENTED);
    } finally {
      channel.close();
      await guarded.shutdown();
    }
  });

  it('reads the three files, and refuses half a configuration naming what is missing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'feedmesh-tls-'));
    const files = {
      cert: join(dir, 'tls.crt'),
      key: join(dir, 'tls.key'),
      ca: join(dir, 'ca.crt'),
    };
    writeFileSync(files.cert, clientTls.cert);
    writeFileSync(files.key, clientTls.key);
    writeFileSync(files.ca, clientTls.ca);
    const loaded = loadTls({
      GRPC_TLS_CERT_FILE: files.cert,
      GRPC_TLS_KEY_FILE: files.key,
      GRPC_TLS_CA_FILE: files.ca,
    });
    assert.deepEqual(loaded, clientTls);
    assert.equal(loadTls({}), undefined);
    assert.throws(
      () => loadTls({ GRPC_TLS_CERT_FILE: files.cert, GRPC_TLS_KEY_FILE: files.key }),
      (error: unknown) => error instanceof ConfigError && error.variable === 'GRPC_TLS_CA_FILE',
    );
    assert.throws(
      () =>
        loadTls({
          GRPC_TLS_CERT_FILE: join(dir, 'nope'),
          GRPC_TLS_KEY_FILE: files.key,
          GRPC_TLS_CA_FILE: files.ca,
        }),
      (error: unknown) => error instanceof ConfigError && error.variable === 'GRPC_TLS_CERT_FILE',
    );
  });

  it("refuses a key that is not the certificate's, naming GRPC_TLS_KEY_FILE (not GRPC_LISTEN at bind)", () => {
    const dir = mkdtempSync(join(tmpdir(), 'feedmesh-tls-'));
    const files = {
      cert: join(dir, 'tls.crt'),
      key: join(dir, 'tls.key'),
      ca: join(dir, 'ca.crt'),
    };
    writeFileSync(files.cert, clientTls.cert);
    writeFileSync(files.key, serverTls.key); // another leaf's key: a rotation half done
    writeFileSync(files.ca, clientTls.ca);
    assert.throws(
      () =>
        loadTls({
          GRPC_TLS_CERT_FILE: files.cert,
          GRPC_TLS_KEY_FILE: files.key,
          GRPC_TLS_CA_FILE: files.ca,
        }),
      (error: unknown) =>
        error instanceof ConfigError &&
        error.message ===
          `configuration GRPC_TLS_KEY_FILE: ${files.key} is not the private key of the certificate in GRPC_TLS_CERT_FILE (${files.cert})`,
    );
  });
});

describe('bearer tokens for internal callers', () => {
  let server: RunningServer;
  const TOKEN = 'a-long-internal-caller-token';

  before(async () => {
    server = await startGrpcServer({
      name: 'echo',
      listen: '127.0.0.1:0',
      maxMessageBytes: 1024 * 1024,
      unaryTimeoutMs: 5_000,
      drainTimeoutMs: 1_000,
      services: [echoService()],
      logger: silent,
      middleware: [
        bearerTokenMiddleware({
          tokens: [TOKEN],
          services: [echov1.EchoServiceDefinition.fullName],
        }),
      ],
    });
  });
  after(() => server.shutdown());

  const echo = (bearerToken: string | undefined) => {
    const { client, close } = createServiceClient(echov1.EchoServiceDefinition, server.address, {
      deadlineMs: 5_000,
      bearerToken,
    });
    return client.echo({ payload: Buffer.from('hi'), delayMs: 0 }).finally(close);
  };

  it('answers a caller presenting an accepted token', async () => {
    assert.equal((await echo(TOKEN)).payload.toString(), 'hi');
  });

  it('answers UNAUTHENTICATED without a token, or with a wrong one', async () => {
    const missing = await failureOf(echo(undefined));
    assert.equal(missing.code, Status.UNAUTHENTICATED);
    assert.match(missing.details, /authorization: Bearer/);
    assert.equal((await failureOf(echo(`${TOKEN}x`))).code, Status.UNAUTHENTICATED);
  });

  it('reads the scheme name whatever its case, as HTTP does (bearer, BEARER)', async () => {
    for (const scheme of ['bearer', 'BEARER']) {
      const { client, close } = createServiceClient(echov1.EchoServiceDefinition, server.address, {
        deadlineMs: 5_000,
      });
      try {
        const response = await client.echo(
          { payload: Buffer.from('hi'), delayMs: 0 },
          { metadata: Metadata({ authorization: `${scheme} ${TOKEN}` }) },
        );
        assert.equal(response.payload.toString(), 'hi', scheme);
      } finally {
        close();
      }
    }
  });

  it('leaves health checks open for probes', async () => {
    const channel = createChannel(server.address, channelCredentials(undefined));
    const health = createClient(HealthDefinition, channel);
    const response = await health.check({ service: '' });
    channel.close();
    assert.equal(response.status, 1);
  });
});
