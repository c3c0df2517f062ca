// Turns successive /metrics scrapes into rate, error and latency points,
// kept in a bounded ring buffer (the dashboard's last hour).

/** A counter's growth; a restart (counter went down) counts from zero. */
export function counterDelta(prev, cur) {
  return cur >= prev ? cur - prev : cur;
}

/**
 * The q-quantile (0..1) of the observations between two cumulative bucket
 * maps (le → count), interpolated inside the bucket like histogram_quantile.
 * null when nothing was observed.
 */
export function quantileBetween(prevBuckets, curBuckets, q) {
  const bounds = [...curBuckets.keys()].sort((a, b) => a - b);
  const deltas = bounds.map((le) => counterDelta(prevBuckets.get(le) || 0, curBuckets.get(le)));
  const total = deltas.length ? deltas[deltas.length - 1] : 0;
  if (total <= 0) return null;
  const rank = q * total;
  for (let i = 0; i < bounds.length; i++) {
    if (deltas[i] >= rank) {
      const lower = i === 0 ? 0 : bounds[i - 1];
      const below = i === 0 ? 0 : deltas[i - 1];
      if (bounds[i] === Infinity) return lower;
      const inBucket = deltas[i] - below;
      if (inBucket <= 0) return bounds[i];
      return lower + (bounds[i] - lower) * ((rank - below) / inBucket);
    }
  }
  return bounds[bounds.length - 1];
}

/**
 * One chart point from two summaries taken `prev.t`/`cur.t` ms apart:
 * requests and errors per minute, error percentage, mean and p95 latency
 * in ms (null when no request finished in between).
 */
export function derivePoint(prev, cur) {
  const minutes = (cur.t - prev.t) / 60000;
  if (!(minutes > 0)) return null;
  const requests = counterDelta(prev.requests, cur.requests);
  // `errors` already holds the upstream ones (see summarize).
  const errors = counterDelta(prev.errors, cur.errors);
  const count = counterDelta(prev.durationCount, cur.durationCount);
  const sum = counterDelta(prev.durationSum, cur.durationSum);
  const p95 = quantileBetween(prev.buckets, cur.buckets, 0.95);
  return {
    t: cur.t,
    requestRate: requests / minutes,
    errorRate: errors / minutes,
    errorPercent: requests > 0 ? Math.min(100, (100 * errors) / requests) : 0,
    latencyMs: count > 0 ? (1000 * sum) / count : null,
    p95Ms: p95 === null ? null : 1000 * p95,
    queueDepth: cur.queueDepth,
  };
}

/**
 * Over the points of the last `spanMs` before `now`: requests per minute
 * (time-weighted), and the newest mean and p95 latency seen (null if none).
 */
export function recentSummary(points, now, spanMs = 60000) {
  const recent = points.filter((p) => p.t > now - spanMs && p.t <= now);
  let requests = 0;
  let minutes = 0;
  for (let i = 0; i < recent.length; i++) {
    const prevT = i > 0 ? recent[i - 1].t : (points[points.indexOf(recent[0]) - 1]?.t ?? null);
    if (prevT === null) continue;
    const m = (recent[i].t - prevT) / 60000;
    requests += recent[i].requestRate * m;
    minutes += m;
  }
  const lastWith = (field) => {
    for (let i = points.length - 1; i >= 0; i--) {
      if (points[i].t <= now - 3600000) break;
      if (points[i][field] !== null && points[i][field] !== undefined) return points[i][field];
    }
    return null;
  };
  return {
    requestRate: minutes > 0 ? requests / minutes : 0,
    latencyMs: lastWith('latencyMs'),
    p95Ms: lastWith('p95Ms'),
  };
}

/** A ring buffer of points that also forgets points older than `windowMs`. */
export class History {
  constructor(capacity, windowMs) {
    this.capacity = capacity;
    this.windowMs = windowMs;
    this.items = [];
  }

  push(point) {
    this.items.push(point);
    if (this.items.length > this.capacity) this.items.splice(0, this.items.length - this.capacity);
    this.trim(point.t);
  }

  trim(now) {
    const oldest = now - this.windowMs;
    let drop = 0;
    while (drop < this.items.length && this.items[drop].t < oldest) drop++;
    if (drop) this.items.splice(0, drop);
  }

  points() {
    return this.items.slice();
  }

  /** [{t, v}] of one field, skipping points where it is null. */
  series(field) {
    return this.items.filter((p) => p[field] !== null && p[field] !== undefined)
      .map((p) => ({ t: p.t, v: p[field] }));
  }
}
