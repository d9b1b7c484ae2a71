// The in-memory side of run.log: one growable columnar buffer per (split, key). Appending is a few typed-array
// writes — no per-call allocation — so the training loop never waits on tracking. `flushed` marks how far the
// background flush has written a series to the store; charts and detectors read the same buffers.

const INITIAL_CAPACITY = 1024;

/** Columns live in shared memory so a writer thread reads flushed ranges without any copy (they never change). */
function sharedColumn(length: number): Float64Array {
  return new Float64Array(new SharedArrayBuffer(length * Float64Array.BYTES_PER_ELEMENT));
}

export class MetricSeries {
  steps = sharedColumn(INITIAL_CAPACITY);
  values = sharedColumn(INITIAL_CAPACITY);
  wallTimes = sharedColumn(INITIAL_CAPACITY);
  length = 0;
  /** Points [0, flushed) are handed to the store. */
  flushed = 0;

  constructor(
    readonly key: string,
    readonly split: string,
  ) {}

  push(step: number, value: number, wallTime: number): void {
    if (this.length === this.steps.length) this.grow();
    const index = this.length++;
    this.steps[index] = step;
    this.values[index] = value;
    this.wallTimes[index] = wallTime;
  }

  get last(): number {
    return this.length > 0 ? this.values[this.length - 1] : NaN;
  }

  private grow(): void {
    const capacity = this.steps.length * 2;
    for (const column of ["steps", "values", "wallTimes"] as const) {
      const bigger = sharedColumn(capacity);
      bigger.set(this[column]);
      this[column] = bigger;
    }
  }
}

/** Splits name chart series and query paths (`val.acc`), so they must be short identifiers. */
const SPLIT_PATTERN = /^[A-Za-z_][A-Za-z0-9_-]*$/;

export class SeriesTable {
  readonly all: MetricSeries[] = [];
  /** Bumped on every new point's series creation or append batch; charts redraw only when it moved. */
  private readonly bySplit = new Map<string, Map<string, MetricSeries>>();
  private lastSplit: string | undefined;
  private lastSplitMap: Map<string, MetricSeries> | undefined;

  constructor(private readonly allowedSplits: readonly string[] | undefined) {}

  /** The series of one split by key; validates the split the first time it is seen. */
  forSplit(split: string): Map<string, MetricSeries> {
    if (split === this.lastSplit) return this.lastSplitMap!;
    let map = this.bySplit.get(split);
    if (map === undefined) {
      this.validateSplit(split);
      map = new Map();
      this.bySplit.set(split, map);
    }
    this.lastSplit = split;
    this.lastSplitMap = map;
    return map;
  }

  create(map: Map<string, MetricSeries>, key: string, split: string): MetricSeries {
    if (key === "" || key.includes(".")) {
      throw new Error(
        `run.log: metric name "${key}" cannot be used: names must be non-empty and contain no "." (a dot separates split and key, as in "val.acc"). ` +
          `Log { acc: 0.9 } with { split: "val" } instead of { "val.acc": 0.9 }.`,
      );
    }
    const series = new MetricSeries(key, split);
    map.set(key, series);
    this.all.push(series);
    return series;
  }

  get(split: string, key: string): MetricSeries | undefined {
    return this.bySplit.get(split)?.get(key);
  }

  private validateSplit(split: string): void {
    if (typeof split !== "string") {
      throw new Error(`run.log: split must be a string such as "train" or "val", got ${typeof split}.`);
    }
    if (split === "") return;
    if (!SPLIT_PATTERN.test(split)) {
      throw new Error(
        `run.log: split "${split}" is not allowed: a split is an identifier (letters, digits, "_" or "-", starting with a letter), ` +
          `e.g. "train", "val", "test". Rename it; nothing logged before was lost.`,
      );
    }
    if (this.allowedSplits && split !== "system" && !this.allowedSplits.includes(split)) {
      throw new Error(
        `run.log: unknown split "${split}": this run allows ${this.allowedSplits.map((s) => `"${s}"`).join(", ")}. ` +
          `Use one of them, or start the run with splits: [...] including "${split}". Nothing logged before was lost.`,
      );
    }
  }
}
