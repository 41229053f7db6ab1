/**
 * The provider SDK classes a program's resources come from, for the bench's floor: the SDKs load
 * their resource modules lazily, on first use, so a floor that is to load what the program loads
 * walks to the very classes the program used.
 */

/**
 * The SDK class of a resource type: `aws:s3/bucket:Bucket` -> `aws.s3.Bucket`,
 * `docker:index/container:Container` -> `docker.Container`, `pulumi:providers:aws` -> `aws.Provider`.
 */
export function classOf(type: string): string | undefined {
  const [pkg, mod, name] = type.split(":");
  if (pkg === "pulumi") {
    return mod === "providers" ? `${name}.Provider` : undefined;
  }
  if (mod === undefined || name === undefined) {
    return undefined;
  }
  const sub = mod.split("/")[0];
  return sub === "index" ? `${pkg}.${name}` : `${pkg}.${sub}.${name}`;
}

/** The sorted SDK classes of the custom resources among `resources`. */
export function classesOf(resources: readonly { type: string; custom: boolean }[]): string[] {
  return [
    ...new Set(
      resources
        .filter((r) => r.custom)
        .map((r) => classOf(r.type))
        .filter((m): m is string => m !== undefined),
    ),
  ].sort();
}

/** The SDK class named `aws.s3.Bucket` (walking its path from the package loads its lazy modules). */
export function loadClass(name: string): unknown {
  const [pkg, ...path] = name.split(".");
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  let value = require(`@pulumi/${pkg}`) as Record<string, unknown>;
  for (const key of path) {
    value = value[key] as Record<string, unknown>;
    if (value === undefined) {
      throw new Error(`@pulumi/${pkg} has no ${path.join(".")}`);
    }
  }
  return value;
}

/** Loads each class (which triggers the lazy module loads). */
export function loadClasses(classes: readonly string[]): void {
  for (const c of classes) {
    loadClass(c);
  }
}
