import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

/** The parts of a received span the bench uses. */
export interface RecordedSpan {
  readonly service: string;
  readonly name: string;
  /** Wall clock, ms since the epoch. */
  readonly startMs: number;
  readonly durationMs: number;
  /** Numeric attributes only (counts such as `feedmesh.candidates.filtered`). */
  readonly numbers: Readonly<Record<string, number>>;
}

/**
 * Receives the services' sampled traces over OTLP/HTTP JSON and keeps each span's duration:
 * the stage timings of GetFeed under load, at the cost of exporting a small share of traces.
 */
export interface SpanRecorder {
  /** For OTEL_EXPORTER_OTLP_ENDPOINT. */
  readonly url: string;
  /** Spans that started within [fromMs, toMs) (wall clock). */
  spansBetween(fromMs: number, toMs: number): RecordedSpan[];
  close(): Promise<void>;
}

export async function startSpanRecorder(): Promise<SpanRecorder> {
  const spans: RecordedSpan[] = [];
  const server = createServer((request, response) => {
    readBody(request)
      .then((body) => {
        if (request.url === '/v1/traces') spans.push(...spansOf(JSON.parse(body) as TraceExport));
        response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      })
      .catch((error: unknown) => response.writeHead(400).end(String(error)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    spansBetween: (fromMs, toMs) => spans.filter((s) => s.startMs >= fromMs && s.startMs < toMs),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The OTLP JSON encoding, as far as it is read here. */
interface TraceExport {
  resourceSpans?: {
    resource?: { attributes?: Attribute[] };
    scopeSpans?: {
      spans?: {
        name: string;
        startTimeUnixNano: string | number;
        endTimeUnixNano: string | number;
        attributes?: Attribute[];
      }[];
    }[];
  }[];
}
interface Attribute {
  key: string;
  value: { stringValue?: string; intValue?: string | number; doubleValue?: number };
}

export function spansOf(body: TraceExport): RecordedSpan[] {
  const out: RecordedSpan[] = [];
  for (const resource of body.resourceSpans ?? []) {
    const service =
      resource.resource?.attributes?.find((a) => a.key === 'service.name')?.value.stringValue ??
      'unknown';
    for (const scope of resource.scopeSpans ?? []) {
      for (const span of scope.spans ?? []) {
        const start = Number(span.startTimeUnixNano) / 1e6;
        const numbers: Record<string, number> = {};
        for (const attribute of span.attributes ?? []) {
          const value = attribute.value.intValue ?? attribute.value.doubleValue;
          if (value !== undefined) numbers[attribute.key] = Number(value);
        }
        out.push({
          service,
          name: span.name,
          startMs: start,
          durationMs: Number(span.endTimeUnixNano) / 1e6 - start,
          numbers,
        });
      }
    }
  }
  return out;
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const body = Buffer.concat(chunks);
  return (request.headers['content-encoding'] === 'gzip' ? gunzipSync(body) : body).toString();
}
