// Seeded randomness for datasets and trainLoop: a small PRNG (sfc32) and helpers, so an epoch's order depends only
// on (seed, epoch) and reproduces across runs and machines.

export type Random = () => number;

/** sfc32 seeded from one integer (splitmix32 expands it into the four words). */
export function seededRandom(seed: number): Random {
  let state = seed >>> 0;
  const splitmix = (): number => {
    state = (state + 0x9e3779b9) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
  let a = splitmix();
  let b = splitmix();
  let c = splitmix();
  let d = splitmix();
  return () => {
    const t = (((a + b) >>> 0) + d) >>> 0;
    d = (d + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) >>> 0;
    return t / 4294967296;
  };
}

/** The generator of one epoch: a different stream per epoch, the same for the same (seed, epoch). */
export function epochRandom(seed: number, epoch: number): Random {
  return seededRandom((Math.imul(seed >>> 0, 0x27d4eb2d) ^ Math.imul(epoch + 1, 0x165667b1)) >>> 0);
}

/** Fisher–Yates in place. */
export function shuffleInPlace<T>(items: T[] | Int32Array, random: Random): void {
  for (let index = items.length - 1; index > 0; index--) {
    const other = Math.floor(random() * (index + 1));
    const kept = items[index]!;
    items[index] = items[other]!;
    items[other] = kept;
  }
}

/** A permutation of 0…n-1. */
export function permutation(n: number, random: Random): Int32Array {
  const order = new Int32Array(n);
  for (let index = 0; index < n; index++) order[index] = index;
  shuffleInPlace(order, random);
  return order;
}

/**
 * A shuffle buffer over fixed-width float rows (as tf.data's shuffle(bufferSize)): rows enter; once it is full each
 * new row pushes out a uniformly chosen resident row. Memory is capacity × width floats, whatever the data size.
 */
export class RowShuffleBuffer {
  private readonly rows: Float32Array;
  private filled = 0;

  constructor(
    readonly capacity: number,
    readonly width: number,
    private readonly random: Random,
  ) {
    this.rows = new Float32Array(capacity * width);
  }

  /** Adds the row at `offset` of `source`; once full, first hands the row it replaces to `emit`. */
  push(source: Float32Array, offset: number, emit: (storage: Float32Array, offset: number) => void): void {
    const width = this.width;
    if (this.filled < this.capacity) {
      this.rows.set(source.subarray(offset, offset + width), this.filled * width);
      this.filled++;
      return;
    }
    const slot = Math.floor(this.random() * this.capacity) * width;
    emit(this.rows, slot);
    this.rows.set(source.subarray(offset, offset + width), slot);
  }

  /** Emits every resident row in random order and empties the buffer. */
  drain(emit: (storage: Float32Array, offset: number) => void): void {
    const width = this.width;
    for (let remaining = this.filled; remaining > 0; remaining--) {
      const pick = Math.floor(this.random() * remaining);
      emit(this.rows, pick * width);
      // Move the last resident row into the emitted slot.
      if (pick !== remaining - 1) this.rows.copyWithin(pick * width, (remaining - 1) * width, remaining * width);
    }
    this.filled = 0;
  }
}
