/**
 * A tiny OTLP/HTTP JSON receiver for tests that run services as separate processes: start it, give
 * the services `OTEL_TRACES_EXPORTER=otlp OTEL_EXPORTER_OTLP_PROTOCOL=http/json
 * OTEL_EXPORTER_OTLP_ENDPOINT=<url>` (and a short OTEL_BSP_SCHEDULE_DELAY), then read the spans.
 * Metrics and logs are accepted and dropped.
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

export type ReceivedAttributeValue = string | number | boolean | readonly ReceivedAttributeValue[];

export interface ReceivedSpan {
  readonly traceId: string;
  readonly spanId: string;
  /** Undefined for a root span. */
  readonly parentSpanId: string | undefined;
  readonly name: string;
  /** The exporting process's `service.name` resource attribute. */
  readonly serviceName: string | undefined;
  readonly attributes: Readonly<Record<string, ReceivedAttributeValue>>;
}

export interface OtlpJsonReceiver {
  /** The base URL, for OTEL_EXPORTER_OTLP_ENDPOINT. */
  readonly url: string;
  /** Every span received so far, in arrival order. */
  spans(): ReceivedSpan[];
  /** Resolves with the spans once `done(spans)` holds; rejects after `timeoutMs`. */
  waitForSpans(
    done: (spans: ReceivedSpan[]) => boolean,
    timeoutMs?: number,
  ): Promise<ReceivedSpan[]>;
  close(): Promise<void>;
}

export async function startOtlpJsonReceiver(): Promise<OtlpJsonReceiver> {
  const received: ReceivedSpan[] = [];
  const server = createServer((request, response) => {
    if (request.method !== 'POST') {
      response.writeHead(405).end();
      return;
    }
    readBody(request)
      .then((body) => {
        if (request.url === '/v1/traces')
          received.push(...spansOf(JSON.parse(body) as ExportTraceRequest));
        response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      })
      .catch((error: unknown) => response.writeHead(400).end(String(error)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    spans: () => [...received],
    async waitForSpans(done, timeoutMs = 5_000) {
      const deadline = Date.now() + timeoutMs;
      while (!done([...received])) {
        if (Date.now() > deadline) {
          // The last few names say what did arrive without burying the failure in thousands.
          const last =
            received
              .slice(-40)
              .map((span) => span.name)
              .join(', ') || 'none';
          throw new Error(
            `spans not received within ${timeoutMs} ms (${received.length} received; last: ${last})`,
          );
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      return [...received];
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const body = Buffer.concat(chunks);
  return (request.headers['content-encoding'] === 'gzip' ? gunzipSync(body) : body).toString(
    'utf8',
  );
}

// The parts of ExportTraceServiceRequest (OTLP/JSON: ids in hex, 64-bit ints as strings) read here.
interface ExportTraceRequest {
  resourceSpans?: {
    resource?: { attributes?: KeyValue[] };
    scopeSpans?: { spans?: OtlpSpan[] }[];
  }[];
}

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  attributes?: KeyValue[];
}

interface KeyValue {
  key: string;
  value?: AnyValue;
}

interface AnyValue {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: number | string;
  doubleValue?: number;
  arrayValue?: { values?: AnyValue[] };
}

function spansOf(request: ExportTraceRequest): ReceivedSpan[] {
  return (request.resourceSpans ?? []).flatMap((resourceSpans) => {
    const serviceName = attributesOf(resourceSpans.resource?.attributes)['service.name'];
    return (resourceSpans.scopeSpans ?? []).flatMap((scope) =>
      (scope.spans ?? []).map((span) => ({
        traceId: span.traceId,
        spanId: span.spanId,
        parentSpanId: span.parentSpanId || undefined,
        name: span.name,
        serviceName: typeof serviceName === 'string' ? serviceName : undefined,
        attributes: attributesOf(span.attributes),
      })),
    );
  });
}

function attributesOf(keyValues: KeyValue[] = []): Record<string, ReceivedAttributeValue> {
  const attributes: Record<string, ReceivedAttributeValue> = {};
  for (const { key, value } of keyValues) {
    const converted = value === undefined ? undefined : valueOf(value);
    if (converted !== undefined) attributes[key] = converted;
  }
  return attributes;
}

function valueOf(value: AnyValue): ReceivedAttributeValue | undefined {
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.boolValue !== undefined) return value.boolValue;
  if (value.intValue !== undefined) return Number(value.intValue);
  if (value.doubleValue !== undefined) return value.doubleValue;
  if (value.arrayValue !== undefined) {
    return (value.arrayValue.values ?? []).flatMap((item) => valueOf(item) ?? []);
  }
  return undefined;
}
