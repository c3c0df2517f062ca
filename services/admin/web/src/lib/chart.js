// Geometry for the dashboard's SVG line charts (pure, tested).

/**
 * An axis maximum ≥ max made of four round steps (step = 1, 2, 2.5 or 5 ×
 * 10^k), so every gridline label is a round number; 4 when max ≤ 0.
 */
export function niceMax(max) {
  if (!(max > 0)) return 4;
  const quarter = max / 4;
  const power = 10 ** Math.floor(Math.log10(quarter));
  for (const step of [1, 2, 2.5, 5, 10]) {
    if (step * power >= quarter) return 4 * step * power;
  }
  return 40 * power;
}

/**
 * SVG path data for `points` ([{t, v}]) in a box of `width`×`height`, x from
 * `t0` to `t1`, y from 0 (bottom) to `yMax` (top). A gap longer than `maxGap`
 * ms starts a new segment; points outside [t0, t1] are left out.
 */
export function linePath(points, { t0, t1, yMax, width, height, maxGap = Infinity }) {
  const span = t1 - t0;
  if (!(span > 0) || !(yMax > 0)) return '';
  let d = '';
  let last = null;
  for (const p of points) {
    if (p.t < t0 || p.t > t1 || p.v === null || Number.isNaN(p.v)) continue;
    const x = ((p.t - t0) / span) * width;
    const y = height - (Math.min(p.v, yMax) / yMax) * height;
    const move = last === null || p.t - last > maxGap;
    d += `${move ? 'M' : 'L'}${x.toFixed(1)},${y.toFixed(1)}`;
    last = p.t;
  }
  return d;
}

/**
 * Points with no neighbour within `maxGap` ms (inside [t0, t1]): a line
 * cannot show them, so the chart draws them as dots.
 */
export function isolatedPoints(points, { t0, t1, maxGap = Infinity }) {
  const inside = points.filter((p) => p.t >= t0 && p.t <= t1 && p.v !== null && !Number.isNaN(p.v));
  return inside.filter((p, i) => {
    const before = i > 0 && p.t - inside[i - 1].t <= maxGap;
    const after = i + 1 < inside.length && inside[i + 1].t - p.t <= maxGap;
    return !before && !after;
  });
}

/** The point of `points` closest in time to `t` (null for none). */
export function nearestPoint(points, t) {
  let best = null;
  for (const p of points) {
    if (!best || Math.abs(p.t - t) < Math.abs(best.t - t)) best = p;
  }
  return best;
}
