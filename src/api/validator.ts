import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import { loadCrdSchema, toFileModeSchema, type SchemaNode } from "./schema.js";

const DATE_TIME = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

/** A compiled schema check that applies defaults to the document it validates, in place. */
export interface SchemaValidator {
  (doc: unknown): ErrorObject[];
}

/**
 * Compiles the file-mode form of the CRD schema once. Synchronous and cheap to call again:
 * the compiled function is cached per process (the schema file ships with the code).
 */
export function schemaValidator(): SchemaValidator {
  cached ??= compile(toFileModeSchema(loadCrdSchema()));
  const fn = cached;
  return (doc) => (fn(doc) ? [] : (fn.errors ?? []));
}

let cached: ValidateFunction | undefined;

function compile(schema: SchemaNode): ValidateFunction {
  const ajv = new Ajv({
    allErrors: true,
    verbose: true,
    useDefaults: true,
    strict: false,
    allowUnionTypes: true,
  });
  ajv.addFormat("date-time", DATE_TIME);
  ajv.addFormat("int64", true);
  ajv.addFormat("int32", true);
  return ajv.compile(schema);
}
