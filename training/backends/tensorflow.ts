// The libtensorflow rungs: @tensorflow/tfjs-node-gpu (CUDA) and @tensorflow/tfjs-node (CPU, oneDNN).
// Neither is a dependency (their install downloads libtensorflow); they are used when the user installed them.
import type { BackendRung, Tf } from "./types.js";
import { errorText } from "./types.js";

function tensorflowRung(packageName: string, label: string): BackendRung {
  return {
    backend: "tensorflow",
    label: `tensorflow (${packageName}${label})`,
    async prepare(tf: Tf): Promise<string> {
      try {
        // A variable specifier keeps bundlers and the type checker from requiring the optional package.
        const specifier: string = packageName;
        await import(specifier);
      } catch (error) {
        const text = errorText(error);
        if (/Cannot find (package|module)/.test(text)) throw new Error(`${packageName} is not installed`);
        throw new Error(`${packageName} did not load: ${text}`);
      }
      if (!tf.findBackendFactory("tensorflow")) {
        throw new Error(`${packageName} loaded but registered no "tensorflow" backend (a second copy of tfjs-core?)`);
      }
      return packageName;
    },
  };
}

export const tensorflowGpuRung = tensorflowRung("@tensorflow/tfjs-node-gpu", ", CUDA");
export const tensorflowCpuRung = tensorflowRung("@tensorflow/tfjs-node", "");
