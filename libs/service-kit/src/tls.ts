import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ConfigError } from '@feedmesh/errors';
import { ChannelCredentials, ServerCredentials } from '@grpc/grpc-js';
import { z } from 'zod';

/**
 * Mutual TLS between the services. Set all three files and every server asks callers for a
 * certificate signed by the CA, and every client presents its own and checks the server's;
 * set none and the mesh speaks plaintext (the playground, a trusted network, a service mesh
 * sidecar doing mTLS instead). Half a configuration is refused at start.
 */
export const tlsConfigShape = {
  /** PEM certificate chain this process presents, as a server and as a client. */
  GRPC_TLS_CERT_FILE: z.string().min(1).optional(),
  /** PEM private key of GRPC_TLS_CERT_FILE. */
  GRPC_TLS_KEY_FILE: z.string().min(1).optional(),
  /** PEM CA bundle peers' certificates must chain to. */
  GRPC_TLS_CA_FILE: z.string().min(1).optional(),
};

export interface TlsMaterial {
  readonly cert: Buffer;
  readonly key: Buffer;
  readonly ca: Buffer;
}

export function loadTls(config: {
  readonly GRPC_TLS_CERT_FILE?: string | undefined;
  readonly GRPC_TLS_KEY_FILE?: string | undefined;
  readonly GRPC_TLS_CA_FILE?: string | undefined;
}): TlsMaterial | undefined {
  const files = {
    GRPC_TLS_CERT_FILE: config.GRPC_TLS_CERT_FILE,
    GRPC_TLS_KEY_FILE: config.GRPC_TLS_KEY_FILE,
    GRPC_TLS_CA_FILE: config.GRPC_TLS_CA_FILE,
  };
  const set = Object.entries(files).filter(([, path]) => path !== undefined);
  if (set.length === 0) return undefined;
  const missing = Object.entries(files).find(([, path]) => path === undefined);
  if (missing)
    throw new ConfigError(missing[0], `must be set with ${set.map(([name]) => name).join(', ')}`);
  const read = (variable: string, path: string): Buffer => {
    try {
      return readFileSync(path);
    } catch (error) {
      throw new ConfigError(variable, `cannot read ${path}: ${(error as Error).message}`);
    }
  };
  // Parsed here, so a file that is not PEM is refused naming its variable, not later by
  // grpc-js with OpenSSL's words only.
  const parsed = (variable: string, path: string, parse: (pem: Buffer) => unknown): Buffer => {
    const pem = read(variable, path);
    try {
      parse(pem);
    } catch (error) {
      throw new ConfigError(
        variable,
        `${path} is not ${what[variable]}: ${(error as Error).message}`,
      );
    }
    return pem;
  };
  const what: Record<string, string> = {
    GRPC_TLS_CERT_FILE: 'a PEM certificate',
    GRPC_TLS_KEY_FILE: 'a PEM private key',
    GRPC_TLS_CA_FILE: 'a PEM certificate',
  };
  const cert = parsed(
    'GRPC_TLS_CERT_FILE',
    files.GRPC_TLS_CERT_FILE!,
    (pem) => new X509Certificate(pem),
  );
  const key = parsed('GRPC_TLS_KEY_FILE', files.GRPC_TLS_KEY_FILE!, (pem) => createPrivateKey(pem));
  // A key of another certificate (a rotation half done) was refused only at bind, by OpenSSL
  // ("key values mismatch"), and blamed on GRPC_LISTEN.
  if (!new X509Certificate(cert).checkPrivateKey(createPrivateKey(key))) {
    throw new ConfigError(
      'GRPC_TLS_KEY_FILE',
      `${files.GRPC_TLS_KEY_FILE} is not the private key of the certificate in GRPC_TLS_CERT_FILE (${files.GRPC_TLS_CERT_FILE})`,
    );
  }
  const ca = parsed('GRPC_TLS_CA_FILE', files.GRPC_TLS_CA_FILE!, (pem) => new X509Certificate(pem));
  return { cert, key, ca };
}

export function serverCredentials(tls: TlsMaterial | undefined): ServerCredentials {
  if (!tls) return ServerCredentials.createInsecure();
  return ServerCredentials.createSsl(
    tls.ca,
    [{ cert_chain: tls.cert, private_key: tls.key }],
    true,
  );
}

export function channelCredentials(tls: TlsMaterial | undefined): ChannelCredentials {
  if (!tls) return ChannelCredentials.createInsecure();
  return ChannelCredentials.createSsl(tls.ca, tls.key, tls.cert);
}
