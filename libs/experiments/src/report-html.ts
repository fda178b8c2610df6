import type { ExperimentReport, MetricResult, VariantComparison } from './experiment-report.js';

/**
 * The experiment report as one self-contained HTML page: inline CSS and SVG charts drawn
 * here, no script and nothing fetched, so it opens from a file, an email or a CI artifact.
 * Each metric gets its cumulative value per variant over time with (1 − α) bands (95% at the
 * default α = 0.05), and the difference from control with the fixed-horizon and the
 * always-valid (sequential) bands.
 */
export function renderExperimentReportHtml(report: ExperimentReport): string {
  const colors = new Map(
    report.variants.map((v, i) => [v.variant, PALETTE[i % PALETTE.length] ?? '#333']),
  );
  const title = `Experiment ${report.experiment}`;
  const level = confidenceLabel(report.alpha);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>${CSS}</style>
</head>
<body>
<header>
<h1>${esc(title)}</h1>
<p class="meta">${esc(formatTime(report.startMs))} to ${esc(formatTime(report.endMs))} UTC · pre-period ${esc(formatDuration(report.prePeriodMs))} · control <b>${esc(report.control)}</b> · α = ${report.alpha} · generated ${esc(formatTime(report.generatedAtMs))} UTC</p>
</header>
${srmBanner(report)}
${report.warnings
  .filter((w) => !w.startsWith('Sample ratio mismatch'))
  .map((w) =>
    w.startsWith('CUPED off')
      ? `<div class="banner warn" id="cuped-banner" role="alert" data-cuped="off">⚠ ${esc(w)}</div>`
      : `<div class="banner warn">${esc(w)}</div>`,
  )
  .join('\n')}
<section>
<h2>Traffic</h2>
<table class="traffic">
<thead><tr><th>variant</th><th>users</th><th>observed share</th><th>expected share</th></tr></thead>
<tbody>
${report.variants
  .map(
    (v) =>
      `<tr><td>${swatch(colors.get(v.variant))}${esc(v.variant)}</td><td>${v.users}</td><td>${pct(v.observedShare)}</td><td>${pct(v.expectedShare)}</td></tr>`,
  )
  .join('\n')}
</tbody>
</table>
</section>
<section>
<h2>Summary</h2>
${summaryTable(report)}
<p class="note">Difference: variant minus control, with its ${level} confidence interval and p-value (Welch's t-test; delta method for ratios). These, their CUPED counterparts and their colours are fixed-horizon: they hold for one read at the end the experiment was planned to run to; read before it, or read again and again, they call chance differences significant far more often than α, so judge a running experiment by the always-valid p.${holmNote(report)} Lift: the difference over ${esc(report.control)}'s value, with Fieller's interval; – where ${esc(report.control)}'s value is 0 or its interval includes 0, so the ratio has no bound. ${report.cupedDisabled ? 'CUPED: off in this report, because its pre-period may already be treated (see the warning above).' : "CUPED: the same difference after removing what each user's pre-period predicts."} Always-valid p: mixture SPRT over the looks with at least ${report.sequentialMinUsersPerArm} users an arm, safe to read at every look; coloured when below α.</p>
</section>
${report.metrics.map((metric) => metricSection(metric, report, colors)).join('\n')}
</body>
</html>
`;
}

const PALETTE = [
  '#4e79a7',
  '#f28e2b',
  '#59a14f',
  '#e15759',
  '#76b7b2',
  '#b07aa1',
  '#edc948',
  '#9c755f',
];

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px auto;max-width:1180px;color:#1d2330;padding:0 16px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px}h3{font-size:15px;margin:0 0 4px}
.meta,.note,.desc{color:#5b6475}.note{font-size:12px}
.banner{padding:12px 16px;border-radius:6px;margin:12px 0;font-weight:600}
.srm-alert{background:#fde2e1;border:2px solid #c62828;color:#8e1b1b;font-size:16px}
.srm-ok{background:#e6f4ea;border:1px solid #7cb38a;color:#1e5631;font-weight:500}
.warn{background:#fff4d6;border:1px solid #e0b44c;color:#6b4e00;font-weight:500}
table{border-collapse:collapse;font-variant-numeric:tabular-nums}
th,td{padding:4px 10px;border-bottom:1px solid #e3e6ec;text-align:right}
th:first-child,td:first-child{text-align:left}
th{font-weight:600;color:#3a4252;background:#f6f7f9}
.good{color:#1e7b34;font-weight:600}.bad{color:#b3261e;font-weight:600}
.metric{border-top:1px solid #e3e6ec;padding-top:12px;margin-top:20px}
.charts{display:flex;flex-wrap:wrap;gap:12px}
.chart{background:#fbfbfc;border:1px solid #e3e6ec;border-radius:6px}
.chart text{font-size:11px;fill:#5b6475}
.chart .title{font-size:12px;fill:#1d2330;font-weight:600}
.swatch{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:6px;vertical-align:baseline}
`;

function srmBanner(report: ExperimentReport): string {
  const { srm } = report;
  if (srm.mismatch) {
    const detail =
      report.warnings.find((w) => w.startsWith('Sample ratio mismatch')) ??
      'Sample ratio mismatch.';
    return `<div class="banner srm-alert" id="srm-banner" role="alert" data-srm="mismatch">⚠ ${esc(detail)}</div>`;
  }
  return `<div class="banner srm-ok" id="srm-banner" data-srm="ok">No sample ratio mismatch: users per variant match the configured weights (chi-square ${srm.chiSquare.toFixed(2)}, p = ${formatP(srm.pValue)}).</div>`;
}

function summaryTable(report: ExperimentReport): string {
  const level = confidenceLabel(report.alpha);
  const treatments = report.variants.map((v) => v.variant).filter((v) => v !== report.control);
  const head = `<tr><th>metric</th><th>${esc(report.control)}</th>${treatments
    .map(
      (t) =>
        `<th>${esc(t)}</th><th>difference (${level} CI)</th><th>lift (${level} CI)</th><th>p</th><th>CUPED difference (${level} CI)</th><th>CUPED lift (${level} CI)</th><th>CUPED p</th><th>always-valid p</th>`,
    )
    .join('')}</tr>`;
  // With several treatments the verdict is on the Holm-adjusted p; show it beside the raw one.
  const withHolm = (p: number, adjusted: number) =>
    treatments.length > 1
      ? `${formatP(p)} <span class="adjusted">(Holm ${formatP(adjusted)})</span>`
      : formatP(p);
  const rows = report.metrics.map((metric) => {
    const controlValue = metric.variants.find((v) => v.variant === report.control);
    const cells = treatments.map((t) => {
      const value = metric.variants.find((v) => v.variant === t);
      const c = metric.comparisons.find((x) => x.variant === t);
      if (!c || !value) return '<td></td>'.repeat(8);
      const cls = verdictClass(metric, c);
      const cuped = c.cuped
        ? `<td>${fmtDiff(metric, c.cuped.difference)} (${fmtDiff(metric, c.cuped.ci[0])}, ${fmtDiff(metric, c.cuped.ci[1])})</td><td>${fmtLift(c.cuped.relativeDifference, c.cuped.relativeCi)}</td><td>${formatP(c.cuped.pValue)}</td>`
        : report.cupedDisabled && metric.hasCovariate
          ? '<td class="desc" data-cuped="off">off: pre-period treated</td><td></td><td></td>'
          : '<td class="desc">n/a</td><td></td><td></td>';
      const sequentialCls = c.sequential.significant
        ? c.difference > 0 === metric.higherIsBetter
          ? 'good'
          : 'bad'
        : '';
      return `<td>${fmt(metric, value.value)}</td><td class="${cls}">${fmtDiff(metric, c.difference)} (${fmtDiff(metric, c.ci[0])}, ${fmtDiff(metric, c.ci[1])})</td><td class="${cls}">${fmtLift(c.relativeDifference, c.relativeCi)}</td><td class="${cls}">${withHolm(c.pValue, c.adjustedPValue)}</td>${cuped}<td class="${sequentialCls}">${withHolm(c.sequential.pValue, c.sequential.adjustedPValue)}</td>`;
    });
    return `<tr><td>${esc(metric.name)}</td><td>${controlValue ? fmt(metric, controlValue.value) : ''}</td>${cells.join('')}</tr>`;
  });
  return `<table class="summary"><thead>${head}</thead><tbody>\n${rows.join('\n')}\n</tbody></table>`;
}

/** With several treatments: what the colours mean. */
function holmNote(report: ExperimentReport): string {
  const treatments = report.variants.filter((v) => v.variant !== report.control).length;
  if (treatments < 2) return '';
  return ` With ${treatments} treatments, a difference is coloured significant when its Holm-adjusted p (in parentheses) is below α = ${report.alpha}, so that the chance of any false call among the ${treatments} is at most α; an always-valid p is coloured on its own Holm-adjusted value in the same way; each interval is for its own comparison.`;
}

function verdictClass(metric: MetricResult, c: VariantComparison): string {
  if (!c.significant) return '';
  return c.improvement ? 'good' : 'bad';
}

function metricSection(
  metric: MetricResult,
  report: ExperimentReport,
  colors: Map<string, string>,
): string {
  const level = confidenceLabel(report.alpha);
  const valueChart = lineChart({
    title: `${metric.name}: cumulative value per variant (${level} band)`,
    percent: metric.format === 'percent',
    series: metric.series.variants.map((s) => ({
      label: s.variant,
      color: colors.get(s.variant) ?? '#333',
      // A look with a value but no interval (one user) is a point without a band.
      points: s.points
        .filter((p) => Number.isFinite(p.value))
        .map((p) => ({
          x: p.atMs,
          y: p.value,
          low: Number.isFinite(p.ci[0]) ? p.ci[0] : p.value,
          high: Number.isFinite(p.ci[1]) ? p.ci[1] : p.value,
        })),
    })),
  });
  const differenceChart = lineChart({
    title: `Difference from ${report.control} (${level} band; dashed: always-valid)`,
    percent: metric.format === 'percent',
    zeroLine: true,
    series: metric.series.differences.map((s) => ({
      label: `${s.variant} − ${report.control}`,
      color: colors.get(s.variant) ?? '#333',
      points: s.points
        .filter((p) => Number.isFinite(p.ci[0]))
        .map((p) => ({
          x: p.atMs,
          y: p.difference,
          low: p.ci[0],
          high: p.ci[1],
          outerLow: p.sequentialCi[0],
          outerHigh: p.sequentialCi[1],
        })),
    })),
  });
  return `<section class="metric" id="metric-${esc(metric.id)}" data-metric="${esc(metric.id)}">
<h3>${esc(metric.name)}</h3>
<p class="desc">${esc(metric.description)}${metric.higherIsBetter ? '' : ' Lower is better.'}</p>
<div class="charts">${valueChart}${differenceChart}</div>
</section>`;
}

interface ChartPoint {
  readonly x: number;
  readonly y: number;
  readonly low: number;
  readonly high: number;
  readonly outerLow?: number;
  readonly outerHigh?: number;
}

interface ChartSeries {
  readonly label: string;
  readonly color: string;
  readonly points: readonly ChartPoint[];
}

let chartCounter = 0;

function lineChart(options: {
  readonly title: string;
  readonly series: readonly ChartSeries[];
  readonly percent: boolean;
  readonly zeroLine?: boolean;
}): string {
  const width = 560;
  const height = 260;
  const margin = { top: 28, right: 16, bottom: 44, left: 64 };
  const plotW = width - margin.left - margin.right;
  const plotH = height - margin.top - margin.bottom;
  const all = options.series.flatMap((s) => s.points);
  const clipId = `clip-${++chartCounter}`;
  if (all.length === 0) {
    return `<svg class="chart" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img"><text class="title" x="${margin.left}" y="18">${esc(options.title)}</text><text x="${width / 2}" y="${height / 2}" text-anchor="middle">no data</text></svg>`;
  }
  const xs = all.map((p) => p.x);
  let xMin = Math.min(...xs);
  let xMax = Math.max(...xs);
  if (xMax === xMin) {
    xMin -= 1;
    xMax += 1;
  }
  // The y range fits values and fixed-horizon bands; the always-valid band starts infinite
  // and is clipped to the plot rather than allowed to flatten everything else.
  const ys = all.flatMap((p) => [p.y, p.low, p.high]).filter(Number.isFinite);
  if (options.zeroLine) ys.push(0);
  let yMin = Math.min(...ys);
  let yMax = Math.max(...ys);
  if (yMax - yMin < 1e-12) {
    yMin -= Math.abs(yMin) * 0.1 || 1;
    yMax += Math.abs(yMax) * 0.1 || 1;
  }
  const pad = (yMax - yMin) * 0.06;
  yMin -= pad;
  yMax += pad;
  const sx = (x: number) => margin.left + ((x - xMin) / (xMax - xMin)) * plotW;
  const span = yMax - yMin;
  const sy = (y: number) => {
    // Off-plot values (an infinite always-valid bound) stop just past the clip edge.
    const clamped = Math.max(yMin - span, Math.min(yMax + span, Number.isNaN(y) ? yMin : y));
    return margin.top + (1 - (clamped - yMin) / span) * plotH;
  };
  const n = (v: number) => v.toFixed(1);

  const yTicks = niceTicks(yMin, yMax, 5);
  const xTicks = all.length > 0 ? evenTicks(xMin, xMax, 4) : [];
  const grid = yTicks
    .map(
      (t) =>
        `<line x1="${margin.left}" x2="${margin.left + plotW}" y1="${n(sy(t))}" y2="${n(sy(t))}" stroke="#e6e8ee"/><text x="${margin.left - 6}" y="${n(sy(t) + 4)}" text-anchor="end">${esc(tickLabel(t, options.percent))}</text>`,
    )
    .join('');
  const xAxis = xTicks
    .map(
      (t) =>
        `<line x1="${n(sx(t))}" x2="${n(sx(t))}" y1="${margin.top + plotH}" y2="${margin.top + plotH + 4}" stroke="#8a93a5"/><text x="${n(sx(t))}" y="${margin.top + plotH + 16}" text-anchor="middle">${esc(shortTime(t))}</text>`,
    )
    .join('');
  const zero =
    options.zeroLine && yMin < 0 && yMax > 0
      ? `<line x1="${margin.left}" x2="${margin.left + plotW}" y1="${n(sy(0))}" y2="${n(sy(0))}" stroke="#1d2330" stroke-width="1"/>`
      : '';
  const band = (
    points: readonly ChartPoint[],
    low: (p: ChartPoint) => number,
    high: (p: ChartPoint) => number,
  ) => {
    const upper = points.map((p) => `${n(sx(p.x))},${n(sy(high(p)))}`);
    const lower = [...points].reverse().map((p) => `${n(sx(p.x))},${n(sy(low(p)))}`);
    return `M${upper.join('L')}L${lower.join('L')}Z`;
  };
  const drawn = options.series
    .map((s) => {
      if (s.points.length === 0) return '';
      const outer = s.points.some((p) => p.outerLow !== undefined)
        ? `<path class="band-sequential" d="${band(
            s.points,
            (p) => p.outerLow ?? p.low,
            (p) => p.outerHigh ?? p.high,
          )}" fill="none" stroke="${s.color}" stroke-dasharray="4 3" stroke-width="1"/>`
        : '';
      const line = s.points
        .map((p, i) => `${i === 0 ? 'M' : 'L'}${n(sx(p.x))},${n(sy(p.y))}`)
        .join('');
      const dots = s.points
        .map((p) => `<circle cx="${n(sx(p.x))}" cy="${n(sy(p.y))}" r="2.5" fill="${s.color}"/>`)
        .join('');
      return `<path class="band" d="${band(
        s.points,
        (p) => p.low,
        (p) => p.high,
      )}" fill="${s.color}" fill-opacity="0.18" stroke="none"/>${outer}<path class="line" d="${line}" fill="none" stroke="${s.color}" stroke-width="2"/>${dots}`;
    })
    .join('');
  const legend = options.series
    .map(
      (s, i) =>
        `<rect x="${margin.left + i * 150}" y="${height - 14}" width="10" height="10" rx="2" fill="${s.color}"/><text x="${margin.left + i * 150 + 14}" y="${height - 5}">${esc(s.label)}</text>`,
    )
    .join('');
  return `<svg class="chart" xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${esc(options.title)}">
<defs><clipPath id="${clipId}"><rect x="${margin.left}" y="${margin.top}" width="${plotW}" height="${plotH}"/></clipPath></defs>
<text class="title" x="${margin.left}" y="18">${esc(options.title)}</text>
${grid}${xAxis}
<rect x="${margin.left}" y="${margin.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#c9ced8"/>
<g clip-path="url(#${clipId})">${zero}${drawn}</g>
${legend}
</svg>`;
}

function niceTicks(min: number, max: number, count: number): number[] {
  const span = max - min;
  const step0 = span / Math.max(1, count);
  const magnitude = 10 ** Math.floor(Math.log10(step0));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((s) => s >= step0) ?? step0;
  const ticks: number[] = [];
  for (let t = Math.ceil(min / step) * step; t <= max + step * 1e-9; t += step)
    ticks.push(Math.abs(t) < step * 1e-9 ? 0 : t);
  return ticks;
}

function evenTicks(min: number, max: number, count: number): number[] {
  return Array.from({ length: count + 1 }, (_, i) => min + ((max - min) * i) / count);
}

function tickLabel(value: number, percent: boolean): string {
  if (percent) return `${trim(value * 100)}%`;
  return trim(value);
}

function trim(value: number): string {
  const abs = Math.abs(value);
  const digits = abs === 0 ? 0 : abs >= 100 ? 0 : abs >= 10 ? 1 : abs >= 1 ? 2 : 3;
  return value.toFixed(digits);
}

function fmt(metric: MetricResult, value: number): string {
  if (Number.isNaN(value)) return '–';
  if (!Number.isFinite(value)) return esc(String(value));
  return metric.format === 'percent' ? `${(value * 100).toFixed(2)}%` : value.toFixed(3);
}

function fmtDiff(metric: MetricResult, value: number): string {
  if (Number.isNaN(value)) return '–';
  if (!Number.isFinite(value)) return value > 0 ? '∞' : '−∞';
  const sign = value > 0 ? '+' : value < 0 ? '−' : '';
  const abs = Math.abs(value);
  return metric.format === 'percent'
    ? `${sign}${(abs * 100).toFixed(2)} pp`
    : `${sign}${abs.toFixed(3)}`;
}

/** A lift as a signed percent with its interval; – without an interval (see `relativeCi`). */
function fmtLift(lift: number, ci: readonly [number, number] | null): string {
  if (!ci || !Number.isFinite(lift)) return '–';
  const signed = (value: number) => {
    const text = `${(Math.abs(value) * 100).toFixed(1)}%`;
    return text === '0.0%' ? text : `${value > 0 ? '+' : '−'}${text}`;
  };
  return `${signed(lift)} (${signed(ci[0])}, ${signed(ci[1])})`;
}

function formatP(p: number): string {
  if (!Number.isFinite(p)) return '';
  if (p < 0.0001) return p.toExponential(1);
  return p.toFixed(4);
}

/** The confidence level of the report's intervals, 1 − α: "95%" at α = 0.05, "80%" at 0.2. */
export function confidenceLabel(alpha: number): string {
  return `${Number(((1 - alpha) * 100).toFixed(2))}%`;
}

function pct(share: number): string {
  return `${(share * 100).toFixed(1)}%`;
}

function swatch(color: string | undefined): string {
  return `<span class="swatch" style="background:${color ?? '#333'}"></span>`;
}

function formatTime(ms: number): string {
  return new Date(ms).toISOString().slice(0, 16).replace('T', ' ');
}

function shortTime(ms: number): string {
  return new Date(ms).toISOString().slice(5, 16).replace('T', ' ');
}

function formatDuration(ms: number): string {
  const days = ms / 86_400_000;
  if (days >= 1) return `${trim(days)} d`;
  return `${trim(ms / 3_600_000)} h`;
}

function esc(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
