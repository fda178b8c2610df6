import assert from 'node:assert/strict';
import { startSpanRecorder } from './span-recorder.js';

describe('the span recorder', () => {
  it('keeps the duration and numeric attributes of spans posted as OTLP JSON', async () => {
    const recorder = await startSpanRecorder();
    try {
      const body = {
        resourceSpans: [
          {
            resource: {
              attributes: [{ key: 'service.name', value: { stringValue: 'feed-gateway' } }],
            },
            scopeSpans: [
              {
                spans: [
                  {
                    name: 'feed.pipeline',
                    startTimeUnixNano: '1700000000000000000',
                    endTimeUnixNano: '1700000000012500000',
                    attributes: [
                      { key: 'feedmesh.candidates.generated', value: { intValue: '1000' } },
                      { key: 'feedmesh.user_id', value: { stringValue: 'u1' } },
                    ],
                  },
                ],
              },
            ],
          },
        ],
      };
      const response = await fetch(`${recorder.url}/v1/traces`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      assert.equal(response.status, 200);
      const [span, ...rest] = recorder.spansBetween(1_699_999_999_999, 1_700_000_000_001);
      assert.equal(rest.length, 0);
      assert.equal(span?.service, 'feed-gateway');
      assert.equal(span?.durationMs, 12.5);
      assert.deepEqual(span?.numbers, { 'feedmesh.candidates.generated': 1000 });
      assert.deepEqual(recorder.spansBetween(0, 1_000), []);
    } finally {
      await recorder.close();
    }
  });
});
