#!/usr/bin/env bash
# Builds the GPU-machine bundle for `npm run bench:gpu` (the device has python3 + torch but no node, no npm).
#   .gpu-bundle/  bench.mjs (esbuild of bench/gpu.ts, webgpu external), node_modules/webgpu (linux-x64 only,
#                 dawn.node xz'd), wasm/*.wasm, gpu_pytorch.py, node.xz (xz of this machine's node)
#   .gl/          the Vulkan loader debs, fetched as /work/.library/device/README.md shows
# Run here from the repo root: bash scripts/gpu-bundle.sh   (then: bash scripts/gpu-bundle.sh --test runs it here)
# BUNDLE_ENTRY=bench/gpu-diag.ts bundles the capture diagnostic instead of the bench.
#
# The device command (carry [".gpu-bundle", ".gl"], timeout_s 420), one line:
#   for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig; export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json; xz -dc .gpu-bundle/node.xz > /tmp/node; chmod +x /tmp/node; bash .gpu-bundle/run.sh 2>&1 | tee $OUT/gpu-bench.log
# run.sh (written below) unpacks dawn.node, prints the GPU and the Vulkan loader it found, then runs the bench on
# webgpu with each of our fixes off/on (baseline, +submit batching, +uniform arena, +fused Adam, all fixes,
# +transposed B / A,B, +tiled matmul (after its on-GPU self-check), +step capture alone and with each), the 64×256
# matmul's self-checks (subgroup and shared variants), the large MLP's five matmuls on tfjs / tiled / subgroup /
# shared side by side, the captured step with and without the subgroup kernel, and PyTorch fp32 on the same MLPs,
# writing $OUT/gpu-bench.json; everything ends within ~5 minutes (estimate ~3.5).
# Without a GPU: npx vitest run test/unit/training/dawn-null.test.ts compiles every shader on Dawn's null backend.
set -euo pipefail
cd "$(dirname "$0")/.."
BUNDLE=.gpu-bundle
LIMIT=$((64 * 1024 * 1024))

if [ "${1:-}" = "--test" ]; then
  # The device command minus the Vulkan part: the webgpu rung must fail cleanly here and the rest must run.
  xz -dc "$BUNDLE/node.xz" > /tmp/labnote-bundle-node && chmod +x /tmp/labnote-bundle-node
  mkdir -p /tmp/labnote-bundle-out
  OUT=/tmp/labnote-bundle-out NODE=/tmp/labnote-bundle-node BENCH_ARGS="--backends=webgpu,wasm --shapes=small --seconds=1" bash "$BUNDLE/run.sh"
  exit 0
fi

rm -rf "$BUNDLE" && mkdir -p "$BUNDLE/wasm" "$BUNDLE/node_modules/webgpu/dist/linux-x64"

# 1. The bench as one ESM file. tfjs's CJS parts need `require`; %track is left out (trainLoop then logs nowhere).
node --input-type=module -e '
import { build } from "esbuild";
const skipTrack = { name: "skip-track", setup(b) { b.onResolve({ filter: /magics\/track\/index\.js$/ }, (a) => ({ path: a.path, external: true })); } };
await build({
  entryPoints: [process.env.BUNDLE_ENTRY ?? "bench/gpu.ts"], bundle: true, platform: "node", format: "esm", target: "node20",
  outfile: ".gpu-bundle/bench.mjs", external: ["webgpu", "@tensorflow/tfjs-node", "@tensorflow/tfjs-node-gpu"],
  plugins: [skipTrack], logLevel: "warning",
  banner: { js: [
    "import { createRequire as __labnoteCreateRequire } from \"module\";",
    "import { dirname as __labnoteDirname } from \"path\";",
    "import { fileURLToPath as __labnoteFileURLToPath } from \"url\";",
    "const require = __labnoteCreateRequire(import.meta.url);",
    "const __filename = __labnoteFileURLToPath(import.meta.url);",
    "const __dirname = __labnoteDirname(__filename);",
  ].join(" ") },
});'

# 2. Dawn for linux-x64 only (the other platforms are 110 MB we do not need), compressed.
cp node_modules/webgpu/package.json node_modules/webgpu/index.js "$BUNDLE/node_modules/webgpu/"
xz -T2 -6 -c node_modules/webgpu/dist/linux-x64/dawn.node > "$BUNDLE/node_modules/webgpu/dist/linux-x64/dawn.node.xz"

# 3. The wasm files (the ladder's wasm rung reads them from LABNOTE_WASM_DIR), the PyTorch twin, node itself.
cp node_modules/@tensorflow/tfjs-backend-wasm/dist/*.wasm "$BUNDLE/wasm/"
cp bench/gpu_pytorch.py "$BUNDLE/"
if [ -f /tmp/node.xz ] && [ /tmp/node.xz -nt "$(command -v node)" ] && [ "$(xz -dc /tmp/node.xz | head -c 4 | od -An -c | tr -d ' ')" = "177ELF" ]; then
  cp /tmp/node.xz "$BUNDLE/node.xz"
else
  xz -T2 -c "$(command -v node)" > "$BUNDLE/node.xz"
fi

# 4. The script the device command runs.
cat > "$BUNDLE/run.sh" <<'RUN'
#!/usr/bin/env bash
# Runs on the GPU machine from the repo root (or here with NODE/OUT set by scripts/gpu-bundle.sh --test).
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
NODE=${NODE:-/tmp/node}
OUT=${OUT:-/tmp}
DAWN=$HERE/node_modules/webgpu/dist/linux-x64/dawn.node
[ -f "$DAWN" ] || xz -dc "$DAWN.xz" > "$DAWN"
if [ -n "${VK_DRIVER_FILES:-}" ] && [ ! -f "$VK_DRIVER_FILES" ]; then
  echo "VK_DRIVER_FILES=$VK_DRIVER_FILES does not exist; letting the Vulkan loader search (ICDs: $(ls /usr/share/vulkan/icd.d /etc/vulkan/icd.d /usr/local/nvidia/share/vulkan/icd.d 2>/dev/null | tr '\n' ' '))"
  unset VK_DRIVER_FILES
fi
echo "node $($NODE --version); $(ldconfig -p | grep -c libvulkan) libvulkan entries; VK_DRIVER_FILES=${VK_DRIVER_FILES:-unset}"
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
cd "$HERE"
LABNOTE_WASM_DIR=$HERE/wasm LABNOTE_TORCH_SCRIPT=$HERE/gpu_pytorch.py PYTHONUNBUFFERED=1 \
  timeout 360 "$NODE" bench.mjs ${BENCH_ARGS:---backends=webgpu --pytorch --seconds=3} --json="$OUT/gpu-bench.json"
echo "bench exit status $?"
RUN
chmod +x "$BUNDLE/run.sh"

# 5. The Vulkan loader debs, exactly as the device README shows (libvulkan1 is what Dawn needs).
if [ ! -f .gl/.complete ]; then
  grep -qx '/.gl/' .git/info/exclude 2>/dev/null || echo /.gl/ >> .git/info/exclude
  mkdir -p .gl /tmp/amd64/partial
  o='-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=/tmp/amd64'
  apt-get $o update >/dev/null
  (cd .gl && apt-get $o download libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2 >/dev/null)
  touch .gl/.complete
fi

# 6. Size: the carried folders plus the rest of the working tree that travels must stay under 64 MiB.
carried=$(du -sb "$BUNDLE" .gl | awk '{ s += $1 } END { print s }')
tree=$(git ls-files -z --cached --others --exclude-standard | xargs -0 du -cb 2>/dev/null | tail -1 | cut -f1)
total=$((carried + tree))
echo "bundle: $(du -sh "$BUNDLE" | cut -f1) in $BUNDLE, $(du -sh .gl | cut -f1) in .gl; with the working tree $((total / 1048576)) MiB of 64 MiB"
du -sh "$BUNDLE"/* "$BUNDLE"/node_modules/webgpu/dist/linux-x64/* | sed 's/^/  /'
if [ "$total" -ge "$LIMIT" ]; then echo "too large for the device machine (64 MiB): trim the bundle" >&2; exit 1; fi
