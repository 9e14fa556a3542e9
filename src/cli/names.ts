import { CliError } from "./io.js";

/**
 * Splits a NAME argument: `ns/name` names the namespace itself, otherwise `namespace` (from
 * `-n`) or "default" applies. Throws CliError (exit 2) for an empty part or a conflicting `-n`.
 */
export function resolveName(arg: string, namespace?: string): { namespace: string; name: string } {
  const parts = arg.split("/");
  if (parts.length > 2 || parts.some((p) => p === "")) {
    throw new CliError(`invalid project name "${arg}": use NAME or NAMESPACE/NAME`, 2);
  }
  if (parts.length === 2) {
    const [ns = "", name = ""] = parts;
    if (namespace !== undefined && namespace !== ns) {
      throw new CliError(`"${arg}" names namespace ${ns}, but -n says ${namespace}; drop one of them`, 2);
    }
    return { namespace: ns, name };
  }
  return { namespace: namespace ?? "default", name: arg };
}
