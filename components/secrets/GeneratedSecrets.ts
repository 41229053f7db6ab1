/**
 * Every generated secret of the estate, made once from the inventory: a `random.RandomPassword`
 * per secret whose keepers hold its rotation stamp, so that changing the stamp (and nothing
 * else) generates a new value. Consumers receive the values as secret Outputs.
 */
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { SAFE_PASSWORD_SPECIALS } from "../common/mariadb";
import {
  GeneratedSecretId,
  SECRET_INVENTORY,
  siteAdminSecretSpec,
  siteSecretId,
  siteSecretSpec,
  SecretSpec,
} from "./inventory";

export interface GeneratedSecretsArgs {
  /** Rotation stamps (`YYYY-MM-DD`) by secret id, from `onprem-infra:rotations`. */
  rotations: Readonly<Record<string, string>>;
  /** New WordPress site names: each gets its database and administrator passwords. */
  sites: readonly string[];
}

/** The `keepers` of a generated secret: its stamp and period, nothing else. */
export function rotationKeepers(spec: SecretSpec, rotatedOn: string): Record<string, string> {
  return { rotatedOn, rotationPeriodDays: String(spec.periodDays) };
}

export class GeneratedSecrets extends pulumi.ComponentResource {
  /** The fixed generated secrets, by id (secret Outputs). */
  readonly values: Readonly<Record<GeneratedSecretId, pulumi.Output<string>>>;
  /** Each new WordPress site's database password, by site name (secret Outputs). */
  readonly sitePasswords: Readonly<Record<string, pulumi.Output<string>>>;
  /** Each new WordPress site's administrator password, by site name (secret Outputs). */
  readonly siteAdminPasswords: Readonly<Record<string, pulumi.Output<string>>>;

  constructor(name: string, args: GeneratedSecretsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("onprem:secrets:GeneratedSecrets", name, {}, opts);

    const generate = (spec: SecretSpec): pulumi.Output<string> => {
      const rotatedOn = args.rotations[spec.id];
      if (rotatedOn === undefined) {
        throw new pulumi.ResourceError(`no rotation stamp for generated secret ${spec.id}`, this);
      }
      const password = new random.RandomPassword(
        `${name}-${spec.id.replace(/\./g, "-")}`,
        {
          length: spec.length ?? 32,
          special: true,
          overrideSpecial: SAFE_PASSWORD_SPECIALS,
          minUpper: 2,
          minLower: 2,
          minNumeric: 2,
          keepers: rotationKeepers(spec, rotatedOn),
        },
        { parent: this },
      );
      return pulumi.secret(password.result);
    };

    const values = {} as Record<GeneratedSecretId, pulumi.Output<string>>;
    for (const spec of SECRET_INVENTORY.filter((s) => s.source === "generated")) {
      values[spec.id as GeneratedSecretId] = generate(spec);
    }
    this.values = values;

    const sitePasswords: Record<string, pulumi.Output<string>> = {};
    const siteAdminPasswords: Record<string, pulumi.Output<string>> = {};
    for (const site of args.sites) {
      sitePasswords[site] = generate(siteSecretSpec(site));
      siteAdminPasswords[site] = generate(siteAdminSecretSpec(site));
    }
    this.sitePasswords = sitePasswords;
    this.siteAdminPasswords = siteAdminPasswords;

    // The values stay outputs of their RandomPasswords only: not copied into the component's state.
    this.registerOutputs({});
  }
}

export { siteSecretId };
