// A fresh cell without building a new program and type checker. Each changed cell used to cost a new TypeScript
// program (checking ~160 library and @types files for reuse) and a new type checker (merging their globals): ~8 ms of
// a ~15 ms cell. But a cell and the declarations of earlier cells are modules (tslab prefixes both with `export {};`)
// that add nothing to the global scope: when neither imports anything nor augments a module or the globals, the
// program built for an earlier cell has every other file the new one would have, and its checker the same globals.
// So the new cell and declarations are parsed and bound on their own and put in place of the old ones in a view of
// that program ("base"), whose checker then checks them: TypeScript 5.0's checker resolves a name by walking up from
// the node (tslab hangs the cell under the declarations file), not through the program's file list.
//
// What the base's checker keeps between cells, and why it does not leak into a later cell's verdict:
// - its diagnostics per file name, which would mix an earlier cell's errors into this one and, worse, drop an error
//   equal to one an earlier cell had (the collection keeps one of equal diagnostics): cleared for the cell's file
//   name before each swap (`clearCellDiagnostics`);
// - the program's per-file diagnostic caches, keyed by path: each swapped file gets a path of its own;
// - types and links of old nodes and symbols: keyed by their ids, never reached from new ones.
// Anything unusual takes the full path: imports in the cell, imports in the declarations other than exactly the
// base's (after a cell imported something, its import stays in the declarations, and later cells swap again once a
// full build has made a base with it), module or global declarations, triple-slash references, a change of root files
// or options, a watched file or directory that changed, a base whose own cell or declarations were unusual. The base is rebuilt after MAX_SWAPS cells (what it keeps per cell is freed).
// test/unit/engine/cell-swap.test.ts compares this path with the full one over many cells.

/** Swapped cells before the base program is rebuilt from scratch (its checker keeps a little of each cell). */
const MAX_SWAPS = 200;

export interface SwapSourceFile {
  fileName: string;
  path: string;
  resolvedPath: string;
  originalFileName: string;
  text: string;
  version?: string;
  languageVersion: number;
  impliedNodeFormat?: number;
  packageJsonLocations?: readonly string[];
  packageJsonScope?: unknown;
  isDeclarationFile: boolean;
  hasNoDefaultLib: boolean;
  flags: number;
  statements: readonly SwapStatement[];
  referencedFiles: readonly unknown[];
  typeReferenceDirectives: readonly unknown[];
  libReferenceDirectives: readonly unknown[];
  imports?: readonly { text: string }[];
  resolvedModules?: unknown;
  moduleAugmentations?: readonly unknown[];
  ambientModuleNames?: readonly string[];
  parent?: unknown;
}

interface SwapStatement {
  kind: number;
  moduleSpecifier?: { kind: number; text?: string };
  moduleReference?: { kind: number; expression?: { kind: number; text?: string } };
}

export interface SwapProgram {
  getRootFileNames(): readonly string[];
  getCompilerOptions(): object;
  getSourceFiles(): readonly SwapSourceFile[];
  getSourceFile(fileName: string): SwapSourceFile | undefined;
  getSourceFileByPath(path: string): SwapSourceFile | undefined;
  getTypeChecker(): { getDiagnostics(file: SwapSourceFile): readonly unknown[] };
}

export interface SwapTypeScript {
  createSourceFile(fileName: string, text: string, options: object, setParentNodes?: boolean): SwapSourceFile;
  bindSourceFile(file: SwapSourceFile, options: object): void;
  getSetExternalModuleIndicator(options: object): (file: SwapSourceFile) => void;
  SyntaxKind: Record<string, number>;
}

interface CompilerHostLike {
  readFile(fileName: string): string | undefined;
}

const CELL_FILE = "__tslab__.ts";
const DECLARATIONS_FILE = "__prev__.d.ts";
/** NodeFlags.PossiblyContainsDynamicImport (TypeScript 5.0): an `import(…)` somewhere in the file. */
const POSSIBLY_CONTAINS_DYNAMIC_IMPORT = 1 << 21;
/** Words that may bring in files or declarations beyond the file itself (checked on the text, before parsing). */
const MAY_REACH_OUT = /\bimport\b|\/\/\/|\bdeclare\s+(global|module|namespace)\b/;
/**
 * The same for the declarations of earlier cells, which may keep static imports (a cell imported something): those
 * are allowed when they are the very imports the base's declarations had (see `parse`); import types, dynamic imports
 * and requires are not.
 */
const DECLARATIONS_MAY_REACH_OUT = /\bimport\s*\(|\brequire\s*\(|\/\/\/|\bdeclare\s+(global|module|namespace)\b/;

function baseName(path: string): string {
  return path.slice(Math.max(path.lastIndexOf("/"), path.lastIndexOf("\\")) + 1);
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((item, index) => item === b[index]);
}

export interface CellSwapStats {
  swaps: number;
  fullBuilds: number;
  /** Swaps that found their declarations parsed ahead of time (prepareDeclarations). */
  preparedDeclarations: number;
  /** Swaps made without TypeScript's watch program (watch-host.ts, `fire`). */
  directSwaps: number;
}

export interface CellSwapper {
  /** A view of the base program with this cell and these declarations in, or undefined: build the program in full. */
  trySwap(rootNames: readonly string[] | undefined, options: object, host: CompilerHostLike): SwapProgram | undefined;
  /**
   * Parses and binds the declarations file's next text now (between cells, after a reply), so that the next swap
   * with exactly this text takes it instead of parsing it then. Does nothing without a base, or when the text is the
   * one the last swap used. A base that changes drops it.
   */
  prepareDeclarations(text: string): void;
  /** The program the full path built: the next base, when its own cell and declarations are ordinary. */
  setBase(program: SwapProgram): void;
  /** A watched file or directory changed, or anything else the base does not know about. */
  invalidate(): void;
  /** From now on every program is built in full. */
  disable(): void;
  /** Counts a swap the watch host made without TypeScript's watch program. */
  noteDirectSwap(): void;
  readonly stats: Readonly<CellSwapStats>;
}

export function createCellSwapper(ts: SwapTypeScript): CellSwapper {
  const disallowed = new Set(
    ["ImportDeclaration", "ImportEqualsDeclaration", "ModuleDeclaration", "ExportAssignment", "NamespaceExportDeclaration"].map((name) => ts.SyntaxKind[name]!),
  );
  const exportDeclaration = ts.SyntaxKind.ExportDeclaration!;
  const importDeclaration = ts.SyntaxKind.ImportDeclaration!;
  const importEquals = ts.SyntaxKind.ImportEqualsDeclaration!;
  const externalModuleReference = ts.SyntaxKind.ExternalModuleReference!;
  const stringLiteral = ts.SyntaxKind.StringLiteral!;
  let base: SwapProgram | undefined;
  /**
   * The declarations file the last cell was checked with. Kept while its text stays, as the watch host keeps its
   * parse: printing the declarations for the next cell (tslab's remainingDecls) shows what earlier emits marked on
   * its nodes (a one-line tuple stays on one line), and the full path prints the very same.
   */
  let lastDeclarations: SwapSourceFile | undefined;
  /** The declarations parsed ahead of time from the base's declarations file (dropped whenever the base changes). */
  let prepared: SwapSourceFile | undefined;
  let swapsOnBase = 0;
  let serial = 0;
  let disabled = false;
  const stats: CellSwapStats = { swaps: 0, fullBuilds: 0, preparedDeclarations: 0, directSwaps: 0 };

  /** A static `import … from "x"` or `import x = require("x")` statement, as the specifier; undefined for others. */
  const staticImport = (statement: SwapStatement): string | undefined => {
    if (statement.kind === importDeclaration && statement.moduleSpecifier?.kind === stringLiteral) return statement.moduleSpecifier.text;
    const reference = statement.moduleReference;
    if (statement.kind === importEquals && reference?.kind === externalModuleReference && reference.expression?.kind === stringLiteral) return reference.expression.text;
    return undefined;
  };

  /**
   * A file that reaches nothing outside itself: no imports, module or global declarations, or references. With
   * `staticImportsAllowed` (the declarations of earlier cells), static import statements are let through: the
   * caller compares them with the base's.
   */
  const isSelfContained = (file: SwapSourceFile, staticImportsAllowed = false): boolean =>
    file.referencedFiles.length === 0 &&
    file.typeReferenceDirectives.length === 0 &&
    file.libReferenceDirectives.length === 0 &&
    !file.hasNoDefaultLib &&
    (file.flags & POSSIBLY_CONTAINS_DYNAMIC_IMPORT) === 0 &&
    !file.statements.some(
      (statement) =>
        !(staticImportsAllowed && staticImport(statement) !== undefined) &&
        (disallowed.has(statement.kind) || (statement.kind === exportDeclaration && statement.moduleSpecifier !== undefined)),
    ) &&
    (staticImportsAllowed || file.imports === undefined || file.imports.length === 0) &&
    (file.moduleAugmentations === undefined || file.moduleAugmentations.length === 0) &&
    (file.ambientModuleNames === undefined || file.ambientModuleNames.length === 0);

  /**
   * The new text of the cell or (`declarations`) of the earlier cells' declarations, parsed and bound as createProgram
   * would, or undefined when it may reach outside itself. Declarations may import, but only exactly what the base's
   * declarations imported (same specifiers in the same order, as createProgram lists them): the base program then
   * holds every file those imports bring in, and the new file takes the base file's module resolutions.
   */
  const parse = (old: SwapSourceFile, text: string, options: object, declarations: boolean): SwapSourceFile | undefined => {
    if ((declarations ? DECLARATIONS_MAY_REACH_OUT : MAY_REACH_OUT).test(text)) return undefined;
    const file = ts.createSourceFile(old.fileName, text, {
      languageVersion: old.languageVersion,
      impliedNodeFormat: old.impliedNodeFormat,
      setExternalModuleIndicator: ts.getSetExternalModuleIndicator(options),
    });
    if (!isSelfContained(file, declarations)) return undefined;
    const imports = file.statements.map(staticImport).filter((name): name is string => name !== undefined);
    const oldImports = (old.imports ?? []).map((literal) => literal.text);
    // Fewer imports would not do either: the base would still hold what the old ones brought in (global declarations
    // of an imported package included), which a program built for this text would not.
    if (!sameList(imports, oldImports)) return undefined;
    const id = ++serial;
    // What createProgram sets on a file it adds; a path of its own keeps the program's per-path caches apart.
    file.path = `${old.path}\u0000labnote-cell-${id}`;
    file.resolvedPath = file.path;
    file.originalFileName = old.originalFileName;
    file.version = `labnote-cell-${id}`;
    file.packageJsonLocations = undefined;
    file.packageJsonScope = old.packageJsonScope;
    file.imports = imports.length > 0 ? old.imports : [];
    if (imports.length > 0) file.resolvedModules = old.resolvedModules;
    file.moduleAugmentations = [];
    file.ambientModuleNames = [];
    ts.bindSourceFile(file, options);
    return file;
  };

  /**
   * The checker's diagnostics for the cell's file name are the ones its collection holds under that name: an empty
   * file of that name, checked (nothing to find), hands back that very list, which is emptied.
   */
  const clearCellDiagnostics = (program: SwapProgram, cell: SwapSourceFile, options: object): void => {
    const eraser = ts.createSourceFile(cell.fileName, "", { languageVersion: cell.languageVersion, setExternalModuleIndicator: ts.getSetExternalModuleIndicator(options) });
    eraser.path = `${cell.path}\u0000eraser`;
    eraser.resolvedPath = eraser.path;
    ts.bindSourceFile(eraser, options);
    const held = program.getTypeChecker().getDiagnostics(eraser) as unknown[];
    held.length = 0;
  };

  return {
    trySwap(rootNames, options, host) {
      if (base === undefined || rootNames === undefined || swapsOnBase >= MAX_SWAPS) return undefined;
      if (options !== base.getCompilerOptions() || !sameList(rootNames, base.getRootFileNames())) return undefined;
      const cellName = rootNames.find((name) => baseName(name) === CELL_FILE);
      const declarationsName = rootNames.find((name) => baseName(name) === DECLARATIONS_FILE);
      if (cellName === undefined || declarationsName === undefined) return undefined;
      const oldCell = base.getSourceFile(cellName);
      const oldDeclarations = base.getSourceFile(declarationsName);
      if (oldCell === undefined || oldDeclarations === undefined) return undefined;
      const cellText = host.readFile(cellName);
      const declarationsText = host.readFile(declarationsName);
      if (cellText === undefined || declarationsText === undefined) return undefined;
      const cell = parse(oldCell, cellText, options, false);
      if (cell === undefined) return undefined;
      let declarations = lastDeclarations?.text === declarationsText ? lastDeclarations : undefined;
      if (declarations === undefined && prepared?.text === declarationsText) {
        declarations = prepared;
        stats.preparedDeclarations++;
      }
      prepared = undefined;
      declarations ??= parse(oldDeclarations, declarationsText, options, true);
      if (declarations === undefined) return undefined;
      lastDeclarations = declarations;
      const program = base;
      clearCellDiagnostics(program, cell, options);
      const byName = new Map<string, SwapSourceFile>([
        [oldCell.fileName, cell],
        [oldDeclarations.fileName, declarations],
      ]);
      const byPath = new Map<string, SwapSourceFile>([
        [oldCell.path, cell],
        [cell.path, cell],
        [oldDeclarations.path, declarations],
        [declarations.path, declarations],
      ]);
      const files = program.getSourceFiles().map((file) => byName.get(file.fileName) ?? file);
      // Everything else (emit, diagnostics, the checker) is the base program's own: its functions close over it.
      const view = Object.create(program) as SwapProgram;
      Object.assign(view, {
        getSourceFiles: () => files,
        getSourceFile: (fileName: string) => byName.get(fileName) ?? program.getSourceFile(fileName),
        getSourceFileByPath: (path: string) => byPath.get(path) ?? program.getSourceFileByPath(path),
      });
      swapsOnBase++;
      stats.swaps++;
      return view;
    },
    prepareDeclarations(text) {
      if (base === undefined || disabled || swapsOnBase >= MAX_SWAPS) return;
      if (lastDeclarations?.text === text || prepared?.text === text) return;
      const declarationsName = base.getRootFileNames().find((name) => baseName(name) === DECLARATIONS_FILE);
      const old = declarationsName === undefined ? undefined : base.getSourceFile(declarationsName);
      if (old === undefined) return;
      // The swap only takes a base's own options and file names (trySwap), so this parse is the one it would do.
      prepared = parse(old, text, base.getCompilerOptions(), true);
    },
    setBase(program) {
      stats.fullBuilds++;
      swapsOnBase = 0;
      base = undefined;
      lastDeclarations = undefined;
      prepared = undefined;
      const files = program.getSourceFiles();
      const cell = files.find((file) => baseName(file.fileName) === CELL_FILE);
      const declarations = files.find((file) => baseName(file.fileName) === DECLARATIONS_FILE);
      // A base whose own cell or declarations brought in files or global declarations would lend them to later cells.
      if (disabled || cell === undefined || declarations === undefined || !isSelfContained(cell) || !isSelfContained(declarations, true)) return;
      if (MAY_REACH_OUT.test(cell.text) || DECLARATIONS_MAY_REACH_OUT.test(declarations.text)) return;
      base = program;
      lastDeclarations = declarations;
    },
    invalidate() {
      base = undefined;
      lastDeclarations = undefined;
      prepared = undefined;
    },
    disable() {
      disabled = true;
      base = undefined;
      lastDeclarations = undefined;
      prepared = undefined;
    },
    noteDirectSwap() {
      stats.directSwaps++;
    },
    get stats() {
      return stats;
    },
  };
}
