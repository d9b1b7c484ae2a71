// Encodes a parameter set as a point of the unit cube (numeric → [0,1], log-scaled for log parameters;
// choices → one-hot) and back, so model-based samplers can treat every search space the same way.
import { choiceIndex, fromUnit, toUnit, type Distribution, type ParamValue } from "../space.js";

export interface EncodedAxis {
  name: string;
  distribution: Distribution;
  /** First column of this parameter in the encoded vector. */
  offset: number;
  /** Columns used: 1 for numeric, the number of choices for a choice. */
  width: number;
}

export class SpaceEncoding {
  readonly axes: EncodedAxis[] = [];
  readonly dimension: number;
  /** False when every axis is a continuous float: then every point of the cube is already a real point. */
  readonly discrete: boolean;

  constructor(space: Record<string, Distribution>) {
    let offset = 0;
    for (const name of Object.keys(space).sort()) {
      const distribution = space[name]!;
      const width = distribution.type === "choice" ? distribution.choices.length : 1;
      this.axes.push({ name, distribution, offset, width });
      offset += width;
    }
    this.dimension = offset;
    this.discrete = this.axes.some((axis) => axis.distribution.type !== "float" || axis.distribution.step !== null);
  }

  encode(params: Record<string, ParamValue>, out: Float64Array<ArrayBufferLike> = new Float64Array(this.dimension)): Float64Array<ArrayBufferLike> {
    for (const axis of this.axes) {
      const value = params[axis.name]!;
      if (axis.distribution.type === "choice") {
        const index = choiceIndex(axis.distribution, value);
        for (let i = 0; i < axis.width; i++) out[axis.offset + i] = i === index ? 1 : 0;
      } else {
        out[axis.offset] = toUnit(axis.distribution, value as number);
      }
    }
    return out;
  }

  decode(point: Float64Array): Record<string, ParamValue> {
    const params: Record<string, ParamValue> = {};
    for (const axis of this.axes) {
      if (axis.distribution.type === "choice") {
        let best = 0;
        for (let i = 1; i < axis.width; i++) if (point[axis.offset + i]! > point[axis.offset + best]!) best = i;
        params[axis.name] = axis.distribution.choices[best]!;
      } else {
        params[axis.name] = fromUnit(axis.distribution, point[axis.offset]!);
      }
    }
    return params;
  }

  /** Snaps a point to what decode would return (rounded ints/steps, exact one-hot), so the model sees real points. */
  canonical(point: Float64Array<ArrayBufferLike>): Float64Array<ArrayBufferLike> {
    return this.discrete ? this.encode(this.decode(point), point) : point;
  }
}
