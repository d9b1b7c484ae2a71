// tslab converts every emitted cell from ESM to CommonJS with `ts.transpileModule`, which builds a whole
// throw-away program each time (~1–2 ms of a 3 ms `1 + 1` cell). The conversion is a pure function of its text
// and options, so re-run cells (and %timeit, %tune trials of one cell) reuse the answer. tslab reads
// `ts.transpileModule` through its own import of the module, whose properties cannot be redefined, so the
// module's cache entry is replaced by a forwarding copy before tslab's converter first loads it.

type Transpile = (input: string, options: { fileName?: string; compilerOptions?: object }) => { outputText: string };

/** Enough for a notebook's cells re-run many times; old entries go first. */
const MAX_ENTRIES = 512;

export interface TranspileCacheStats {
  hits: number;
  misses: number;
}

const stats: TranspileCacheStats = { hits: 0, misses: 0 };

export function transpileCacheStats(): Readonly<TranspileCacheStats> {
  return stats;
}

/** A transpileModule that answers repeated conversions from a bounded cache (the result object is copied). */
export function memoizeTranspile(transpile: Transpile): Transpile {
  const cache = new Map<string, string>();
  return (input, options) => {
    const key = `${options.fileName ?? ""}\u0000${JSON.stringify(options.compilerOptions ?? {})}\u0000${input}`;
    const cached = cache.get(key);
    if (cached !== undefined) {
      stats.hits++;
      // Most recently used last, so the oldest entry is the first one a full cache drops.
      cache.delete(key);
      cache.set(key, cached);
      return { outputText: cached };
    }
    stats.misses++;
    const result = transpile(input, options);
    cache.set(key, result.outputText);
    if (cache.size > MAX_ENTRIES) cache.delete(cache.keys().next().value as string);
    return result;
  };
}

/**
 * Makes `require(tsSpecifier)` (as seen by `converterPath`'s module) return a copy of TypeScript whose
 * transpileModule is memoised. Must run before the converter is first required; afterwards it does nothing.
 */
export function installTranspileCache(requireFrom: NodeJS.Require, tsSpecifier: string, converterPath: string): void {
  const converterFile = requireFrom.resolve(converterPath);
  if (requireFrom.cache[converterFile] !== undefined) return;
  const tsFile = requireFrom.resolve(tsSpecifier);
  const ts = requireFrom(tsSpecifier) as Record<string, unknown> & { transpileModule: Transpile };
  const entry = requireFrom.cache[tsFile];
  if (entry === undefined || (entry.exports as { __labnoteMemo?: boolean }).__labnoteMemo) return;
  const copy: Record<string, unknown> = {};
  for (const key of Object.keys(ts)) {
    Object.defineProperty(copy, key, { get: () => ts[key], enumerable: true, configurable: true });
  }
  const memoized = memoizeTranspile(ts.transpileModule.bind(ts));
  Object.defineProperty(copy, "transpileModule", { value: memoized, enumerable: true, configurable: true });
  Object.defineProperty(copy, "__labnoteMemo", { value: true, enumerable: false });
  entry.exports = copy;
}
