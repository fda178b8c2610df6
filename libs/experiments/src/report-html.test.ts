import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { buildExperimentReport, type ExperimentReport } from './experiment-report.js';
import { growthbookHash } from './growthbook-hash.js';
import { confidenceLabel, renderExperimentReportHtml } from './report-html.js';
import { DAY, START, syntheticExperimentLog } from './test-support/synthetic-log.js';
import { aggregateExperimentEvents } from './user-aggregates.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

async function report(
  controlShare: number,
  seed: number,
  alpha?: number,
): Promise<ExperimentReport> {
  const events = syntheticExperimentLog({
    experiment: 'html-test',
    users: 400,
    variantOf: (user) =>
      growthbookHash('html-test', user, 2) < controlShare ? 'control' : 'treatment',
    likeLift: { treatment: 1.3 },
    days: 4,
    seed,
  });
  const aggregates = await aggregateExperimentEvents(events, {
    experiment: 'html-test',
    startMs: START,
    endMs: START + 4 * DAY,
    bins: 8,
  });
  return buildExperimentReport(aggregates, {
    weights: { control: 0.5, treatment: 0.5 },
    generatedAtMs: START + 4 * DAY,
    ...(alpha !== undefined ? { alpha } : {}),
  });
}

describe('the HTML experiment report', () => {
  let balanced: ExperimentReport;
  let mismatched: ExperimentReport;

  before(async () => {
    balanced = await report(0.5, 31);
    // 70/30 traffic on a 50/50 config: a broken split.
    mismatched = await report(0.7, 32);
  });

  it('is one self-contained page: no script, no external resource', () => {
    const html = renderExperimentReportHtml(balanced);
    assert.doesNotMatch(html, /<script/i);
    assert.doesNotMatch(html, /\s(src|href)=/i);
    const urls = html.match(/https?:\/\/[^\s"')]+/g) ?? [];
    assert.deepEqual([...new Set(urls)], ['http://www.w3.org/2000/svg'], 'only the SVG namespace');
    assert.equal((html.match(/<svg class="chart"/g) ?? []).length, balanced.metrics.length * 2);
  });

  it('escapes names it did not write', () => {
    const html = renderExperimentReportHtml({ ...balanced, experiment: '<img onerror=x>' });
    assert.ok(!html.includes('<img onerror'));
    assert.ok(html.includes('&#60;img onerror=x&#62;'));
  });

  it("labels the intervals with the report's own confidence level, 1 − α", async () => {
    assert.equal(confidenceLabel(0.05), '95%');
    assert.equal(confidenceLabel(0.2), '80%');
    assert.equal(confidenceLabel(0.1), '90%');
    assert.equal(confidenceLabel(0.005), '99.5%');
    const html = renderExperimentReportHtml(balanced);
    // Four column heads (difference, lift, CUPED difference, CUPED lift), the note, and the
    // title and aria-label of both charts of every metric.
    assert.equal((html.match(/95%/g) ?? []).length, 5 + 4 * balanced.metrics.length);
    const wide = await report(0.5, 31, 0.2);
    // The intervals are the 80% ones: half width z(0.9) = 1.2816 standard errors.
    const like = wide.metrics.find((m) => m.id === 'like_rate')?.comparisons[0];
    assert.ok(like);
    const z = (like.ci[1] - like.difference) / like.standardError;
    assert.ok(Math.abs(z - 1.2815516) < 1e-6, `z ${z}`);
    const labelled = renderExperimentReportHtml(wide);
    assert.doesNotMatch(labelled, /95%/);
    assert.match(labelled, /<th>difference \(80% CI\)<\/th>/);
    assert.match(labelled, /<th>CUPED difference \(80% CI\)<\/th>/);
    assert.match(labelled, /<th>lift \(80% CI\)<\/th>/);
    assert.match(labelled, /<th>CUPED lift \(80% CI\)<\/th>/);
    assert.match(labelled, /with its 80% confidence interval/);
    assert.equal(
      (labelled.match(/cumulative value per variant \(80% band\)/g) ?? []).length,
      2 * wide.metrics.length,
      'title and aria-label of every value chart',
    );
    assert.equal(
      (labelled.match(/\(80% band; dashed: always-valid\)/g) ?? []).length,
      2 * wide.metrics.length,
    );
  });

  it('says the difference and its colours hold for one read at the planned end, the always-valid p at every read', () => {
    // The summary colours the fixed-horizon difference as it does the always-valid p. Before,
    // nothing on the page said which one a reader checking a running experiment every day
    // may act on: read daily for 20 days, a t-test at 0.05 calls an A/A test significant at
    // some read in over 10% of runs (statistics.test.ts), the always-valid p in under 5%.
    const html = renderExperimentReportHtml(balanced);
    assert.match(
      html,
      /fixed-horizon: they hold for one read at the end the experiment was planned to run to/,
    );
    assert.match(html, /judge a running experiment by the always-valid p/);
  });

  it('puts an SRM banner on top when the split is broken, and a calm one when it is not', () => {
    assert.match(
      renderExperimentReportHtml(mismatched),
      /id="srm-banner" role="alert" data-srm="mismatch">⚠ Sample ratio mismatch/,
    );
    assert.match(
      renderExperimentReportHtml(balanced),
      /id="srm-banner" data-srm="ok">No sample ratio mismatch/,
    );
  });

  describe('in headless Chromium', function () {
    let browser: Browser;

    before(async function () {
      if (!existsSync(CHROMIUM)) {
        console.log(
          `      (skipped: no Chromium at ${CHROMIUM}; apt-get install -y chromium, or set CHROMIUM_PATH)`,
        );
        this.skip();
      }
      browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: [
          '--no-sandbox',
          '--disable-gpu',
          '--disable-background-networking',
          '--disable-component-update',
          '--no-first-run',
        ],
      });
    });

    after(async () => {
      await browser?.close();
    });

    it('renders every chart, and the screenshot shows them', async () => {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      const requests: string[] = [];
      page.on('request', (request) => requests.push(request.url()));
      await page.setContent(renderExperimentReportHtml(mismatched), { waitUntil: 'load' });

      const charts = page.locator('svg.chart');
      assert.equal(await charts.count(), mismatched.metrics.length * 2);
      const lines = await page.locator('svg.chart path.line').count();
      const bands = await page.locator('svg.chart path.band').count();
      assert.ok(lines >= mismatched.metrics.length * 2, `${lines} lines`);
      assert.ok(bands >= mismatched.metrics.length * 2, `${bands} bands`);
      const box = await charts.first().boundingBox();
      assert.ok(box && box.width > 400 && box.height > 200, `chart box ${JSON.stringify(box)}`);

      const banner = page.locator('#srm-banner[data-srm="mismatch"]');
      assert.ok(await banner.isVisible(), 'the SRM banner is visible');
      assert.match((await banner.textContent()) ?? '', /Sample ratio mismatch/);
      assert.deepEqual(requests, [], 'the page fetched nothing');

      const screenshot = await page.screenshot({ fullPage: true });
      const file = join(tmpdir(), 'feedmesh-experiment-report.png');
      await writeFile(file, screenshot);
      const chartShot = await charts.first().screenshot();

      // Decode both screenshots in the page itself: count pixels that are neither white nor
      // near-white, and pixels in the first variant's colour (#4e79a7) drawn by the chart.
      const pngs = JSON.stringify([screenshot.toString('base64'), chartShot.toString('base64')]);
      const counts = (await page.evaluate(`(${PIXEL_COUNTER})(${pngs})`)) as {
        inkedPage: number;
        totalPage: number;
        blueChart: number;
        inkedChart: number;
      };
      assert.ok(
        counts.inkedPage / counts.totalPage > 0.02,
        `page ink ${JSON.stringify(counts)} (${file})`,
      );
      assert.ok(
        counts.blueChart > 200,
        `the first chart draws its control line and band: ${JSON.stringify(counts)}`,
      );
      assert.ok(counts.inkedChart > 2000, `chart ink ${JSON.stringify(counts)}`);
      await page.close();
    });
  });
});

/** Runs in the browser: decodes two base64 PNGs through a canvas and counts pixels. */
const PIXEL_COUNTER = `async ([pagePng, chartPng]) => {
  async function pixels(b64) {
    const image = new Image();
    image.src = 'data:image/png;base64,' + b64;
    await image.decode();
    const canvas = document.createElement('canvas');
    canvas.width = image.naturalWidth;
    canvas.height = image.naturalHeight;
    const context = canvas.getContext('2d');
    context.drawImage(image, 0, 0);
    return context.getImageData(0, 0, canvas.width, canvas.height).data;
  }
  const inked = (d, i) => d[i] < 235 || d[i + 1] < 235 || d[i + 2] < 235;
  const page = await pixels(pagePng);
  const chart = await pixels(chartPng);
  let inkedPage = 0;
  for (let i = 0; i < page.length; i += 4) if (inked(page, i)) inkedPage++;
  let inkedChart = 0;
  let blueChart = 0;
  for (let i = 0; i < chart.length; i += 4) {
    if (inked(chart, i)) inkedChart++;
    if (Math.abs(chart[i] - 0x4e) < 24 && Math.abs(chart[i + 1] - 0x79) < 24 && Math.abs(chart[i + 2] - 0xa7) < 24) blueChart++;
  }
  return { inkedPage, totalPage: page.length / 4, inkedChart, blueChart };
}`;
