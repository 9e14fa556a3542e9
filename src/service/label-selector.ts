import { BadRequestError } from "../api/index.js";

/** One requirement of a label selector, as in Kubernetes. */
export type LabelRequirement =
  | { key: string; op: "=" | "!="; value: string }
  | { key: string; op: "in" | "notin"; values: string[] }
  | { key: string; op: "exists" | "!exists" };

/** A parsed label selector: all requirements must hold. */
export type LabelSelector = readonly LabelRequirement[];

const KEY = /^([a-z0-9]([-a-z0-9.]*[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/;

/**
 * Parses a Kubernetes label selector: `a=b`, `a==b`, `a!=b`, `a in (x,y)`, `a notin (x)`, `a`,
 * `!a`, joined by commas. An empty string selects everything. Throws BadRequestError naming the
 * bad part. Pure.
 */
export function parseLabelSelector(text: string): LabelSelector {
  const out: LabelRequirement[] = [];
  for (const raw of splitTopLevel(text)) {
    const part = raw.trim();
    if (part === "") continue;
    out.push(parseRequirement(part));
  }
  return out;
}

/** Whether `labels` satisfy every requirement of `selector`. Pure. */
export function matchesSelector(
  selector: LabelSelector,
  labels: Readonly<Record<string, string>> = {},
): boolean {
  return selector.every((r) => {
    const has = Object.hasOwn(labels, r.key);
    const v = labels[r.key];
    switch (r.op) {
      case "=":
        return v === r.value;
      case "!=":
        return v !== r.value;
      case "in":
        return v !== undefined && r.values.includes(v);
      case "notin":
        return v === undefined || !r.values.includes(v);
      case "exists":
        return has;
      case "!exists":
        return !has;
    }
  });
}

function parseRequirement(part: string): LabelRequirement {
  const set = /^(\S+)\s+(in|notin)\s*\((.*)\)$/.exec(part);
  if (set) {
    const values = (set[3] ?? "").split(",").map((v) => v.trim());
    return {
      key: checkKey(set[1] ?? "", part),
      op: set[2] as "in" | "notin",
      values: values.map((v) => checkValue(v, part)),
    };
  }
  const eq = /^([^=!\s]+)\s*(==|=|!=)\s*(\S*)$/.exec(part);
  if (eq) {
    const op = eq[2] === "!=" ? "!=" : "=";
    return { key: checkKey(eq[1] ?? "", part), op, value: checkValue(eq[3] ?? "", part) };
  }
  if (part.startsWith("!")) return { key: checkKey(part.slice(1).trim(), part), op: "!exists" };
  return { key: checkKey(part, part), op: "exists" };
}

function checkKey(key: string, part: string): string {
  if (!KEY.test(key) || key.length > 316) throw invalid(part, `"${key}" is not a valid label key`);
  return key;
}

function checkValue(value: string, part: string): string {
  if (!VALUE.test(value) || value.length > 63) throw invalid(part, `"${value}" is not a valid label value`);
  return value;
}

function invalid(part: string, why: string): BadRequestError {
  return new BadRequestError(
    `invalid label selector "${part}": ${why}`,
    "use key=value, key!=value, key in (a,b), key notin (a), key or !key, joined by commas",
  );
}

function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "(") depth++;
    else if (c === ")") depth = Math.max(0, depth - 1);
    else if (c === "," && depth === 0) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts;
}
