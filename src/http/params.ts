/** Parsing of query parameters. Pure. */

/** `true`/`1`/`yes` or an empty value (`?wait`) are true; absent, `false`, `0`, `no` are false. */
export function parseBool(value: string | null): boolean | undefined {
  if (value === null) return false;
  const v = value.trim().toLowerCase();
  if (v === "" || v === "true" || v === "1" || v === "yes") return true;
  if (v === "false" || v === "0" || v === "no") return false;
  return undefined;
}
