import { sigmoid } from './predictor.js';

/** Tiny L2 on both parameters: keeps them finite when the rows separate perfectly. */
const RIDGE = 1e-6;

/**
 * Platt scaling: the slope and intercept of p = sigmoid(slope * margin + intercept) that
 * minimize log loss on the given rows, by Newton's method on the two parameters. Each step is
 * halved until the loss goes down: a full Newton step from slope 1 overshoots without bound
 * when the margins spread far wider than log-odds (a ranking model's), since their
 * probabilities start saturated. No rows: the margins are kept as they are (slope 1).
 */
export function fitPlatt(
  margins: ArrayLike<number>,
  labels: ArrayLike<number>,
): { slope: number; intercept: number } {
  if (margins.length === 0) return { slope: 1, intercept: 0 };
  let slope = 1;
  let intercept = 0;
  let loss = penalizedLoss(margins, labels, slope, intercept);
  for (let iteration = 0; iteration < 100; iteration += 1) {
    let ga = RIDGE * slope;
    let gb = RIDGE * intercept;
    let haa = RIDGE;
    let hab = 0;
    let hbb = RIDGE;
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
    let t = 1;
    let accepted = false;
    for (let halving = 0; halving < 60; halving += 1) {
      const nextSlope = slope - t * da;
      const nextIntercept = intercept - t * db;
      const nextLoss = penalizedLoss(margins, labels, nextSlope, nextIntercept);
      if (nextLoss <= loss) {
        slope = nextSlope;
        intercept = nextIntercept;
        loss = nextLoss;
        accepted = true;
        break;
      }
      t /= 2;
    }
    if (!accepted || t * (Math.abs(da) + Math.abs(db)) < 1e-9) break;
  }
  if (!Number.isFinite(slope) || !Number.isFinite(intercept)) return { slope: 1, intercept: 0 };
  return { slope, intercept };
}

/** Summed log loss of sigmoid(slope * m + intercept), without overflow, plus the ridge. */
function penalizedLoss(
  margins: ArrayLike<number>,
  labels: ArrayLike<number>,
  slope: number,
  intercept: number,
): number {
  let total = (RIDGE / 2) * (slope * slope + intercept * intercept);
  for (let r = 0; r < margins.length; r += 1) {
    const z = slope * (margins[r] as number) + intercept;
    const softplus = z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z));
    total += softplus - (labels[r] as number) * z;
  }
  return total;
}
