// The --where language of `%track runs`: a small, safe expression language (no eval) over run records.
//   params.lr < 0.01 and val.acc > 0.9      name contains "mlp" or tags contains "baseline"      not status == "crashed"
// Paths: params.*, env.*, summary.* / metrics.*, name, status, id, tags, seed, notes; any other path is a final
// metric ("val.acc", "loss", "wall_time_s"). Missing values make comparisons false (and != true).
import type { RunRecord } from "../../store/types.js";

type Token = { kind: "number"; value: number } | { kind: "string"; value: string } | { kind: "word"; value: string } | { kind: "op"; value: string } | { kind: "paren"; value: "(" | ")" };

export type Expression =
  | { kind: "literal"; value: string | number | boolean | null }
  | { kind: "path"; path: string }
  | { kind: "not"; operand: Expression }
  | { kind: "and" | "or"; left: Expression; right: Expression }
  | { kind: "compare"; op: "<" | "<=" | ">" | ">=" | "==" | "!=" | "contains"; left: Expression; right: Expression };

export class QueryError extends Error {
  override readonly name = "QueryError";
}

const EXAMPLE = `e.g. --where "params.lr < 0.01 and val.acc > 0.9"`;

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const char = text[i];
    if (/\s/.test(char)) {
      i++;
      continue;
    }
    const rest = text.slice(i);
    const number = /^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?/.exec(rest);
    if (number && (char !== "-" || tokens.length === 0 || tokens[tokens.length - 1].kind === "op" || tokens[tokens.length - 1].kind === "paren" || isKeyword(tokens[tokens.length - 1]))) {
      tokens.push({ kind: "number", value: Number(number[0]) });
      i += number[0].length;
      continue;
    }
    const operator = /^(<=|>=|==|!=|&&|\|\||<|>|=|!)/.exec(rest);
    if (operator) {
      const value = operator[0] === "=" ? "==" : operator[0] === "&&" ? "and" : operator[0] === "||" ? "or" : operator[0] === "!" ? "not" : operator[0];
      tokens.push(value === "and" || value === "or" || value === "not" ? { kind: "word", value } : { kind: "op", value });
      i += operator[0].length;
      continue;
    }
    if (char === "(" || char === ")") {
      tokens.push({ kind: "paren", value: char });
      i++;
      continue;
    }
    if (char === '"' || char === "'") {
      const end = text.indexOf(char, i + 1);
      if (end < 0) throw new QueryError(`--where: the string starting at position ${i + 1} is not closed; add the closing ${char}.`);
      tokens.push({ kind: "string", value: text.slice(i + 1, end) });
      i = end + 1;
      continue;
    }
    const word = /^[A-Za-z_][A-Za-z0-9_\-]*(\.[A-Za-z0-9_\-]+)*/.exec(rest);
    if (word) {
      tokens.push({ kind: "word", value: word[0] });
      i += word[0].length;
      continue;
    }
    throw new QueryError(`--where: unexpected "${char}" at position ${i + 1}; use paths, numbers, "strings", comparisons (< <= > >= == != contains) and and/or/not, ${EXAMPLE}.`);
  }
  return tokens;
}

function isKeyword(token: Token): boolean {
  return token.kind === "word" && ["and", "or", "not", "contains"].includes(token.value);
}

export function parseQuery(text: string): Expression {
  const tokens = tokenize(text);
  let position = 0;
  const peek = (): Token | undefined => tokens[position];
  const isWord = (value: string): boolean => {
    const token = peek();
    return token !== undefined && token.kind === "word" && token.value.toLowerCase() === value;
  };
  const parseOr = (): Expression => {
    let left = parseAnd();
    while (isWord("or")) {
      position++;
      left = { kind: "or", left, right: parseAnd() };
    }
    return left;
  };
  const parseAnd = (): Expression => {
    let left = parseNot();
    while (isWord("and")) {
      position++;
      left = { kind: "and", left, right: parseNot() };
    }
    return left;
  };
  const parseNot = (): Expression => {
    if (isWord("not")) {
      position++;
      return { kind: "not", operand: parseNot() };
    }
    return parseComparison();
  };
  const parseComparison = (): Expression => {
    const left = parseValue();
    const token = peek();
    if (token?.kind === "op" || isWord("contains")) {
      position++;
      const op = (token!.kind === "op" ? token!.value : "contains") as "<" | "<=" | ">" | ">=" | "==" | "!=" | "contains";
      return { kind: "compare", op, left, right: parseValue() };
    }
    return left;
  };
  const parseValue = (): Expression => {
    const token = tokens[position++];
    if (token === undefined) throw new QueryError(`--where: the expression ends too early; complete it, ${EXAMPLE}.`);
    if (token.kind === "paren" && token.value === "(") {
      const inner = parseOr();
      const close = tokens[position++];
      if (close?.kind !== "paren" || close.value !== ")") throw new QueryError(`--where: a "(" is not closed; add ")".`);
      return inner;
    }
    if (token.kind === "number" || token.kind === "string") return { kind: "literal", value: token.value };
    if (token.kind === "word" && !isKeyword(token)) {
      if (token.value === "true" || token.value === "false") return { kind: "literal", value: token.value === "true" };
      if (token.value === "null") return { kind: "literal", value: null };
      return { kind: "path", path: token.value };
    }
    throw new QueryError(`--where: unexpected "${token.value}" at token ${position}; ${EXAMPLE}.`);
  };
  const expression = parseOr();
  if (position < tokens.length) throw new QueryError(`--where: unexpected "${String(tokens[position].value)}" after a complete expression; join conditions with and/or, ${EXAMPLE}.`);
  return expression;
}

/** An accessor for a path, split once (queries run over thousands of runs). */
export function pathAccessor(path: string): (run: RunRecord) => unknown {
  const [head, ...rest] = path.split(".");
  const tail = rest.join(".");
  if (rest.length === 0) {
    switch (head) {
      case "name":
      case "status":
      case "id":
      case "tags":
      case "seed":
      case "host":
      case "code":
      case "notebook":
        return (run) => run[head];
      case "study":
        return (run) => run.studyName;
      case "started":
        return (run) => run.startedAt;
      case "notes":
        return (run) => run.summary.notes;
    }
  }
  switch (head) {
    case "params":
      return (run) => run.params[tail];
    case "summary":
    case "metrics":
      return (run) => run.summary[tail];
    case "env":
      return (run) => rest.reduce<unknown>((value, key) => (value !== null && typeof value === "object" ? (value as Record<string, unknown>)[key] : undefined), run.env);
  }
  return (run) => run.summary[path];
}

/** The value a path names in a run record (undefined when absent). */
export function resolvePath(run: RunRecord, path: string): unknown {
  return pathAccessor(path)(run);
}

function compare(op: string, left: unknown, right: unknown): boolean {
  if (op === "contains") {
    if (Array.isArray(left)) return left.some((item) => String(item) === String(right));
    return typeof left === "string" && right !== undefined && right !== null && left.includes(String(right));
  }
  if (left === undefined || right === undefined) return op === "!=";
  let a = left;
  let b = right;
  if (typeof a === "number" && typeof b === "string" && b.trim() !== "" && Number.isFinite(Number(b))) b = Number(b);
  if (typeof b === "number" && typeof a === "string" && a.trim() !== "" && Number.isFinite(Number(a))) a = Number(a);
  if (op === "==") return a === b || (a !== null && b !== null && typeof a === "object" && JSON.stringify(a) === JSON.stringify(b));
  if (op === "!=") return !compare("==", a, b);
  if (typeof a !== typeof b || (typeof a !== "number" && typeof a !== "string")) return false;
  const x = a as number | string;
  const y = b as number | string;
  return op === "<" ? x < y : op === "<=" ? x <= y : op === ">" ? x > y : x >= y;
}

type Compiled = (run: RunRecord) => unknown;

function compile(expression: Expression): Compiled {
  switch (expression.kind) {
    case "literal": {
      const value = expression.value;
      return () => value;
    }
    case "path":
      return pathAccessor(expression.path);
    case "not": {
      const operand = compile(expression.operand);
      return (run) => !truthy(operand(run));
    }
    case "and": {
      const [left, right] = [compile(expression.left), compile(expression.right)];
      return (run) => truthy(left(run)) && truthy(right(run));
    }
    case "or": {
      const [left, right] = [compile(expression.left), compile(expression.right)];
      return (run) => truthy(left(run)) || truthy(right(run));
    }
    case "compare": {
      const left = compile(expression.left);
      let right = compile(expression.right);
      // `tags contains baseline`: a bare word that names nothing is the word itself.
      if (expression.op === "contains" && expression.right.kind === "path") {
        const word = expression.right.path;
        const named = right;
        right = (run) => named(run) ?? word;
      }
      const op = expression.op;
      return (run) => compare(op, left(run), right(run));
    }
  }
}

function truthy(value: unknown): boolean {
  return Array.isArray(value) ? value.length > 0 : Boolean(value);
}

/** A predicate over runs from --where text. */
export function compileQuery(text: string): (run: RunRecord) => boolean {
  const compiled = compile(parseQuery(text));
  return (run) => truthy(compiled(run));
}

/** Sorts runs by "[-]path" (descending with "-"); runs without the value go last. */
export function sortRuns(runs: RunRecord[], key: string): RunRecord[] {
  const descending = key.startsWith("-");
  const path = key.replace(/^[-+]/, "");
  const accessor = pathAccessor(path);
  const decorated = runs.map((run) => ({ run, value: accessor(run) }));
  decorated.sort((a, b) => {
    const aMissing = a.value === undefined || a.value === null || (typeof a.value === "number" && Number.isNaN(a.value));
    const bMissing = b.value === undefined || b.value === null || (typeof b.value === "number" && Number.isNaN(b.value));
    if (aMissing || bMissing) return aMissing === bMissing ? 0 : aMissing ? 1 : -1;
    const order = (a.value as number | string) < (b.value as number | string) ? -1 : (a.value as number | string) > (b.value as number | string) ? 1 : 0;
    return descending ? -order : order;
  });
  return decorated.map((entry) => entry.run);
}
