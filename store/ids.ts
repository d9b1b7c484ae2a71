// Identifiers for runs, studies and trials: a 12-hex-digit millisecond time prefix (so ids sort by creation and a
// short prefix names a run) followed by 8 random hex digits (so ids from many processes and machines never collide).
import { randomBytes } from "node:crypto";

let lastMillis = 0;

/** A unique, time-ordered hex id, e.g. "0193a1b2c3d4e5f60718". Strictly increasing within one process. */
export function newId(now: number = Date.now()): string {
  // Two ids made in the same millisecond still sort in creation order inside this process.
  const millis = Math.max(Math.floor(now), lastMillis + 1);
  lastMillis = millis;
  return millis.toString(16).padStart(12, "0").slice(-12) + randomBytes(4).toString("hex");
}
