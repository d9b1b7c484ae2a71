// `labnote` command line: install/uninstall the kernelspec, run the kernel. bin/labnote.js calls main().
import { DEFAULT_KERNELSPEC, installKernelspec, type InstallLocation, uninstallKernelspec } from "./kernelspec.js";

const HELP = `labnote: a Jupyter kernel for TypeScript machine-learning experiments

Usage:
  labnote install [--user | --sys-prefix | --prefix PATH] [--name NAME] [--display-name TEXT]
                  [--interrupt-mode signal|message]
      Install the kernelspec (default: --user, name "labnote", display name "TypeScript (labnote)").
  labnote uninstall [--user | --sys-prefix | --prefix PATH] [--name NAME]
      Remove the kernelspec.
  labnote kernel -f CONNECTION_FILE
      Run the kernel (Jupyter does this through the kernelspec).
  labnote worker NOTEBOOK --study NAME [--trials N] [--store URL] [--local]
      Run the notebook headless up to its %%tune cell for study NAME, as one more worker on that shared study
      (PostgreSQL for workers on several machines; --local allows SQLite for workers on this machine only).
  labnote ui [--store LOCATION] [--port N] [--host H] [--token T] [--allow-delete]
      Serve the dashboard (runs, curves, compare, studies, versions) over the store; prints the URL to open.
  labnote repro V [--remote URL] [--data DIR] [--tolerance T] [--backend NAME] [--timeout S] [--notebook NAME] [--json]
      Re-execute version V headless in a fresh kernel and compare it with what V recorded (see %version repro).
  labnote export NOTEBOOK [--out FILE]
      Write the executed notebook as one self-contained HTML file, charts interactive (vega-embed inlined, no network).
  labnote --help

Then: jupyter lab, or jupyter console --kernel labnote, or jupyter nbconvert --execute --to notebook x.ipynb`;

class CliError extends Error {}

interface ParsedFlags {
  location: InstallLocation;
  name: string;
  displayName: string;
  interruptMode: "signal" | "message";
}

function parseFlags(args: string[]): ParsedFlags {
  const flags: ParsedFlags = { location: { kind: "user" }, ...DEFAULT_KERNELSPEC };
  const value = (index: number, flag: string): string => {
    const next = args[index + 1];
    if (next === undefined || next.startsWith("--")) throw new CliError(`${flag} needs a value.`);
    return next;
  };
  for (let index = 0; index < args.length; index++) {
    const arg = args[index]!;
    const [flag, inline] = arg.includes("=") ? (arg.split(/=(.*)/s, 2) as [string, string]) : [arg, undefined];
    const take = (): string => inline ?? value(index++, flag);
    switch (flag) {
      case "--user":
        flags.location = { kind: "user" };
        break;
      case "--sys-prefix":
        flags.location = { kind: "sys-prefix" };
        break;
      case "--prefix":
        flags.location = { kind: "prefix", prefix: take() };
        break;
      case "--name":
        flags.name = take();
        break;
      case "--display-name":
        flags.displayName = take();
        break;
      case "--interrupt-mode": {
        const mode = take();
        if (mode !== "signal" && mode !== "message") throw new CliError(`--interrupt-mode must be "signal" or "message", not "${mode}".`);
        flags.interruptMode = mode;
        break;
      }
      default:
        throw new CliError(`Unknown option "${arg}".`);
    }
  }
  if (!/^[a-zA-Z0-9._-]+$/.test(flags.name)) throw new CliError(`--name "${flags.name}" is not a valid kernelspec name: use letters, digits, ".", "_" or "-".`);
  return flags;
}

function connectionFileFrom(args: string[]): string {
  const index = args.findIndex((arg) => arg === "-f" || arg === "--connection-file");
  const inline = args.find((arg) => arg.startsWith("--connection-file=") || arg.startsWith("-f="));
  const file = inline ? inline.slice(inline.indexOf("=") + 1) : index >= 0 ? args[index + 1] : undefined;
  if (!file) throw new CliError("labnote kernel needs the connection file: labnote kernel -f CONNECTION_FILE (Jupyter passes it).");
  return file;
}

export async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case "kernel": {
        const { runKernel } = await import("./main.js");
        return await runKernel(connectionFileFrom(rest));
      }
      case "worker": {
        const { runWorker, WorkerUsageError, WORKER_USAGE } = await import("../magics/tune/worker-cli.js");
        try {
          process.exitCode = await runWorker(rest);
        } catch (error) {
          if (!(error instanceof WorkerUsageError)) throw error;
          console.error(`labnote worker: ${error.message}\n\nUsage: ${WORKER_USAGE}`);
          process.exitCode = 2;
        }
        // The engine's timers and tfjs may hold the event loop: a finished worker ends here.
        setTimeout(() => process.exit(), 200).unref();
        return;
      }
      case "ui": {
        const { runUiCommand, UiUsageError, UI_USAGE } = await import("../ui/server/cli.js");
        try {
          return await runUiCommand(rest);
        } catch (error) {
          if (!(error instanceof UiUsageError)) throw error;
          console.error(`labnote ui: ${error.message}\n\n${UI_USAGE}`);
          process.exitCode = 2;
          return;
        }
      }
      case "repro": {
        const { reproCli } = await import("../magics/version/repro/cli.js");
        process.exitCode = await reproCli(rest);
        return;
      }
      case "export": {
        const { runExportCommand, ExportUsageError, EXPORT_USAGE } = await import("./export/command.js");
        try {
          process.exitCode = await runExportCommand(rest);
        } catch (error) {
          if (!(error instanceof ExportUsageError)) throw error;
          console.error(`labnote export: ${error.message}\n\nUsage: ${EXPORT_USAGE}`);
          process.exitCode = 2;
        }
        return;
      }
      case "install": {
        const flags = parseFlags(rest);
        const directory = installKernelspec(flags);
        console.log(`Installed kernelspec "${flags.name}" (${flags.displayName}, interrupt_mode ${flags.interruptMode}) in ${directory}`);
        return;
      }
      case "uninstall": {
        const flags = parseFlags(rest);
        const removed = uninstallKernelspec(flags.location, flags.name);
        console.log(removed ? `Removed kernelspec "${flags.name}" from ${removed}` : `Kernelspec "${flags.name}" was not installed there; nothing removed.`);
        return;
      }
      case undefined:
      case "help":
      case "--help":
      case "-h":
        console.log(HELP);
        return;
      default:
        throw new CliError(`Unknown command "${command}".`);
    }
  } catch (error) {
    if (!(error instanceof CliError)) throw error;
    console.error(`labnote: ${error.message}\n\n${HELP}`);
    process.exitCode = 2;
  }
}
