// run.watch(model, { probe: x }): the model probe of trainLoop (dead units per ReLU-family layer, weight norms) for
// model.fit / fitDataset users, every N logged steps. Loaded on first use, so tracking never loads tfjs itself.
import type * as tfTypes from "@tensorflow/tfjs";
import type { UnitProbe } from "../../training/unit-probe.js";

export type RecordDeadUnits = (shares: Record<string, number>, step: number) => void;

export class WatchProbe {
  private probe: UnitProbe | undefined;
  private lastStep = -Infinity;
  private reading = false;
  private readonly ready: Promise<void>;

  constructor(model: tfTypes.LayersModel, x: tfTypes.Tensor, private readonly everySteps: number, private readonly record: RecordDeadUnits, onError: (error: unknown) => void) {
    this.ready = (async () => {
      const [{ loadTf }, { createUnitProbe }] = await Promise.all([import("../../training/ladder.js"), import("../../training/unit-probe.js")]);
      this.probe = createUnitProbe(await loadTf(), model, x);
    })().catch(onError);
  }

  /** Probes when `everySteps` steps have passed since the last probe (one read at a time; never blocks the caller). */
  maybe(step: number, onError: (error: unknown) => void): void {
    if (!this.probe || this.reading || step - this.lastStep < this.everySteps) return;
    this.lastStep = step;
    this.reading = true;
    this.probe
      .read()
      .then((reading) => {
        const finite = Number.isFinite(reading.weightNorms.global ?? 0);
        if (finite && Object.keys(reading.deadUnits).length > 0) this.record(reading.deadUnits, step);
      })
      .catch(onError)
      .finally(() => (this.reading = false));
  }

  async dispose(): Promise<void> {
    await this.ready;
    this.probe?.dispose();
    this.probe = undefined;
  }
}
