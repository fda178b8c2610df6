import { connect, constants, type IncomingHttpHeaders } from 'node:http2';

/** A unary method as the generated definitions give it. */
export interface UnaryMethod<Request, Response> {
  readonly name: string;
  readonly requestType: { encode(request: Request): { finish(): Uint8Array } };
  readonly responseType: { decode(bytes: Uint8Array): Response };
}

export interface WireCallResult<Response> {
  /** The gRPC status code (0: OK). */
  readonly code: number;
  readonly details: string;
  readonly response: Response | undefined;
}

/**
 * One unary call as gRPC clients outside the mesh make it (grpc-js given a `deadline`, grpc-go,
 * grpcurl's `-max-time`): the deadline travels in the `grpc-timeout` header and the server
 * enforces it, answering DEADLINE_EXCEEDED once it passes. The mesh's own clients (nice-grpc)
 * keep their deadline on their side, and the gateway has no grpc-js client of its own: this
 * speaks the protocol over node:http2, plaintext.
 */
export async function callWithWireDeadline<Request, Response>(
  address: string,
  service: { readonly fullName: string },
  method: UnaryMethod<Request, Response>,
  request: Request,
  timeoutMs: number,
): Promise<WireCallResult<Response>> {
  const session = connect(`http://${address}`);
  try {
    const stream = session.request({
      [constants.HTTP2_HEADER_METHOD]: 'POST',
      [constants.HTTP2_HEADER_PATH]: `/${service.fullName}/${method.name}`,
      [constants.HTTP2_HEADER_CONTENT_TYPE]: 'application/grpc',
      [constants.HTTP2_HEADER_TE]: 'trailers',
      'grpc-timeout': `${timeoutMs}m`,
    });
    const body = method.requestType.encode(request).finish();
    const frame = Buffer.alloc(5 + body.length);
    frame.writeUInt32BE(body.length, 1); // byte 0: not compressed
    frame.set(body, 5);
    stream.end(frame);

    // A status sent before any message comes in the headers alone (trailers-only).
    let status: IncomingHttpHeaders = {};
    const chunks: Buffer[] = [];
    stream.on('response', (headers) => {
      if (headers['grpc-status'] !== undefined) status = headers;
    });
    stream.on('trailers', (trailers) => {
      status = trailers;
    });
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    await new Promise<void>((resolve, reject) => {
      stream.on('close', resolve);
      stream.on('error', reject);
    });

    const code = Number(status['grpc-status'] ?? Number.NaN);
    if (!Number.isInteger(code)) throw new Error('the server sent no grpc-status');
    const details = decodeURIComponent(String(status['grpc-message'] ?? ''));
    const data = Buffer.concat(chunks);
    const response =
      data.length >= 5
        ? method.responseType.decode(data.subarray(5, 5 + data.readUInt32BE(1)))
        : undefined;
    return { code, details, response };
  } finally {
    session.close();
  }
}
