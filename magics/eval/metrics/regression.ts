// Regression and language-model metrics, as sklearn 1.2 defines them (R² of a constant target: 1 if perfect, else 0).

export interface RegressionScores {
  mae: number;
  mse: number;
  rmse: number;
  r2: number;
}

export function regressionScores(targets: ArrayLike<number>, predictions: ArrayLike<number>): RegressionScores {
  const n = targets.length;
  let absolute = 0;
  let squared = 0;
  let targetSum = 0;
  for (let i = 0; i < n; i++) {
    const error = targets[i]! - predictions[i]!;
    absolute += Math.abs(error);
    squared += error * error;
    targetSum += targets[i]!;
  }
  const targetMean = targetSum / n;
  let totalSquares = 0;
  for (let i = 0; i < n; i++) totalSquares += (targets[i]! - targetMean) ** 2;
  const mse = squared / n;
  const r2 = totalSquares === 0 ? (squared === 0 ? 1 : 0) : 1 - squared / totalSquares;
  return { mae: absolute / n, mse, rmse: Math.sqrt(mse), r2 };
}

export interface LanguageModelScores {
  /** exp of the mean negative log-likelihood per token. */
  perplexity: number;
  /** Mean negative log-likelihood per token, in nats. */
  crossEntropy: number;
  bitsPerToken: number;
  tokens: number;
}

/** Token log-likelihoods (natural log, ≤ 0) → perplexity. Nested arrays (one per sequence) are pooled over tokens. */
export function languageModelScores(logLikelihoods: ArrayLike<number> | ArrayLike<ArrayLike<number>>): LanguageModelScores {
  let total = 0;
  let tokens = 0;
  const add = (value: number) => {
    total += value;
    tokens++;
  };
  for (let i = 0; i < logLikelihoods.length; i++) {
    const entry = logLikelihoods[i]!;
    if (typeof entry === "number") add(entry);
    else for (let j = 0; j < entry.length; j++) add(entry[j]!);
  }
  const crossEntropy = -total / tokens;
  return { perplexity: Math.exp(crossEntropy), crossEntropy, bitsPerToken: crossEntropy / Math.LN2, tokens };
}
