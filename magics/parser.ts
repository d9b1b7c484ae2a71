// How a cell is read, and how a magic's arguments are parsed against its CommandSpec.
//
// A cell is: an optional cell magic `%%name args` on its first line (the body is every line after it), else any
// number of line magics `%name args`, one per line, at the top of the cell (blank lines between them allowed),
// then TypeScript code. A `%` at the start of a line in that top block is always a magic: TypeScript's modulo
// operator is binary, so it never starts a statement, and a continuation line such as `a\n% b` can only follow
// code — it is never at the top of a cell. `%name?` / `%%name?` asks for the magic's help instead of running it.
//
// Arguments are split like a shell: whitespace separates, 'single quotes' are literal, "double quotes" and
// backslashes escape — except the value of an "expression" option, which is read as TypeScript (expression-scanner.ts)
// so `--preds [1, 0, 1]` needs no quotes. Options: `--name value`, `--name=value`, `-n value`, boolean flags `--flag`
// (`--no-flag` turns a default-true flag off), `--` ends the options.
import type { CommandSpec, MagicSpec, OptionSpec, OptionValue, ParsedArgs } from "./types.js";
import { UsageError } from "./types.js";
import { ExpressionScanError, scanExpression, unquoteShellQuoted, type ScannedExpression } from "./expression-scanner.js";

export interface MagicInvocation {
  name: string;
  /** The text after the name on the magic's line. */
  args: string;
  /** `%name?`: show help instead of running. */
  help: boolean;
  /** Zero-based line of the magic in the cell. */
  line: number;
}

export interface ParsedCell {
  cellMagic?: MagicInvocation & { body: string };
  lineMagics: MagicInvocation[];
  /** The TypeScript that follows the magics (the whole cell when there are none). */
  code: string;
  /** Zero-based line of the cell where `code` starts (to report type errors at the cell's own lines). */
  codeLine: number;
}

const MAGIC_LINE = /^\s*(%%?)([A-Za-z_][\w-]*)(\?{1,2})?(?:\s+([\s\S]*))?$/;

export function parseCell(source: string): ParsedCell {
  const lines = source.split("\n");
  let first = 0;
  while (first < lines.length && lines[first].trim() === "") first++;
  if (first < lines.length && /^\s*%%/.test(lines[first])) {
    const invocation = parseMagicLine(lines[first], first);
    if (invocation.cell) {
      const body = lines.slice(first + 1).join("\n");
      return { cellMagic: { ...invocation.magic, body }, lineMagics: [], code: "", codeLine: lines.length };
    }
  }
  const lineMagics: MagicInvocation[] = [];
  let index = 0;
  for (; index < lines.length; index++) {
    const line = lines[index];
    if (line.trim() === "") continue;
    if (!/^\s*%/.test(line)) break;
    const invocation = parseMagicLine(line, index);
    if (invocation.cell) {
      throw new UsageError(`%%${invocation.magic.name} is a cell magic: it must be on the first line of the cell, with the cell's body below it.`);
    }
    lineMagics.push(invocation.magic);
  }
  if (lineMagics.length === 0) return { lineMagics, code: source, codeLine: 0 };
  // Keep the code's own line numbers: blank lines stand in for the magic lines.
  return { lineMagics, code: lines.slice(index).join("\n"), codeLine: index };
}

function parseMagicLine(line: string, lineNumber: number): { cell: boolean; magic: MagicInvocation } {
  const match = MAGIC_LINE.exec(line);
  if (!match) {
    throw new UsageError(
      `Line ${lineNumber + 1} starts with "%" but is not a magic: a magic is %name (line) or %%name (cell). ` +
        "TypeScript's % (modulo) never starts a statement; write the expression on one line. Run %lsmagic to list magics.",
    );
  }
  const [, percent, name, question, rest] = match;
  return { cell: percent === "%%", magic: { name, args: (rest ?? "").trim(), help: question !== undefined, line: lineNumber } };
}

/** Splits an argument string like a POSIX shell (quotes and backslash escapes; no expansion). */
export function tokenize(text: string): string[] {
  const tokens: string[] = [];
  for (let word = readWord(text, 0); word; word = readWord(text, word.end)) tokens.push(word.word);
  return tokens;
}

/** The next shell word at or after `from` (and where it starts and ends), or undefined at the end of the text. */
function readWord(text: string, from: number): { word: string; start: number; end: number } | undefined {
  let i = from;
  while (i < text.length && /\s/.test(text[i])) i++;
  if (i >= text.length) return undefined;
  const start = i;
  let current = "";
  for (; i < text.length; i++) {
    const char = text[i];
    if (/\s/.test(char)) break;
    if (char === "\\") {
      if (i + 1 < text.length) current += text[++i];
      continue;
    }
    if (char === "'" || char === '"') {
      const close = findClosingQuote(text, i + 1, char);
      if (close < 0) throw new UsageError(`Unterminated ${char === "'" ? "single" : "double"} quote in: ${text}. Close the quote or escape it with \\.`);
      const inner = text.slice(i + 1, close);
      current += char === '"' ? inner.replace(/\\(["\\$`])/g, "$1") : inner;
      i = close;
      continue;
    }
    current += char;
  }
  return { word: current, start, end: i };
}

function findClosingQuote(text: string, from: number, quote: string): number {
  for (let i = from; i < text.length; i++) {
    if (quote === '"' && text[i] === "\\") {
      i++;
      continue;
    }
    if (text[i] === quote) return i;
  }
  return -1;
}

/** The command a magic invocation runs (line form, cell form, or a subcommand) and the argument text left. */
export function selectCommand(spec: MagicSpec, isCell: boolean, args: string): { command: CommandSpec; rest: string; subcommand?: string } {
  if (isCell) {
    if (!spec.cell) throw new UsageError(`%%${spec.name} is not a cell magic; use %${spec.name} on a line of its own.`, usageOf(spec));
    return { command: spec.cell, rest: args };
  }
  const subcommands = spec.subcommands ?? {};
  const word = /^\S+/.exec(args)?.[0];
  if (word !== undefined && Object.hasOwn(subcommands, word)) {
    return { command: subcommands[word], rest: args.slice(word.length).trim(), subcommand: word };
  }
  if (spec.line) return { command: spec.line, rest: args };
  const names = Object.keys(subcommands);
  if (names.length > 0) {
    const problem = word === undefined ? `%${spec.name} needs a subcommand` : `%${spec.name} has no subcommand "${word}"`;
    throw new UsageError(`${problem}; use one of: ${names.join(", ")}.`, usageOf(spec));
  }
  throw new UsageError(`%${spec.name} is a cell magic: write %%${spec.name} on the first line of a cell.`, usageOf(spec));
}

/** Every usage line of a magic (line, cell and subcommands). */
export function usageOf(spec: MagicSpec): string {
  const usages: string[] = [];
  if (spec.line) usages.push(spec.line.usage);
  if (spec.cell) usages.push(spec.cell.usage);
  for (const command of Object.values(spec.subcommands ?? {})) usages.push(command.usage);
  return usages.join("\n       ");
}

function convertValue(option: OptionSpec, raw: string, usage: string): string | number | boolean {
  const flag = `--${option.name}`;
  if (option.choices && !option.choices.includes(raw)) {
    throw new UsageError(`${flag} must be one of ${option.choices.join(", ")}; got "${raw}".`, usage);
  }
  switch (option.type) {
    case "number": {
      const value = Number(raw);
      if (raw.trim() === "" || !Number.isFinite(value)) throw new UsageError(`${flag} expects a number; got "${raw}".`, usage);
      return value;
    }
    case "integer": {
      const value = Number(raw);
      if (raw.trim() === "" || !Number.isInteger(value)) throw new UsageError(`${flag} expects a whole number; got "${raw}".`, usage);
      return value;
    }
    case "boolean": {
      if (/^(true|yes|1|on)$/i.test(raw)) return true;
      if (/^(false|no|0|off)$/i.test(raw)) return false;
      throw new UsageError(`${flag} is a flag (true or false); got "${raw}".`, usage);
    }
    default:
      return raw;
  }
}

/** A keyvalue value: numbers and booleans become typed, the rest stays text. */
function typedScalar(raw: string): string | number | boolean {
  if (raw === "true") return true;
  if (raw === "false") return false;
  if (raw.trim() !== "" && Number.isFinite(Number(raw))) return Number(raw);
  return raw;
}

/** Parses the argument text of one command. Throws UsageError (with the command's usage) on any problem. */
export function parseArguments(command: CommandSpec, rest: string, body = ""): ParsedArgs {
  const usage = command.usage;
  if (command.rawArgs) return { options: {}, positionals: {}, rest, body };
  const options: Record<string, OptionValue | undefined> = {};
  const positionalValues: string[] = [];
  const specs = command.options ?? [];
  const byName = new Map(specs.map((o) => [o.name, o]));
  const byShort = new Map(specs.filter((o) => o.short).map((o) => [o.short as string, o]));
  let cursor = 0;
  const nextWord = (): string | undefined => {
    const word = readWord(rest, cursor);
    if (word) cursor = word.end;
    return word?.word;
  };
  let optionsEnded = false;
  const assign = (option: OptionSpec, raw: string): void => {
    if (option.type === "keyvalue") {
      const equals = raw.indexOf("=");
      if (equals <= 0) throw new UsageError(`--${option.name} expects KEY=VALUE; got "${raw}".`, usage);
      const map = (options[option.name] as Record<string, string | number | boolean> | undefined) ?? {};
      map[raw.slice(0, equals)] = typedScalar(raw.slice(equals + 1));
      options[option.name] = map;
      return;
    }
    if (option.type === "list") {
      const items = raw.split(",").map((s) => s.trim()).filter((s) => s !== "");
      for (const item of items) convertValue({ ...option, type: "string" }, item, usage);
      options[option.name] = [...((options[option.name] as string[] | undefined) ?? []), ...items];
      return;
    }
    const value = convertValue(option, raw, usage);
    if (option.repeatable) {
      options[option.name] = [...((options[option.name] as (string | number)[] | undefined) ?? []), value] as string[] | number[];
    } else {
      if (options[option.name] !== undefined && option.type !== "boolean") {
        throw new UsageError(`--${option.name} was given twice; give it once.`, usage);
      }
      options[option.name] = value;
    }
  };
  for (let word = readWord(rest, cursor); word; word = readWord(rest, cursor)) {
    cursor = word.end;
    const token = word.word;
    if (!optionsEnded && token === "--") {
      optionsEnded = true;
      continue;
    }
    if (optionsEnded || !token.startsWith("-") || token === "-" || /^-\d/.test(token)) {
      positionalValues.push(token);
      continue;
    }
    let option: OptionSpec | undefined;
    let inlineValue: string | undefined;
    let negated = false;
    if (token.startsWith("--")) {
      const equals = token.indexOf("=");
      const name = token.slice(2, equals < 0 ? undefined : equals);
      inlineValue = equals < 0 ? undefined : token.slice(equals + 1);
      option = byName.get(name);
      if (!option && name.startsWith("no-")) {
        const positive = byName.get(name.slice(3));
        if (positive?.type === "boolean" && inlineValue === undefined) {
          option = positive;
          negated = true;
        }
      }
      if (!option) throw new UsageError(`Unknown option --${name}.${suggestOptions(specs)}`, usage);
    } else {
      option = byShort.get(token[1]);
      if (!option) throw new UsageError(`Unknown option -${token[1]}.${suggestOptions(specs)}`, usage);
      if (token.length > 2) inlineValue = token.slice(2);
    }
    if (option.type === "boolean") {
      options[option.name] = negated ? false : inlineValue === undefined ? true : convertValue(option, inlineValue, usage);
      continue;
    }
    if (option.type === "expression") {
      // Re-read the value from the raw text as TypeScript: it may hold spaces inside brackets, strings and templates.
      const written = rest.slice(word.start, word.end);
      const valueStart = inlineValue === undefined ? word.end : word.start + (written.startsWith("--") ? written.indexOf("=") + 1 : 2);
      const expression = readExpressionValue(option, rest, valueStart, usage);
      cursor = expression.end;
      assign(option, expression.expression);
      continue;
    }
    if (inlineValue === undefined) {
      inlineValue = nextWord();
      if (inlineValue === undefined) throw new UsageError(`--${option.name} needs a value (${option.description}).`, usage);
    }
    assign(option, inlineValue);
  }
  for (const option of specs) {
    if (options[option.name] === undefined && option.default !== undefined) options[option.name] = option.default;
    if (options[option.name] === undefined && option.required) {
      throw new UsageError(`--${option.name} is required (${option.description}).`, usage);
    }
  }
  const positionals: Record<string, string | string[] | undefined> = {};
  const positionalSpecs = command.positionals ?? [];
  let next = 0;
  for (const spec of positionalSpecs) {
    if (spec.variadic) {
      positionals[spec.name] = positionalValues.slice(next);
      next = positionalValues.length;
      if (spec.required && (positionals[spec.name] as string[]).length === 0) {
        throw new UsageError(`Missing ${spec.name} (${spec.description}).`, usage);
      }
      continue;
    }
    positionals[spec.name] = positionalValues[next];
    if (positionalValues[next] !== undefined) next++;
    else if (spec.required) throw new UsageError(`Missing ${spec.name} (${spec.description}).`, usage);
  }
  if (next < positionalValues.length) {
    throw new UsageError(`Unexpected argument "${positionalValues[next]}".`, usage);
  }
  return { options, positionals, rest, body };
}

/** The TypeScript expression given to an expression option, starting at `from` in the argument text. */
function readExpressionValue(option: OptionSpec, text: string, from: number, usage: string): ScannedExpression {
  if (/^\s*(?:--[A-Za-z]|$)/.test(text.slice(from))) throw new UsageError(`--${option.name} needs a value (${option.description}).`, usage);
  let scanned: ScannedExpression;
  try {
    scanned = scanExpression(text, from);
  } catch (error) {
    if (!(error instanceof ExpressionScanError)) throw error;
    throw new UsageError(`--${option.name} ${error.expression}: ${error.message} (--${option.name} takes a TypeScript expression.)`, usage);
  }
  return { expression: unquoteShellQuoted(scanned.expression), end: scanned.end };
}

function suggestOptions(specs: OptionSpec[]): string {
  if (specs.length === 0) return " This command takes no options.";
  return ` Options: ${specs.map((o) => `--${o.name}`).join(", ")}.`;
}
