// A tiny JavaScript engine behind the Engine interface, for exercising the wire layer without TypeScript:
// vm with breakOnSigint, console captured to the cell's OutputSink, last expression as text/plain.
import vm from "node:vm";
import { inspect } from "node:util";

export function createEngine(options) {
  let output;
  let interruptCell;
  const write = (name) => (...args) => output?.stream(name, args.map((a) => (typeof a === "string" ? a : inspect(a))).join(" ") + "\n");
  const context = vm.createContext({
    console: { log: write("stdout"), error: write("stderr") },
    setTimeout, Promise,
    display: { html: (html) => output?.displayData({ "text/html": html, "text/plain": html }) },
  });
  return {
    async execute(request) {
      output = request.output;
      context.input = (prompt) => request.input(prompt, false);
      try {
        const interrupted = new Promise((_, reject) => { interruptCell = () => reject(Object.assign(new Error("Interrupted"), { name: "Interrupted" })); });
        let value = vm.runInContext(request.code, context, { breakOnSigint: true });
        if (value && typeof value.then === "function") value = await Promise.race([value, interrupted]);
        return { status: "ok", result: value === undefined ? undefined : { "text/plain": inspect(value) }, payload: [], userExpressions: {} };
      } catch (error) {
        const e = error instanceof Error ? error : new Error(String(error));
        return { status: "error", ename: e.name, evalue: e.message, traceback: [String(e.stack)] };
      } finally {
        interruptCell = undefined;
      }
    },
    async complete(code, cursorPos) {
      const word = /[A-Za-z_$][\w$]*$/.exec(code.slice(0, cursorPos))?.[0] ?? "";
      const matches = Object.getOwnPropertyNames(context).filter((n) => n.startsWith(word));
      return { matches, cursorStart: cursorPos - word.length, cursorEnd: cursorPos, metadata: {} };
    },
    async inspect(code) {
      return { found: code in context, data: { "text/plain": String(code) }, metadata: {} };
    },
    async isComplete(code) {
      try { new vm.Script(code); return { status: "complete" }; } catch { return { status: "incomplete", indent: "  " }; }
    },
    interrupt() { interruptCell?.(); },
    addCellHooks() {},
    async shutdown() {},
  };
}
