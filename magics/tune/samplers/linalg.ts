// Small dense linear algebra for the Gaussian-process sampler: row-major Float64Array matrices, in place.
import { normalCdf, normalPdf } from "../../math/normal.js";

/** Cholesky factor L (lower, row-major n×n) of a symmetric positive-definite matrix; returns false if not SPD. */
export function choleskyInPlace(matrix: Float64Array, n: number): boolean {
  for (let j = 0; j < n; j++) {
    const rowJ = j * n;
    let diagonal = matrix[rowJ + j]!;
    for (let k = 0; k < j; k++) diagonal -= matrix[rowJ + k]! * matrix[rowJ + k]!;
    if (!(diagonal > 0)) return false;
    const pivot = Math.sqrt(diagonal);
    matrix[rowJ + j] = pivot;
    for (let i = j + 1; i < n; i++) {
      const rowI = i * n;
      let sum = matrix[rowI + j]!;
      for (let k = 0; k < j; k++) sum -= matrix[rowI + k]! * matrix[rowJ + k]!;
      matrix[rowI + j] = sum / pivot;
    }
    for (let k = j + 1; k < n; k++) matrix[rowJ + k] = 0;
  }
  return true;
}

/** Solves L x = b (forward substitution) into `out`. */
export function solveLower(lower: Float64Array, n: number, b: Float64Array, out: Float64Array): Float64Array {
  for (let i = 0; i < n; i++) {
    const row = i * n;
    let sum = b[i]!;
    for (let k = 0; k < i; k++) sum -= lower[row + k]! * out[k]!;
    out[i] = sum / lower[row + i]!;
  }
  return out;
}

/** Solves Lᵀ x = b (back substitution) into `out`. */
export function solveUpperTransposed(lower: Float64Array, n: number, b: Float64Array, out: Float64Array): Float64Array {
  for (let i = n - 1; i >= 0; i--) {
    let sum = b[i]!;
    for (let k = i + 1; k < n; k++) sum -= lower[k * n + i]! * out[k]!;
    out[i] = sum / lower[i * n + i]!;
  }
  return out;
}


/**
 * log of the expected improvement of a minimisation at a point with posterior mean `mean` and sd `sd`, below `best`:
 * log(sd · h(z)), h(z) = φ(z) + zΦ(z), z = (best − mean)/sd; stable far into the tail (where EI underflows) so the
 * acquisition search still has a slope to follow.
 */
export function logExpectedImprovement(mean: number, sd: number, best: number): number {
  const z = (best - mean) / sd;
  let logH: number;
  if (z > -5) {
    logH = Math.log(Math.max(normalPdf(z) + z * normalCdf(z), 1e-300));
  } else {
    // h(z) ≈ φ(z) / z² · (1 − 3/z²) for z → −∞.
    logH = -0.5 * z * z - 0.5 * Math.log(2 * Math.PI) - 2 * Math.log(-z) + Math.log1p(-3 / (z * z));
  }
  return Math.log(sd) + logH;
}
