// %backend — which TensorFlow.js backend `tf` runs on and why; %backend NAME switches (tensorflow, webgpu, wasm, cpu).
// Light at import: the training module (and tfjs behind it) loads only when the magic runs.
import { MagicError, UsageError, type MagicResult, type MagicSpec, type ParsedArgs } from "../types.js";

const NAMES = ["tensorflow", "webgpu", "wasm", "cpu"] as const;
const USAGE = "%backend [tensorflow | webgpu | wasm | cpu]";

const HELP = `%backend — the TensorFlow.js backend \`tf\` runs on

  %backend          show the backend, why it was chosen, and why the ones above it were skipped
  %backend webgpu   switch (tensorflow, webgpu, wasm, cpu); tensors made before move over when next used

The kernel picks the first backend that initialises and passes a small matmul check, in this order:
@tensorflow/tfjs-node-gpu (CUDA, if installed), WebGPU through the webgpu package (Dawn, Vulkan on Linux),
@tensorflow/tfjs-node (if installed), WASM (SIMD), pure JavaScript. LABNOTE_BACKEND=NAME picks one at start.
If a backend breaks mid-session (e.g. the GPU device is lost), %backend says so; switch with %backend NAME —
your variables and other cells are kept.`;

interface BackendInfoData {
  name: string;
  reason: string;
  skipped: { name: string; why: string }[];
  failure?: string;
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function render(info: BackendInfoData, switchedFrom?: string): MagicResult {
  const lines = [`backend: ${info.name}`, info.reason];
  if (info.failure) lines.push(`FAILED: ${info.failure} — switch with %backend NAME (${NAMES.filter((n) => n !== info.name).join(", ")}).`);
  if (switchedFrom && switchedFrom !== info.name) lines.unshift(`switched from ${switchedFrom} to ${info.name}`);
  const rows = info.skipped.map((s) => `<tr><td>${escapeHtml(s.name)}</td><td>${escapeHtml(s.why)}</td></tr>`).join("");
  const html =
    `<div><b>tfjs backend: ${escapeHtml(info.name)}</b><br>${escapeHtml(info.reason)}` +
    (info.failure ? `<br><b style="color:#b00">failed: ${escapeHtml(info.failure)}</b>` : "") +
    (rows ? `<table><tr><th>skipped</th><th>why</th></tr>${rows}</table>` : "") +
    `</div>`;
  return { data: { ...info, ...(switchedFrom ? { switchedFrom } : {}) }, text: lines.join("\n"), html };
}

async function runBackend(args: ParsedArgs): Promise<MagicResult> {
  const wanted = args.rest.trim();
  const training = await import("../../training/index.js");
  if (wanted === "") {
    await training.loadTf();
    return render(training.backendInfo()!);
  }
  if (!training.isBackendName(wanted)) throw new UsageError(`unknown backend "${wanted}"; choose one of ${NAMES.join(", ")}`, USAGE);
  const before = training.backendInfo()?.name;
  try {
    const info = await training.switchBackend(wanted);
    return render(info, before);
  } catch (error) {
    throw new MagicError(error instanceof Error ? error.message : String(error));
  }
}

export const magics: MagicSpec[] = [
  {
    name: "backend",
    summary: "Show the TensorFlow.js backend and why; %backend NAME switches",
    help: HELP,
    line: { summary: "Show or switch the TensorFlow.js backend", usage: USAGE, rawArgs: true, run: runBackend },
  },
];
