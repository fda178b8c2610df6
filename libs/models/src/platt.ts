import { sigmoid } from './predictor.js';

/**
 * Platt scaling: the slope and intercept of p = sigmoid(slope * margin + intercept) that
 * minimize log loss on the given rows, by Newton's method on the two parameters (a tiny L2
 * keeps it finite when the rows separate perfectly).
 */
export function fitPlatt(
  margins: ArrayLike<number>,
  labels: ArrayLike<number>,
): { slope: number; intercept: number } {
  let slope = 1;
  let intercept = 0;
  const ridge = 1e-6;
  for (let iteration = 0; iteration < 50; iteration += 1) {
    let ga = ridge * slope;
    let gb = 0;
    let haa = ridge;
    let hab = 0;
    let hbb = ridge;
    for (let r = 0; r < margins.length; r += 1) {
      const m = margins[r] as number;
      const p = sigmoid(slope * m + intercept);
      const e = p - (labels[r] as number);
      const w = Math.max(p * (1 - p), 1e-12);
      ga += e * m;
      gb += e;
      haa += w * m * m;
      hab += w * m;
      hbb += w;
    }
    const det = haa * hbb - hab * hab;
    if (!(det > 0)) break;
    const da = (hbb * ga - hab * gb) / det;
    const db = (haa * gb - hab * ga) / det;
    slope -= da;
    intercept -= db;
    if (Math.abs(da) + Math.abs(db) < 1e-9) break;
  }
  if (!Number.isFinite(slope) || !Number.isFinite(intercept)) return { slope: 1, intercept: 0 };
  return { slope, intercept };
}
