// The rule that test data never steers the search: an objective read from a split named "test", or from data
// declared test (%version data PATH --test), is refused with the reason and the alternative.

export class TestDataError extends Error {
  override readonly name = "TestDataError";
}

const WHY =
  "Tuning on test data is selection bias: the search picks whatever scores best on the test set, so that score " +
  "stops being an unbiased estimate of performance on new data (it will be optimistic). ";
const INSTEAD = "Tune on a validation split (e.g. --metric val.loss, logged with run.log({ loss }, { split: \"val\" })) or on a cross-validation score, and evaluate on test once, after tuning.";

export function isTestSplit(split: string): boolean {
  return split.trim().toLowerCase() === "test";
}

/** `--metric test.acc` (or any metric whose split is "test") is refused. */
export function assertNotTestMetric(metric: string | undefined): void {
  if (!metric) return;
  const { split } = parseMetric(metric);
  if (isTestSplit(split)) throw new TestDataError(`--metric ${metric} reads the objective from the test split. ${WHY}${INSTEAD}`);
}

export function testDataError(paths: string[], how: string): TestDataError {
  return new TestDataError(`The objective ${how} data declared as test (${paths.join(", ")}, via %version data --test). ${WHY}${INSTEAD}`);
}

/** "val.loss" → { split: "val", key: "loss" }; "loss" → { split: "", key: "loss" }. */
export function parseMetric(metric: string): { split: string; key: string } {
  const dot = metric.indexOf(".");
  return dot < 0 ? { split: "", key: metric } : { split: metric.slice(0, dot), key: metric.slice(dot + 1) };
}

/** Declared test paths that the cell body names literally (full path or file name). */
export function testPathsNamedIn(body: string, declaredTestPaths: string[]): string[] {
  return declaredTestPaths.filter((path) => {
    const fileName = path.split(/[\\/]/).pop() ?? path;
    return body.includes(path) || (fileName.length > 0 && body.includes(fileName));
  });
}
