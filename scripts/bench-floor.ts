/**
 * The bench's floor program under the Pulumi CLI's runner (`npm run bench`): started by
 * `@pulumi/pulumi/cmd/run` exactly as the program is (same node arguments, same loader, same
 * engine), it loads the SDK and the provider SDK classes the program's resources come from
 * (ONPREM_BENCH_CLASSES, comma-separated) and registers nothing. The program's evaluation minus
 * this is the program's own cost.
 */
import "@pulumi/pulumi";
import { loadClasses } from "./lib/sdk-classes";

loadClasses((process.env.ONPREM_BENCH_CLASSES ?? "").split(",").filter((c) => c !== ""));
