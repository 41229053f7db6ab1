/**
 * `npm run diagram`: regenerates the committed estate diagram from the program: the production
 * stack evaluated under the mock engine, drawn by the plan's Mermaid generator, written to
 * `docs/estate-production.mmd` and into README.md between the `estate-diagram` markers.
 * test/plan.spec.ts fails when either copy no longer matches what the program generates.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { ROOT } from "../test/harness/stack";
import {
  DIAGRAM_FILE,
  DIAGRAM_STACK,
  diagramTitle,
  mermaidDiagram,
  README_MARKERS,
  withReadmeDiagram,
} from "./lib/diagram";
import { evaluateStack } from "./lib/evaluate";

async function main(): Promise<number> {
  const evaluation = await evaluateStack(DIAGRAM_STACK);
  if (!evaluation.ok) {
    process.stderr.write(`${evaluation.configError}\n`);
    return 2;
  }
  const diagram = mermaidDiagram(evaluation.run.resources, diagramTitle(DIAGRAM_STACK));
  fs.mkdirSync(path.join(ROOT, path.dirname(DIAGRAM_FILE)), { recursive: true });
  fs.writeFileSync(path.join(ROOT, DIAGRAM_FILE), diagram);
  const readmeFile = path.join(ROOT, "README.md");
  const readme = fs.readFileSync(readmeFile, "utf8");
  const updated = withReadmeDiagram(readme, diagram);
  if (updated === undefined) {
    process.stderr.write(
      `README.md has no ${README_MARKERS.start} … ${README_MARKERS.end} block; wrote ${DIAGRAM_FILE} only\n`,
    );
    return 1;
  }
  fs.writeFileSync(readmeFile, updated);
  process.stdout.write(`wrote ${DIAGRAM_FILE} and the README.md diagram block\n`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(3);
  },
);
