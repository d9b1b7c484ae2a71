// The last rung: tfjs's pure-JavaScript backend, always present, slow.
import type { BackendRung } from "./types.js";

export const cpuRung: BackendRung = {
  backend: "cpu",
  label: "cpu (pure JavaScript)",
  async prepare(): Promise<string> {
    return "pure JavaScript, single thread";
  },
};
