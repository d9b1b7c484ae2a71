// Turning what went wrong into Jupyter's error triple (ename, evalue, traceback).
import { inspect } from "node:util";
import { UsageError } from "../../magics/types.js";
import { mapCellFrame } from "./line-map.js";
import type { Diagnostic } from "./typescript.js";

export interface ReportedError {
  ename: string;
  evalue: string;
  traceback: string[];
}

/** An error already shaped for the user (type errors of code a magic ran, interrupts): reported as is. */
export class CellError extends Error implements ReportedError {
  constructor(
    readonly ename: string,
    readonly evalue: string,
    readonly traceback: string[],
  ) {
    super(evalue);
    this.name = ename;
  }
}

/**
 * TypeScript diagnostics → one error. `firstLine` is the cell line where the checked source starts,
 * so line numbers are the cell's own (magic lines included).
 */
export function compileError(diagnostics: Diagnostic[], source: string, firstLine: number): CellError {
  const lines = source.split("\n");
  const syntax = diagnostics.every((d) => d.code < 2000);
  const described = diagnostics.map((d) => {
    const where = d.fileName ? `${d.fileName} line ${d.start.line + 1}` : `line ${d.start.line + 1 + firstLine}`;
    return { head: `${where}, column ${d.start.character + 1}: ${d.messageText} (TS${d.code})`, d };
  });
  const traceback: string[] = [];
  for (const { head, d } of described) {
    traceback.push(head);
    if (!d.fileName && lines[d.start.line] !== undefined) {
      traceback.push(`    ${lines[d.start.line]}`);
      const width = Math.max(1, (d.start.line === d.end.line ? d.end.character : lines[d.start.line].length) - d.start.character);
      traceback.push(`    ${" ".repeat(d.start.character)}${"^".repeat(width)}`);
    }
  }
  const more = described.length > 1 ? `\n(and ${described.length - 1} more: see the traceback)` : "";
  return new CellError(syntax ? "SyntaxError" : "TypeError", `${described[0].head}${more}`, traceback);
}

/** Stack frames worth showing: the cell's, and the user's own modules; not the engine's or Node's internals. */
function userFrames(stack: string): string[] {
  return stack
    .split("\n")
    .filter((line) => /^\s+at /.test(line))
    .filter((line) => !/node:internal|node:vm:|\/kernel\/engine\/|\/kernel\/engine\.|\/magics\/context\.|\/node_modules\/(tslab|vitest|@vitest|tsx)\//.test(line))
    // A function of an earlier cell is called through the notebook's exports proxy: "Proxy.f" is just "f".
    .map((line) => line.replace(/^(\s+at )Proxy\./, "$1"))
    .flatMap(mapCellFrame);
}

export function reportError(error: unknown): ReportedError {
  if (error instanceof CellError) return { ename: error.ename, evalue: error.evalue, traceback: error.traceback };
  if (error instanceof UsageError) {
    const evalue = error.usage ? `${error.message}\nUsage: ${error.usage}` : error.message;
    return { ename: "UsageError", evalue, traceback: [`UsageError: ${evalue}`] };
  }
  if (error instanceof Error && (error.name === "Interrupted" || error.name === "MagicError")) {
    return { ename: error.name, evalue: error.message, traceback: [`${error.name}: ${error.message}`] };
  }
  if (error instanceof Error) {
    const ename = error.name || "Error";
    const frames = error.stack ? userFrames(error.stack) : [];
    return { ename, evalue: error.message, traceback: [`${ename}: ${error.message}`, ...frames] };
  }
  // A thrown non-Error (throw "x", throw {…}): show it as it is.
  const text = inspect(error);
  return { ename: "Error", evalue: `Uncaught ${text}`, traceback: [`Uncaught ${text}`] };
}
