/**
 * YAML as the harness reads `Pulumi.yaml` and the stack files: each distinct text parsed once per
 * process. The plan reads the stack file's text several times (its syntax, the CLI's checks, the
 * program's config, the evaluation), and a stack grown to hundreds of sites takes a tenth of a
 * second or more to parse. Each caller gets its own copy, so none can change another's.
 */
import { parse } from "yaml";

/** The last texts parsed, most recent last (a handful: a project file and a few stack files). */
const parsed = new Map<string, unknown>();
const KEEP = 8;

/** `parse(text)` from the `yaml` package, remembered by text; throws its errors as it does. */
export function parseYaml(text: string): unknown {
  let doc = parsed.get(text);
  if (doc === undefined) {
    doc = parse(text) as unknown;
    parsed.set(text, doc);
    if (parsed.size > KEEP) {
      parsed.delete(parsed.keys().next().value as string);
    }
  }
  return structuredClone(doc);
}
