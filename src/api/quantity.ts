const BINARY: Record<string, number> = {
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};
const DECIMAL: Record<string, number> = { k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18 };
const MEMORY = /^([0-9]+(?:\.[0-9]+)?)(k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$/;
const CPU = /^(?:([0-9]+(?:\.[0-9]+)?)|([0-9]+)m)$/;

/** Bytes of a memory quantity (`256Mi`, `1G`, `1048576`), or undefined when it is not one. */
export function parseMemory(q: string | number): number | undefined {
  if (typeof q === "number") return Number.isInteger(q) && q >= 0 ? q : undefined;
  const m = MEMORY.exec(q);
  if (!m) return undefined;
  const unit = m[2] ?? "";
  const factor = BINARY[unit] ?? DECIMAL[unit] ?? 1;
  return Math.round(Number(m[1]) * factor);
}

/** Nano-CPUs of a CPU quantity (`500m`, `0.5`, `2`), or undefined when it is not one. */
export function parseCpu(q: string | number): number | undefined {
  if (typeof q === "number") return q >= 0 ? Math.round(q * 1e9) : undefined;
  const m = CPU.exec(q);
  if (!m) return undefined;
  return m[1] !== undefined ? Math.round(Number(m[1]) * 1e9) : Number(m[2]) * 1e6;
}

/** Docker refuses memory limits below 6 MiB. */
export const MIN_MEMORY_BYTES = 6 * 2 ** 20;
