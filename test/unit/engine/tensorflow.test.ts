// `tf` is a typed global loaded on first mention (through training/'s backend ladder when present).
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createHarness, resultText, type Harness } from "./harness.js";

let harness: Harness;

beforeAll(() => {
  harness = createHarness(mkdtempSync(join(tmpdir(), "labnote-tf-")));
});

afterAll(async () => {
  await harness.engine.shutdown();
});

it("loads TensorFlow.js when a cell mentions tf, typed", async () => {
  expect("tf" in globalThis).toBe(false);
  const run = await harness.run("const doubled = tf.tensor([1, 2, 3]).mul(2);\nArray.from(doubled.dataSync())");
  expect(resultText(run)).toBe("[ 2, 4, 6 ]");
  const typed = await harness.run("tf.tensor('not a shape', 5)");
  expect(typed.outcome).toMatchObject({ status: "error", ename: "TypeError" });
});
