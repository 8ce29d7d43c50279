/** A straight line fitted through (x, y) points, with the standard error of its slope. */
export interface LineFit {
  slope: number;
  /** Standard error of the slope; Infinity when fewer than three points. */
  slopeStdError: number;
  /** Largest x minus smallest x. */
  spanX: number;
}

/**
 * Ordinary least squares. x is centred on its mean first: local times are epoch
 * milliseconds (~1.7e12), and squaring them raw would lose every significant digit.
 * Returns undefined when the slope is undefined (fewer than two distinct x).
 */
export function fitLine(points: readonly { x: number; y: number }[]): LineFit | undefined {
  const n = points.length;
  if (n < 2) return undefined;
  let meanX = 0;
  let meanY = 0;
  let minX = Infinity;
  let maxX = -Infinity;
  for (const p of points) {
    meanX += p.x / n;
    meanY += p.y / n;
    minX = Math.min(minX, p.x);
    maxX = Math.max(maxX, p.x);
  }
  let sxx = 0;
  let sxy = 0;
  for (const p of points) {
    const dx = p.x - meanX;
    sxx += dx * dx;
    sxy += dx * (p.y - meanY);
  }
  if (!(sxx > 0)) return undefined;
  const slope = sxy / sxx;
  let slopeStdError = Infinity;
  if (n > 2) {
    let ssRes = 0;
    for (const p of points) {
      const r = p.y - meanY - slope * (p.x - meanX);
      ssRes += r * r;
    }
    slopeStdError = Math.sqrt(ssRes / (n - 2) / sxx);
  }
  return { slope, slopeStdError, spanX: maxX - minX };
}
