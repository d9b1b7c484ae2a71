// Help, completion and inspection for magic lines (`%tr|` → %track, `%track ru|` → runs, `%track --|` → options).
import { usageOf } from "../../magics/parser.js";
import type { MagicRegistry } from "../../magics/registry.js";
import type { CommandSpec, MagicSpec } from "../../magics/types.js";
import type { CompleteResult } from "../types.js";

function describeCommand(title: string, command: CommandSpec): string[] {
  const lines = [`${title}: ${command.summary}`, `  Usage: ${command.usage}`];
  for (const option of command.options ?? []) {
    const short = option.short ? `-${option.short}, ` : "";
    const extras = [
      option.choices ? `one of ${option.choices.join("|")}` : undefined,
      option.default !== undefined ? `default ${JSON.stringify(option.default)}` : undefined,
      option.required ? "required" : undefined,
    ].filter(Boolean);
    lines.push(`    ${short}--${option.name} (${option.type})  ${option.description}${extras.length ? ` [${extras.join("; ")}]` : ""}`);
  }
  for (const positional of command.positionals ?? []) {
    lines.push(`    ${positional.name}${positional.variadic ? " …" : ""}  ${positional.description}${positional.required ? " [required]" : ""}`);
  }
  return lines;
}

/** The pager text of `%name?`. */
export function magicHelp(spec: MagicSpec): string {
  const lines = [`%${spec.name} — ${spec.summary}`, "", spec.help.trim(), ""];
  if (spec.line) lines.push(...describeCommand(`%${spec.name}`, spec.line), "");
  if (spec.cell) lines.push(...describeCommand(`%%${spec.name}`, spec.cell), "");
  for (const [name, command] of Object.entries(spec.subcommands ?? {})) lines.push(...describeCommand(`%${spec.name} ${name}`, command), "");
  lines.push(`Usage: ${usageOf(spec)}`);
  return lines.join("\n");
}

function lineAt(code: string, cursorPos: number): { text: string; start: number } {
  const start = code.lastIndexOf("\n", cursorPos - 1) + 1;
  return { text: code.slice(start, cursorPos), start };
}

/** Completion on a magic line, or undefined when the cursor is in code. */
export function completeMagic(code: string, cursorPos: number, registry: MagicRegistry | undefined): CompleteResult | undefined {
  const { text, start } = lineAt(code, cursorPos);
  const head = /^\s*(%%?)([\w-]*)$/.exec(text);
  if (head) {
    const prefix = head[2];
    const matches = (registry?.list() ?? []).filter((s) => s.name.startsWith(prefix)).map((s) => `${head[1]}${s.name}`);
    const cursorStart = start + text.indexOf("%");
    return { matches, cursorStart, cursorEnd: cursorPos, metadata: {} };
  }
  const line = /^\s*(%%?)([\w-]+)\s+(.*)$/.exec(text);
  if (!line || !registry) return undefined;
  const spec = registry.get(line[2]);
  if (!spec) return { matches: [], cursorStart: cursorPos, cursorEnd: cursorPos, metadata: {} };
  const words = line[3].split(/\s+/);
  const word = words.at(-1) ?? "";
  const cursorStart = cursorPos - word.length;
  const subcommands = Object.keys(spec.subcommands ?? {});
  if (words.length === 1 && !word.startsWith("-") && subcommands.length > 0) {
    return { matches: subcommands.filter((s) => s.startsWith(word)), cursorStart, cursorEnd: cursorPos, metadata: {} };
  }
  const command = (words.length > 1 ? spec.subcommands?.[words[0]] : undefined) ?? (line[1] === "%%" ? spec.cell : spec.line);
  const options = (command?.options ?? []).map((o) => `--${o.name}`).filter((o) => o.startsWith(word));
  return { matches: word.startsWith("-") || word === "" ? options : [], cursorStart, cursorEnd: cursorPos, metadata: {} };
}

/** Inspect (shift-tab) on a magic line shows its help. */
export function inspectMagic(code: string, cursorPos: number, registry: MagicRegistry): string | undefined {
  const lineStart = code.lastIndexOf("\n", cursorPos - 1) + 1;
  const lineEnd = code.indexOf("\n", cursorPos);
  const line = code.slice(lineStart, lineEnd < 0 ? undefined : lineEnd);
  const match = /^\s*%%?([\w-]+)/.exec(line);
  if (!match) return undefined;
  const spec = registry.get(match[1]);
  return spec ? magicHelp(spec) : `No magic named %${match[1]}. Run %lsmagic to list the magics available.`;
}
