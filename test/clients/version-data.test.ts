// %version's data features through a real Jupyter client (nbclient on the labnote kernel), each in its own project
// repository: the row-level diff of two versions' data, forget --scrub reaching every copy, and diverged histories
// settled with %version resolve.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { gitHttpServer } from "../helpers/git-http.js";
import { allOutputs, ARTIFACTS, executeNotebook, writeNotebook, type NotebookJSON } from "../helpers/jupyter.js";

type Output = ReturnType<typeof allOutputs>[number];

function project(name: string): string {
  const dir = join(ARTIFACTS, `${name}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`);
  mkdirSync(join(dir, "data"), { recursive: true });
  execFileSync("git", ["init", "-q", "-b", "main"], { cwd: dir });
  return dir;
}

/** The outputs of the cell whose source is `source` exactly. */
function outputsOf(nb: NotebookJSON, prefix: string): Output[] {
  const index = nb.cells.findIndex((cell) => [cell.source].flat().join("") === prefix);
  if (index === -1) throw new Error(`no cell starts with ${prefix}`);
  return allOutputs(nb).filter((output) => output.cell === index);
}

function resultOf(nb: NotebookJSON, prefix: string): Record<string, unknown> {
  const result = outputsOf(nb, prefix).find((output) => output.output_type === "execute_result");
  if (!result) throw new Error(`cell ${prefix} has no result: ${JSON.stringify(outputsOf(nb, prefix)).slice(0, 2000)}`);
  return result.data as Record<string, unknown>;
}

const write = (path: string, text: string) => `import { writeFileSync as w${path.length} } from "node:fs";\nw${path.length}(${JSON.stringify(path)}, ${JSON.stringify(text)});`;

describe("%version diff --rows", () => {
  it("diffs two versions' table data by key through the kernel: counts, examples, schema, drift; bad input is a clear error", async () => {
    const dir = project("version-rows");
    const before = `id,name,score,city\n${Array.from({ length: 40 }, (_, i) => `${i + 1},n${i + 1},${(i % 10) + 0.5},${i % 2 ? "oslo" : "rome"}`).join("\n")}\n`;
    const afterRows = Array.from({ length: 40 }, (_, i) => i + 1)
      .filter((id) => id !== 7)
      .map((id) => `${id},n${id},${id === 12 ? 99.5 : ((id - 1) % 10) + 0.5},${id % 3 ? "oslo" : "rome"},x`);
    const after = `id,name,score,city,extra\n${afterRows.join("\n")}\n41,n41,1.5,oslo,y\n`;
    const notebook = join(dir, "rows.ipynb");
    writeNotebook(notebook, [
      write("data/table.csv", before),
      "%version data data/table.csv",
      '%version commit -m "first table"',
      write("data/table.csv", after),
      "%version data data/table.csv",
      '%version commit -m "second table"',
      "%version diff @~1 @ --rows --key id",
      "%version diff @~1 @ --rows",
      write("data/broken.csv", "id,name\n1,a\n2,b,c\n"),
      "%version diff data/table.csv data/broken.csv --rows",
    ]);
    const nb = await executeNotebook(notebook, { cwd: dir, timeoutSec: 240, allowErrors: true, env: { LABNOTE_AUTOSNAPSHOT: "on" } });
    const keyed = resultOf(nb, "%version diff @~1 @ --rows --key id");
    const data = keyed["application/json"] as {
      key: string;
      files: { path: string; rows: Record<string, number>; examples: { added: { row: Record<string, string> }[]; removed: { row: Record<string, string> }[]; changed: { key: string; columns: { column: string; before: string; after: string }[] }[] }; schema: { added: string[] }; drift: { column: string; psi: number | null; categories?: { value: string; before: number; after: number }[] }[] }[];
    };
    expect(data.key).toBe("id");
    expect(data.files).toHaveLength(1);
    const file = data.files[0]!;
    expect(file.path).toBe("data/table.csv");
    // 40 rows → 40 rows: 7 removed, 41 added, 12's score changed; the city of many rows changed too.
    expect(file.rows.added).toBe(1);
    expect(file.rows.removed).toBe(1);
    expect(file.examples.added[0]!.row).toEqual({ id: "41", name: "n41", score: "1.5", city: "oslo", extra: "y" });
    expect(file.examples.removed[0]!.row.id).toBe("7");
    expect(file.rows.changed + file.rows.unchanged).toBe(39);
    expect(file.examples.changed.length).toBeGreaterThan(0);
    expect(file.schema.added).toEqual(["extra"]);
    const city = file.drift.find((column) => column.column === "city")!;
    expect(city.categories!.find((share) => share.value === "rome")!.before).toBeCloseTo(0.5, 12);
    expect(city.psi).toBeGreaterThan(0);
    expect(String(keyed["text/html"])).toContain("<table>");
    expect(String(keyed["text/plain"])).toContain("rows: +1 added, -1 removed");
    const unkeyed = resultOf(nb, "%version diff @~1 @ --rows");
    expect((unkeyed["application/json"] as { key: null; files: { rows: { changed: number } }[] }).files[0]!.rows.changed).toBe(0);
    const error = outputsOf(nb, "%version diff data/table.csv data/broken.csv --rows").find((output) => output.output_type === "error")!;
    expect(String(error.evalue)).toContain("data/broken.csv, line 3: 3 field(s), but the header names 2 column(s)");
  });
});

/** Every file under `root`, recursively. */
function filesUnder(root: string): string[] {
  if (!existsSync(root)) return [];
  return readdirSync(root, { recursive: true, withFileTypes: true }).filter((entry) => entry.isFile()).map((entry) => join(entry.parentPath, entry.name));
}

/** The content of every git object reachable from refs/labnote/* (git CLI: rev-list --objects, cat-file --batch). */
function labnoteObjects(dir: string): Buffer[] {
  const refs = execFileSync("git", ["for-each-ref", "--format=%(refname)", "refs/labnote/"], { cwd: dir, encoding: "utf8" }).trim().split("\n").filter(Boolean);
  const oids = execFileSync("git", ["rev-list", "--objects", ...refs], { cwd: dir, encoding: "utf8", maxBuffer: 1 << 28 }).trim().split("\n").map((line) => line.split(" ")[0]!);
  const batch = execFileSync("git", ["cat-file", "--batch"], { cwd: dir, input: `${oids.join("\n")}\n`, maxBuffer: 1 << 28 });
  const out: Buffer[] = [];
  let at = 0;
  while (at < batch.length) {
    const headerEnd = batch.indexOf(10, at);
    const size = Number(batch.subarray(at, headerEnd).toString("latin1").split(" ")[2]);
    out.push(batch.subarray(headerEnd + 1, headerEnd + 1 + size));
    at = headerEnd + 1 + size + 1;
  }
  expect(out.length).toBe(oids.length);
  return out;
}

describe("%version forget --scrub", () => {
  it("leaves the forgotten bytes and rows nowhere under .labnote/, in no object reachable from refs/labnote, and not in the remote data directory", async () => {
    const dir = project("version-forget");
    const remote = join(dir, "..", `${dir.split("/").pop()}-remote`);
    const rows = ["7,Ada Lovelace,ada.lovelace@example.org", "8,Grace Hopper,grace.hopper@example.org", "9,Alan Turing,alan.turing@example.org"];
    const people = `id,name,email\n${rows.join("\n")}\n`;
    const notebook = join(dir, "forget.ipynb");
    writeNotebook(notebook, [
      write("data/people.csv", people),
      "%version data data/people.csv",
      'import { readFileSync } from "node:fs";\nconst people = readFileSync("data/people.csv", "utf8");\nconsole.log(people);\npeople.split("\\n")[1]',
      '%%track --name consent\nrun.samples([{ input: people.split("\\n")[2], pred: 1, label: 1 }]);\nawait run.artifact("data/people.csv");\nrun.log({ loss: 1 }, { step: 0 });',
      '%version commit -m "with people"',
      `%version push ${remote}`,
      '%version forget data/people.csv --reason "withdrawn consent" --scrub',
      // The user deletes the working copy the report names; a later checkout says why the bytes are gone.
      'import { unlinkSync } from "node:fs";\nunlinkSync("data/people.csv");',
      "%version checkout @ --data",
    ]);
    const nb = await executeNotebook(notebook, { cwd: dir, timeoutSec: 240, allowErrors: true, env: { LABNOTE_AUTOSNAPSHOT: "on" } });
    const errors = allOutputs(nb).filter((output) => output.output_type === "error");
    expect(errors).toEqual([]);
    // The printed rows really reached the stores before the forget (so the search below means something).
    const printed = outputsOf(nb, [nb.cells[2]!.source].flat().join("")).map((output) => String(output.text ?? "")).join("");
    expect(printed).toContain(rows[0]);

    const report = resultOf(nb, '%version forget data/people.csv --reason "withdrawn consent" --scrub')["application/json"] as {
      hashes: string[];
      removedFrom: string[];
      artifactsRemoved: string[];
      redacted: { file: string; table: string; column: string }[];
      scrub: { commitsRewritten: number; refs: { ref: string }[] };
      remaining: { place: string; detail: string }[];
    };
    expect(report.hashes).toHaveLength(1);
    expect(report.removedFrom).toHaveLength(2);
    expect(report.artifactsRemoved).toHaveLength(1);
    expect(report.redacted.map((entry) => `${entry.file} ${entry.table}.${entry.column}`)).toEqual(expect.arrayContaining([".labnote/labnote.db samples.input", ".labnote/history.sqlite output_history.output"]));
    expect(report.scrub.commitsRewritten).toBeGreaterThan(0);
    expect(report.scrub.refs.map((ref) => ref.ref)).toEqual(expect.arrayContaining(["refs/labnote/notebook/cells", "refs/labnote/notebook/versions"]));
    // What it names as left: the user's own working copy (labnote does not delete it) and the pre-rewrite objects.
    expect(report.remaining.map((entry) => entry.place)).toContain("data/people.csv (your working copy)");
    expect(report.remaining.filter((entry) => !entry.place.includes("working copy") && !entry.place.includes("unreachable objects"))).toEqual([]);
    const checkout = resultOf(nb, "%version checkout @ --data")["application/json"] as { data: { missing: { message: string }[] } };
    expect(checkout.data.missing[0]!.message).toMatch(/^data\/people.csv: removed on \d{4}-\d{2}-\d{2}: withdrawn consent$/);

    const needles = [people, people.trimEnd(), ...rows, ...rows.map((row) => JSON.stringify(row).slice(1, -1))].map((needle) => Buffer.from(needle));
    const holds = (bytes: Buffer) => needles.some((needle) => bytes.includes(needle));
    const labnoteFiles = filesUnder(join(dir, ".labnote"));
    expect(labnoteFiles.some((file) => file.endsWith("labnote.db"))).toBe(true);
    expect(labnoteFiles.filter((file) => holds(readFileSync(file)))).toEqual([]);
    const objects = labnoteObjects(dir);
    expect(objects.length).toBeGreaterThan(10);
    expect(objects.filter(holds).map((bytes) => bytes.toString("utf8").slice(0, 200))).toEqual([]);
    expect(filesUnder(remote).filter((file) => holds(readFileSync(file)))).toEqual([]);
    execFileSync("git", ["fsck", "--strict"], { cwd: dir, stdio: "pipe" });
  });
});

describe("%version pull of a diverged history, and %version resolve", () => {
  it("keeps both lines in the log, reports the conflicting data path, and resolve --take theirs settles it", async () => {
    const remoteRoot = project("version-diverged-remote");
    execFileSync("git", ["init", "-q", "--bare", "shared.git"], { cwd: remoteRoot });
    execFileSync("git", ["config", "http.receivepack", "true"], { cwd: join(remoteRoot, "shared.git") });
    const { server, url } = await gitHttpServer(remoteRoot);
    try {
      const remote = `${url}/shared.git`;
      const dataRemote = join(remoteRoot, "data-cache");
      const alice = project("version-diverged-alice");
      const bob = project("version-diverged-bob");
      const run = async (dir: string, name: string, cells: string[]) => {
        const notebook = join(dir, `${name}.ipynb`);
        writeNotebook(notebook, cells);
        const nb = await executeNotebook(notebook, { cwd: dir, timeoutSec: 240, allowErrors: true, env: { LABNOTE_AUTOSNAPSHOT: "on" } });
        expect(allOutputs(nb).filter((output) => output.output_type === "error").map((output) => output.evalue)).toEqual([]);
        return nb;
      };
      await run(alice, "alice1", [write("data/train.csv", "x,y\n1,1\n"), "%version data data/train.csv", '%version commit -m "base"', `%version push ${remote} --data ${dataRemote}`]);
      await run(bob, "bob1", [`%version pull ${remote} --data ${dataRemote}`, write("data/train.csv", "x,y\n1,1\n2,4\n"), "%version data data/train.csv", '%version commit -m "bob adds a row"', `%version push ${remote} --data ${dataRemote}`]);
      const nb = await run(alice, "alice2", [
        write("data/train.csv", "x,y\n1,1\n3,9\n"),
        "%version data data/train.csv",
        '%version commit -m "alice adds another row"',
        `%version pull ${remote} --data ${dataRemote}`,
        "%version log",
        "%version diff @~1 @",
        "%version resolve data/train.csv --take theirs",
        "%version log --limit 1",
      ]);
      const pulled = resultOf(nb, `%version pull ${remote} --data ${dataRemote}`);
      const conflicts = (pulled["application/json"] as { conflicts: { path: string; ours: { sha256: string }; theirs: { sha256: string } }[] }).conflicts;
      expect(conflicts.map((conflict) => conflict.path)).toEqual(["data/train.csv"]);
      expect(String(pulled["text/plain"])).toContain("settle each with %version resolve PATH --take ours|theirs");
      const log = (resultOf(nb, "%version log")["application/json"] as { message: string; line: string }[]).map((entry) => [entry.message, entry.line]);
      expect(log).toEqual([["alice adds another row", "local"], ["bob adds a row", remote], ["base", "local"]]);
      expect(String(resultOf(nb, "%version log")["text/plain"])).toContain(`bob adds a row  [from ${remote}]`);
      expect((resultOf(nb, "%version diff @~1 @")["application/json"] as { conflicts: { path: string }[] }).conflicts.map((conflict) => conflict.path)).toEqual(["data/train.csv"]);
      const resolved = resultOf(nb, "%version resolve data/train.csv --take theirs")["application/json"] as { take: string; sha256: string; file: { restored: boolean } };
      expect(resolved).toEqual(expect.objectContaining({ take: "theirs", sha256: conflicts[0]!.theirs.sha256, file: expect.objectContaining({ restored: true }) }));
      expect(readFileSync(join(alice, "data/train.csv"), "utf8")).toBe("x,y\n1,1\n2,4\n");
      expect((resultOf(nb, "%version log --limit 1")["application/json"] as { message: string }[])[0]!.message).toMatch(/^resolve data\/train.csv: take theirs/);
      execFileSync("git", ["fsck", "--strict"], { cwd: alice, stdio: "pipe" });
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
