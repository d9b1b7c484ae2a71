// Synthetic table pairs for the row-diff bench: a CSV of N rows (~100 bytes each) and a second one with rows
// removed, added and changed and one column drifted, so the diff has real work to find. Deterministic (seeded).
import { closeSync, openSync, writeSync } from "node:fs";

export interface TablePairChanges {
  removed: number;
  added: number;
  changed: number;
}

const CITIES = ["oslo", "rome", "paris", "lima", "kyoto", "cairo", "quito", "perth", "turin", "dakar"];
const SEGMENTS = ["retail", "enterprise", "public", "education"];

function rng(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 4294967296;
  };
}

function row(id: number, random: () => number, drift: number): string {
  const age = 18 + Math.floor(random() * 60);
  const income = (20000 + random() * 80000 * (1 + drift)).toFixed(2);
  const score = (random() + drift).toFixed(6);
  const city = CITIES[Math.floor(random() * CITIES.length)]!;
  const segment = SEGMENTS[Math.floor(random() * (drift > 0 ? 2 : SEGMENTS.length))]!;
  const label = random() < 0.3 + drift ? 1 : 0;
  return `${id},user-${(id * 2654435761) % 1000003},${age},${income},${score},${city},${segment},${label},2026-01-${String(1 + (id % 28)).padStart(2, "0")}T12:00:00Z,${segment} customer in ${city}\n`;
}

/** Writes before.csv and after.csv of `rows` rows; returns what the second one changed. */
export function writeTablePair(before: string, after: string, rows: number, seed = 7): TablePairChanges {
  const header = "id,user,age,income,score,city,segment,label,created,note\n";
  const a = openSync(before, "w");
  const b = openSync(after, "w");
  const randomA = rng(seed);
  const randomChange = rng(seed + 1);
  const changes: TablePairChanges = { removed: 0, added: 0, changed: 0 };
  let chunkA = header;
  let chunkB = header;
  for (let id = 1; id <= rows; id++) {
    const line = row(id, randomA, 0);
    chunkA += line;
    const roll = id % 200;
    // Every 200 rows: one removed, one changed (drifted values); one new row appended per 200 at the end.
    if (roll === 17) changes.removed++;
    else if (roll === 101) {
      chunkB += row(id, randomChange, 0.3);
      changes.changed++;
    } else chunkB += line;
    if (chunkA.length > 1 << 20) {
      writeSync(a, chunkA);
      writeSync(b, chunkB);
      chunkA = "";
      chunkB = "";
    }
  }
  for (let extra = 1; extra <= Math.floor(rows / 200); extra++) {
    chunkB += row(rows + extra, randomChange, 0.3);
    changes.added++;
  }
  writeSync(a, chunkA);
  writeSync(b, chunkB);
  closeSync(a);
  closeSync(b);
  return changes;
}
