// model.fit on real tfjs-backend-webgpu over Dawn's null backend (shaders compile, API calls are validated, nothing
// is computed): the user's unchanged fit call goes through trainLoop with the fused Adam and step capture, replays,
// raises no WebGPU validation error and leaks nothing; a model whose step cannot be replayed still trains through
// trainLoop and says why. The numbers are compared on a GPU by `npm run bench:gpu` (layers model.fit rows).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as tf from "@tensorflow/tfjs";
import { loadTf, setWebGpuSpeedups } from "../../../training/index.js";
import type { Tf } from "../../../training/index.js";
import { installFitFastPath, lastFitRoute } from "../../../training/fit-fast-path.js";
import { settle, startDawnNullWebgpu } from "../../helpers/dawn-null.js";

let errors: string[];
let detach: () => void;

beforeAll(async () => {
  process.env.XDG_RUNTIME_DIR ??= "/tmp";
  await loadTf(); // the ladder first (no GPU here: it settles elsewhere), then webgpu on Dawn's null backend
  ({ errors, detach } = await startDawnNullWebgpu());
  setWebGpuSpeedups(tf as unknown as Tf, { uniformArena: true, submitBatching: true, explicitTransposes: { a: false, b: true, tiled: true } });
  installFitFastPath(tf as unknown as Tf);
});
afterAll(() => {
  detach();
});

function classifier(extra: tf.layers.Layer[] = []) {
  const model = tf.sequential({ layers: [tf.layers.dense({ units: 16, activation: "relu", inputShape: [8] }), ...extra, tf.layers.dense({ units: 3, activation: "softmax" })] });
  model.compile({ optimizer: "adam", loss: "categoricalCrossentropy" });
  const x = tf.zeros([40, 8]); // batches of 16, 16 and a partial 8
  const y = tf.oneHot(tf.tensor1d(Array.from({ length: 40 }, (_, i) => i % 3), "int32"), 3).toFloat();
  return { model, x, y, dispose: () => (tf.dispose([x, y]), model.dispose()) };
}

describe("model.fit on webgpu (Dawn's null backend)", () => {
  it("replays the captured step with the fused Adam, keeps fit's History and validation, and leaks nothing", async () => {
    const { model, x, y, dispose } = classifier();
    await model.fit(x, y, { epochs: 1, batchSize: 16, verbose: 0 });
    const before = tf.memory().numTensors;
    const history = await model.fit(x, y, { epochs: 4, batchSize: 16, verbose: 0, validationSplit: 0.2 });
    expect(lastFitRoute()).toBe("trainLoop, capture replay");
    expect(history.epoch).toEqual([0, 1, 2, 3]);
    expect(history.history.loss).toHaveLength(4);
    expect(history.history.val_loss).toHaveLength(4);
    expect(tf.memory().numTensors).toBe(before);
    await settle();
    expect(errors).toEqual([]);
    dispose();
  });

  it("trains a model with dropout through trainLoop without capture, and says why", async () => {
    const { model, x, y, dispose } = classifier([tf.layers.dropout({ rate: 0.5 })]);
    const history = await model.fit(x, y, { epochs: 2, batchSize: 16, verbose: 0 });
    expect(lastFitRoute()).toMatch(/^trainLoop, capture off: layer dropout\S* \(Dropout\) draws random numbers/);
    expect(history.history.loss).toHaveLength(2);
    await settle();
    expect(errors).toEqual([]);
    dispose();
  });
});
