// tslab hands each cell the declarations of all earlier cells as one text, and after every cell it prints that
// whole file again (remainingDecls: the earlier declarations minus the names the cell redeclared, through
// `ts.createPrinter().printFile`), ~0.5 ms at 40 declarations and ~1.8 ms at 300, growing with the notebook. Most of
// those statements are the very ones printed after the cell before. This printer answers printFile statement by
// statement from a memo keyed by what the printer reads of a statement: its kind, its text in the file (leading
// whitespace included) and, for a variable statement that tslab filtered, the names it kept. It is used only where
// that holds: no comment where the printer could read one (in or around a kept statement, before the first, after
// the last), no exports, module declarations or expression statements, and no statement whose nodes carry emit flags
// (an emit that set them changes how they print); imports (tslab rewrites their clauses) are printed afresh every
// time. Otherwise the file is printed whole, as before. printFile of a file of statements is them printed one by one,
// joined with line feeds, plus one at the end. LABNOTE_DECL_PRINT_MEMO=off turns it off;
// test/unit/engine/cell-swap.test.ts compares the two over notebooks of cells.

interface PrintNode {
  kind: number;
  pos: number;
  end: number;
  emitNode?: unknown;
  declarationList?: { declarations: readonly { name: { escapedText?: string; kind: number } }[] };
}

interface PrintSourceFile {
  text: string;
  statements: readonly PrintNode[];
}

interface Printer {
  printFile(file: PrintSourceFile): string;
  printNode(hint: number, node: PrintNode, file: PrintSourceFile): string;
}

export interface DeclarationPrintTypeScript {
  createPrinter(options?: { newLine?: number }, handlers?: unknown): Printer;
  forEachChild<T>(node: PrintNode, callback: (child: PrintNode) => T | undefined): T | undefined;
  SyntaxKind: Record<string, number>;
  EmitHint: { Unspecified: number };
  NewLineKind: { LineFeed: number };
}

export interface DeclarationPrintStats {
  /** printFile calls answered statement by statement. */
  files: number;
  /** Statements printed from the memo. */
  reused: number;
  /** Statements printed and added to the memo. */
  printed: number;
  /** printFile calls that took the printer's own path (comments, imports, emit flags). */
  fallbacks: number;
}

/** Entries kept; beyond it the memo starts over (a notebook's declarations are far fewer). */
const MAX_ENTRIES = 20_000;

export interface DeclarationPrintMemo {
  /** Runs `body` (a conversion) with printFile answered from this memo. */
  during<T>(body: () => T): T;
  readonly stats: Readonly<DeclarationPrintStats>;
}

let active: { memo: Map<string, string>; stats: DeclarationPrintStats } | undefined;
const installed = new WeakSet<object>();

function carriesEmitFlags(ts: DeclarationPrintTypeScript, node: PrintNode): boolean {
  if (node.emitNode !== undefined) return true;
  return ts.forEachChild(node, (child) => (carriesEmitFlags(ts, child) ? true : undefined)) === true;
}

/**
 * Makes `ts.createPrinter` (on tslab's forwarding copy of TypeScript, whose properties can be redefined) hand out a
 * printer whose printFile uses the memo of the conversion running (`during`), if any. Once per TypeScript object.
 */
function install(ts: DeclarationPrintTypeScript): void {
  if (installed.has(ts)) return;
  installed.add(ts);
  const createPrinter = ts.createPrinter;
  const importKinds = new Set(["ImportDeclaration", "ImportEqualsDeclaration"].map((name) => ts.SyntaxKind[name]!));
  const otherKinds = new Set(["ExportDeclaration", "ExportAssignment", "ModuleDeclaration", "ExpressionStatement"].map((name) => ts.SyntaxKind[name]!));
  const variableStatement = ts.SyntaxKind.VariableStatement!;
  const fast = (printer: Printer, file: PrintSourceFile, memo: Map<string, string>, stats: DeclarationPrintStats): string | undefined => {
    const { text, statements } = file;
    if (statements.length === 0) return undefined;
    // tslab dropped the statements of redeclared names from the list, not from the text. Comments the printer may read
    // outside the kept statements: before the first (the file's leading comments), after the last (the file's
    // trailing ones), and after each one on its line (its trailing comment).
    if (text.slice(0, statements[0]!.pos).includes("/") || text.slice(statements[statements.length - 1]!.end).includes("/")) return undefined;
    if (statements.some((statement) => otherKinds.has(statement.kind))) return undefined;
    const keys: (string | undefined)[] = [];
    for (const statement of statements) {
      if (statement.pos < 0 || statement.end < statement.pos || carriesEmitFlags(ts, statement)) return undefined;
      const lineEnd = text.indexOf("\n", statement.end);
      if (text.slice(statement.end, lineEnd < 0 ? text.length : lineEnd).includes("/")) return undefined;
      // tslab rewrote the import's clause to the names it keeps: printed as it is now, every time.
      const slice = text.slice(statement.pos, statement.end);
      if (importKinds.has(statement.kind)) {
        // A module specifier may hold a slash; comments around or in the statement may not.
        if (/\/[/*]/.test(slice.replace(/(["'])(?:(?!\1)[^\\\n]|\\.)*\1/g, '""'))) return undefined;
        keys.push(undefined);
        continue;
      }
      // No comments (nor anything with a slash): the printer reads comments around a statement from the file's text.
      if (slice.includes("/")) return undefined;
      let key = `${statement.kind}\u0000${slice}`;
      if (statement.kind === variableStatement) {
        const names = statement.declarationList?.declarations.map((declaration) => declaration.name.escapedText ?? `\u0001${declaration.name.kind}`);
        key += `\u0000${names?.join("\u0000") ?? "\u0001"}`;
      }
      keys.push(key);
    }
    if (memo.size > MAX_ENTRIES) memo.clear();
    const printed = statements.map((statement, index) => {
      const key = keys[index];
      if (key === undefined) return printer.printNode(ts.EmitHint.Unspecified, statement, file);
      const known = memo.get(key);
      if (known !== undefined) {
        stats.reused++;
        return known;
      }
      const output = printer.printNode(ts.EmitHint.Unspecified, statement, file);
      memo.set(key, output);
      stats.printed++;
      return output;
    });
    stats.files++;
    return `${printed.join("\n")}\n`;
  };
  Object.defineProperty(ts, "createPrinter", {
    value: (options?: { newLine?: number }, handlers?: unknown) => {
      const printer = createPrinter(options, handlers);
      const current = active;
      if (current === undefined || handlers !== undefined || options === undefined || Object.keys(options).length !== 1 || options.newLine !== ts.NewLineKind.LineFeed) return printer;
      const printFile = printer.printFile.bind(printer);
      return Object.assign(Object.create(printer) as Printer, {
        printFile: (file: PrintSourceFile) => {
          const answer = fast(printer, file, current.memo, current.stats);
          if (answer !== undefined) return answer;
          current.stats.fallbacks++;
          return printFile(file);
        },
      });
    },
    enumerable: true,
    configurable: true,
  });
}

/** A memo for one compiler; `ts` is tslab's forwarding copy of TypeScript. */
export function createDeclarationPrintMemo(ts: DeclarationPrintTypeScript): DeclarationPrintMemo {
  install(ts);
  const own = { memo: new Map<string, string>(), stats: { files: 0, reused: 0, printed: 0, fallbacks: 0 } };
  return {
    during(body) {
      const outer = active;
      active = own;
      try {
        return body();
      } finally {
        active = outer;
      }
    },
    get stats() {
      return own.stats;
    },
  };
}
