/** Docker names of a project's objects (DESIGN.md section 2). Pure. */

/** `berth-<ns>-<name>`: the project's bridge network. */
export function networkName(key: string): string {
  return `berth-${key.replace("/", "-")}`;
}

/** `berth-<ns>-<name>-<container>`: a container's canonical name. */
export function containerName(key: string, container: string): string {
  return `berth-${key.replace("/", "-")}-${container}`;
}

/** `berth-<ns>-<name>-<volume>`: a named volume's Docker name. */
export function volumeName(key: string, volume: string): string {
  return `berth-${key.replace("/", "-")}-${volume}`;
}
