// Types the cell type-checker gives the kernel's globals. Kept apart from their implementation (kernel/globals.ts)
// so that declaring them pulls as few .d.ts files as possible into every cell's program.
export type { Display as NotebookDisplay } from "../../magics/types.js";
