// The execution engine: runs cells (magics, then type-checked TypeScript), answers complete / inspect /
// is_complete, and stops cells on interrupt. The wire layer calls it only through the Engine interface.
// Start-up stays fast: TypeScript, the magic modules and the interrupt watchdog load in the background after
// createEngine returns; the first request that needs them waits for them.
import { inspect } from "node:util";
import { createMagicContext } from "../magics/context.js";
import { parseArguments, parseCell, selectCommand, usageOf, type MagicInvocation } from "../magics/parser.js";
import { loadMagicRegistry, type MagicRegistry } from "../magics/registry.js";
import type { CommandSpec, KernelServices, MagicResult, MagicSpec, ParsedArgs } from "../magics/types.js";
import { UsageError } from "../magics/types.js";
import { bundleForValue } from "./display.js";
import { completeMagic, inspectMagic, magicHelp } from "./engine/magic-help.js";
import {
  countingSink,
  currentCellScope,
  installOutputRouting,
  runInCellScope,
  uninstallOutputRouting,
  writeKernelLog,
  type CellScope,
} from "./engine/cell-scope.js";
import { CellError, compileError, reportError } from "./engine/errors.js";
import { InterruptController, InterruptedError } from "./engine/interrupt.js";
import { recordOutputs } from "./engine/output-record.js";
import { TypeScriptSession } from "./engine/session.js";
import { quickInfoText } from "./engine/typescript.js";
import { installNotebookGlobals, notebookDisplay } from "./globals.js";
import type {
  CellHooks,
  CompleteResult,
  Engine,
  EngineOptions,
  ExecuteOutcome,
  ExecuteRequest,
  InspectResult,
  JSONObject,
  MimeBundle,
  SessionInfo,
} from "./types.js";

export type { Engine, EngineOptions };
export { requestInterrupt, INTERRUPT_CHANNEL } from "./engine/interrupt.js";
export { writeKernelLog } from "./engine/cell-scope.js";

interface PlannedMagic {
  spec: MagicSpec;
  command: CommandSpec;
  args: ParsedArgs;
}

function magicResultBundle(result: MagicResult): MimeBundle {
  const bundle: MimeBundle = {
    "application/json": JSON.parse(JSON.stringify(result.data ?? null, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v))),
    "text/plain": result.text,
  };
  if (result.html !== undefined) bundle["text/html"] = result.html;
  return bundle;
}

function isMagicResult(value: unknown): value is MagicResult {
  return value !== null && typeof value === "object" && "data" in value && typeof (value as MagicResult).text === "string";
}

/** Extras for tests and embedders: magics registered beside the discovered ones. */
export interface EngineExtras {
  magics?: MagicSpec[];
}

/** How long the frontend must have sent nothing after a cell before the next cell's declarations are parsed. */
export const PREPARE_DECLARATIONS_AFTER_QUIET_MS = 20;

export function createEngine(options: EngineOptions, extras: EngineExtras = {}): Engine {
  installOutputRouting();
  installNotebookGlobals();
  const interrupts = new InterruptController();
  const typescript = new TypeScriptSession(options.projectDir);
  const hooks: CellHooks[] = [];
  const shutdownTasks: (() => Promise<void>)[] = [];
  const services: KernelServices = {
    projectDir: options.projectDir,
    kernelId: options.kernelId,
    notebookPath: options.notebookPath,
    comms: options.comms,
    addCellHooks: (h) => hooks.push(h),
    onShutdown: (task) => shutdownTasks.push(task),
    lastRequestAt: () => lastRequestAt,
  };
  let lastRequestAt = 0;
  let inFlight = 0;
  let prepareTimer: NodeJS.Timeout | undefined;
  /** Marks frontend activity (start and end of each request) for background work that should keep out of the way. */
  const active = <T>(work: Promise<T>): Promise<T> => {
    lastRequestAt = Date.now();
    clearTimeout(prepareTimer);
    inFlight++;
    return work.finally(() => {
      inFlight--;
      lastRequestAt = Date.now();
    });
  };
  let registryPromise: Promise<MagicRegistry> | undefined;
  const registry = (): Promise<MagicRegistry> => {
    registryPromise ??= loadMagicRegistry(services).then((loaded) => {
      for (const spec of extras.magics ?? []) loaded.register(spec);
      for (const problem of loaded.problems) writeKernelLog(`labnote: magic module ${problem.module}: ${problem.message}\n`);
      return loaded;
    });
    return registryPromise;
  };
  let closed = false;
  // Background warm-up, once the kernel has answered its first shell request: building the compiler blocks the thread.
  void (options.warmUpAfter ?? Promise.resolve()).then(() => {
    const warmUp = setTimeout(() => {
      if (closed) return;
      void registry();
      interrupts.startWatchdog();
      setImmediate(() => {
        if (!closed) typescript.prime();
      });
    }, 0);
    warmUp.unref();
  });

  const onUnhandledRejection = (reason: unknown): void => {
    reportStray("Unhandled promise rejection", reason);
  };
  const onUncaughtException = (error: unknown): void => {
    reportStray("Uncaught exception", error);
  };
  process.on("unhandledRejection", onUnhandledRejection);
  process.on("uncaughtException", onUncaughtException);

  function reportStray(what: string, reason: unknown): void {
    const text = `${what} (from code a cell left running): ${reason instanceof Error ? (reason.stack ?? reason.message) : inspect(reason)}\n`;
    const scope = currentCellScope();
    if (scope) scope.output.stream("stderr", text);
    else writeKernelLog(text);
  }

  async function runCode(
    scope: CellScope,
    code: string,
    run: {
      globals?: Record<string, unknown>;
      types?: Record<string, string>;
      persist: boolean;
      firstLine: number;
      interrupted: Promise<never>;
      signal: AbortSignal;
    },
  ): Promise<{ value: unknown; hasValue: boolean }> {
    const result = await typescript.run(code, {
      globals: run.globals,
      types: run.types,
      persist: run.persist,
      filename: `cell[${scope.executionCount}]`,
      firstLine: run.firstLine,
      interrupted: run.interrupted,
      signal: run.signal,
    });
    if (result.kind === "compile-error") throw compileError(result.diagnostics, result.source, run.firstLine);
    if (result.kind === "runtime-error") throw result.error;
    return { value: result.value, hasValue: result.hasValue };
  }

  function sessionInfo(scope: CellScope): SessionInfo {
    return {
      projectDir: options.projectDir,
      notebookPath: options.notebookPath,
      kernelId: options.kernelId,
      executionCount: scope.executionCount,
      cellCode: scope.code,
    };
  }

  /** Resolves every magic of the cell and parses its arguments before any runs: a usage error runs nothing. */
  function planMagics(magics: MagicRegistry, invocations: (MagicInvocation & { body?: string })[], isCell: boolean): PlannedMagic[] {
    return invocations.map((invocation) => {
      const spec = magics.get(invocation.name);
      if (!spec) {
        throw new CellError(
          "UnknownMagicError",
          `Unknown magic ${isCell ? "%%" : "%"}${invocation.name}. Run %lsmagic to list the magics available.`,
          [`UnknownMagicError: no magic named "${invocation.name}" is registered. Run %lsmagic to list the magics available.`],
        );
      }
      const { command, rest } = selectCommand(spec, isCell, invocation.args);
      try {
        return { spec, command, args: parseArguments(command, rest, invocation.body ?? "") };
      } catch (error) {
        if (error instanceof UsageError && error.usage === undefined) throw new UsageError(error.message, command.usage);
        throw error;
      }
    });
  }

  async function executeCell(request: ExecuteRequest, scope: CellScope, interrupted: Promise<never>, signal: AbortSignal): Promise<ExecuteOutcome> {
    const ok = (result?: MimeBundle): ExecuteOutcome => ({
      status: "ok",
      result: request.silent ? undefined : result,
      payload: scope.payload as JSONObject[],
      userExpressions: {},
    });
    const parsed = parseCell(request.code);
    const invocations = parsed.cellMagic ? [parsed.cellMagic] : parsed.lineMagics;
    const helpRequests = invocations.filter((m) => m.help);
    if (invocations.length > 0) {
      const magics = await registry();
      for (const help of helpRequests) {
        const spec = magics.get(help.name);
        if (!spec) throw new CellError("UnknownMagicError", `Unknown magic %${help.name}. Run %lsmagic to list the magics available.`, []);
        scope.payload.push({ source: "page", data: { "text/plain": magicHelp(spec) }, start: 0 });
      }
      const planned = planMagics(magics, invocations.filter((m) => !m.help), parsed.cellMagic !== undefined);
      const results: MimeBundle[] = [];
      const context = createMagicContext({
        session: sessionInfo(scope),
        display: notebookDisplay,
        output: scope.output,
        comms: options.comms,
        signal,
        scope: {
          runCode: async (code, run) => (await runCode(scope, code, { ...run, interrupted, signal })).value,
        },
        addPayload: (payload) => scope.payload.push(payload),
        ...(parsed.cellMagic ? { cellBody: { text: parsed.cellMagic.body, firstLine: parsed.cellMagic.line + 1 } } : {}),
      });
      for (const magic of planned) {
        const returned = await Promise.race([Promise.resolve(magic.command.run(magic.args, context)), interrupted]);
        if (isMagicResult(returned)) results.push(magicResultBundle(returned));
      }
      const hasCode = parsed.code.trim() !== "";
      // Earlier results are displays; the last one is the cell's result unless code follows.
      const shownAsDisplay = hasCode ? results : results.slice(0, -1);
      for (const bundle of shownAsDisplay) scope.output.displayData(bundle, {});
      if (!hasCode) return ok(results.at(-1));
    }
    const { value, hasValue } = await runCode(scope, parsed.code, { persist: true, firstLine: parsed.codeLine, interrupted, signal });
    return ok(hasValue ? bundleForValue(value) : undefined);
  }

  async function evaluateUserExpressions(
    scope: CellScope,
    expressions: Record<string, string>,
    interrupted: Promise<never>,
    signal: AbortSignal,
  ): Promise<Record<string, JSONObject>> {
    const answers: Record<string, JSONObject> = {};
    for (const [name, expression] of Object.entries(expressions)) {
      try {
        const { value } = await runCode(scope, `(\n${expression}\n)`, { persist: false, firstLine: -1, interrupted, signal });
        answers[name] = { status: "ok", data: bundleForValue(value) as JSONObject, metadata: {} };
      } catch (error) {
        const { ename, evalue, traceback } = reportError(error);
        answers[name] = { status: "error", ename, evalue, traceback };
      }
    }
    return answers;
  }

  function callHooks(call: (h: CellHooks) => void, scope: CellScope): void {
    for (const h of hooks) {
      try {
        call(h);
      } catch (error) {
        scope.output.stream("stderr", `⚠ labnote: a cell hook failed (${(error as Error).message}); the cell is not affected.\n`);
      }
    }
  }

  const engine: Engine = {
    async execute(request) {
      const summary = { streams: 0, displays: 0, errors: 0, mimeTypes: new Set<string>() };
      const recorder = recordOutputs(request.output);
      const scope: CellScope = {
        executionCount: request.executionCount,
        code: request.code,
        request,
        output: countingSink(recorder.sink, summary),
        summary,
        payload: [],
      };
      const startedAt = new Date();
      const { interrupted, signal } = interrupts.beginCell();
      // Magic modules' setup (e.g. %version's read observation) must be in place before the first cell's hooks.
      if (!request.silent) await registry().catch(() => undefined);
      return runInCellScope(scope, async () => {
        if (!request.silent) callHooks((h) => h.beforeCell?.({ code: request.code, executionCount: request.executionCount, startedAt }), scope);
        let outcome: ExecuteOutcome;
        try {
          outcome = await Promise.race([executeCell(request, scope, interrupted, signal), interrupted]);
          if (outcome.status === "ok" && Object.keys(request.userExpressions).length > 0) {
            outcome.userExpressions = await evaluateUserExpressions(scope, request.userExpressions, interrupted, signal);
          }
        } catch (error) {
          outcome = { status: "error", ...reportError(error instanceof InterruptedError ? new InterruptedError() : error) };
        } finally {
          interrupts.endCell();
        }
        if (outcome.status === "error") summary.errors++;
        if (!request.silent) {
          const resultText = outcome.status === "ok" ? outcome.result?.["text/plain"] : undefined;
          if (outcome.status === "ok" && outcome.result) for (const mime of Object.keys(outcome.result)) summary.mimeTypes.add(mime);
          callHooks(
            (h) =>
              h.afterCell?.({
                code: request.code,
                executionCount: request.executionCount,
                startedAt,
                durationMs: Date.now() - startedAt.getTime(),
                status: outcome.status === "ok" ? "ok" : "error",
                outputs: {
                  streams: summary.streams,
                  displays: summary.displays,
                  errors: summary.errors,
                  mimeTypes: [...summary.mimeTypes].sort(),
                  ...(typeof resultText === "string" ? { result: resultText.slice(0, 1000) } : {}),
                },
                ...(outcome.status === "error" ? { error: { ename: outcome.ename, evalue: outcome.evalue } } : {}),
                ...(request.cellId ? { cellId: request.cellId } : {}),
                outputList: recorder.finish(outcome.status === "ok" ? { ...(outcome.result ? { result: outcome.result } : {}), executionCount: request.executionCount } : outcome),
              }),
            scope,
          );
        }
        return outcome;
      });
    },

    async complete(code, cursorPos): Promise<CompleteResult> {
      const magicCompletion = completeMagic(code, cursorPos, registryPromise ? await registry() : undefined);
      if (magicCompletion) return magicCompletion;
      const parsed = safeParse(code);
      const offset = code.length - parsed.code.length;
      if (cursorPos < offset) return { matches: [], cursorStart: cursorPos, cursorEnd: cursorPos, metadata: {} };
      const info = typescript.complete(parsed.code, cursorPos - offset);
      return { matches: info.candidates, cursorStart: info.start + offset, cursorEnd: info.end + offset, metadata: {} };
    },

    async inspect(code, cursorPos): Promise<InspectResult> {
      const help = inspectMagic(code, cursorPos, await registry());
      if (help) return { found: true, data: { "text/plain": help }, metadata: {} };
      const parsed = safeParse(code);
      const offset = code.length - parsed.code.length;
      if (cursorPos < offset) return { found: false, data: {}, metadata: {} };
      const info = typescript.inspect(parsed.code, cursorPos - offset);
      if (!info) return { found: false, data: {}, metadata: {} };
      return { found: true, data: { "text/plain": quickInfoText(info) }, metadata: {} };
    },

    async isComplete(code) {
      let parsed;
      try {
        parsed = parseCell(code);
      } catch {
        return { status: "invalid" };
      }
      // A cell magic needs a body, and its body is code: complete when the body is.
      if (parsed.cellMagic) return parsed.cellMagic.body.trim() === "" ? { status: "incomplete", indent: "" } : typescript.isComplete(parsed.cellMagic.body);
      if (parsed.code.trim() === "") return { status: "complete" };
      return typescript.isComplete(parsed.code);
    },

    interrupt() {
      interrupts.interrupt();
    },

    addCellHooks(h) {
      hooks.push(h);
    },

    async shutdown() {
      closed = true;
      clearTimeout(prepareTimer);
      // Magic modules' last work (e.g. %version's pending snapshots), each failure logged, never blocking the rest.
      await Promise.all(shutdownTasks.map((task) => task().catch((error: unknown) => writeKernelLog(`labnote: shutdown task failed: ${String(error)}\n`))));
      interrupts.close();
      typescript.close();
      process.off("unhandledRejection", onUnhandledRejection);
      process.off("uncaughtException", onUncaughtException);
      uninstallOutputRouting();
    },
  };
  const base = { ...engine };
  // Once a cell's reply and idle have gone out and the frontend has been quiet a moment, the next cell's declarations
  // are parsed. Not at once: a client that sends its next request straight away (nbclient, Run All) would find the
  // thread busy with it, and on two cores the parse takes CPU from the client itself; any request cancels the wait.
  const prepareDeclarations = process.env.LABNOTE_PREPARE_DECLARATIONS !== "off";
  // Node measures a timer from the event loop's time, read when the loop turn began: a timer set at the end of a long
  // turn (a cell that ran for a while) fires that much early. The quiet time is counted from the execute's settlement.
  let settledAt = 0;
  const prepareNext = (): void => {
    if (closed || inFlight !== 0) return;
    const left = PREPARE_DECLARATIONS_AFTER_QUIET_MS - (performance.now() - settledAt);
    if (left > 0) prepareTimer = setTimeout(prepareNext, Math.ceil(left)).unref();
    else typescript.prepareNext();
  };
  engine.execute = (request) =>
    active(base.execute(request)).finally(() => {
      settledAt = performance.now();
      if (prepareDeclarations && inFlight === 0) prepareTimer = setTimeout(prepareNext, PREPARE_DECLARATIONS_AFTER_QUIET_MS).unref();
    });
  engine.complete = (code, cursorPos) => active(base.complete(code, cursorPos));
  engine.inspect = (code, cursorPos, detailLevel) => active(base.inspect(code, cursorPos, detailLevel));
  engine.isComplete = (code) => active(base.isComplete(code));
  return engine;
}

/** The code part of a cell for completion/inspection (magic lines cut off); never throws. */
function safeParse(code: string): { code: string } {
  try {
    const parsed = parseCell(code);
    // A cell magic's body is code too (%%track, %%tune): complete and inspect it as such.
    return { code: parsed.cellMagic ? parsed.cellMagic.body : parsed.code };
  } catch {
    return { code };
  }
}
