import { Ajv2019, type ErrorObject, type ValidateFunction } from 'ajv/dist/2019.js';
import type { JsonSchema } from './model-record.js';

// As Runware's SDK validates before sending (runware-typescript src/validate.ts): JSON Schema 2019-09, not strict,
// no format checks. Skipping the meta-schema check saves ~100 ms on the first run.
const ajv = new Ajv2019({ allErrors: true, strict: false, validateFormats: false, validateSchema: false });
const validators = new WeakMap<JsonSchema, ValidateFunction>();
const lenient = new WeakMap<JsonSchema, JsonSchema>();

/** Compiled once per schema object and cached: the catalog keeps schema objects alive for the process. */
function validatorFor(schema: JsonSchema): ValidateFunction {
  let validate = validators.get(schema);
  if (!validate) {
    const { $schema: _s, $id: _i, ...body } = schema;
    validate = ajv.compile(body);
    validators.set(schema, validate);
  }
  return validate;
}

/**
 * The part of a schema not written by Runware for this model that may refuse a request: types only (a string
 * where a number belongs), never required fields, enums, ranges or unknown fields. Runware validates the rest.
 */
export function typesOnly(schema: JsonSchema): JsonSchema {
  let reduced = lenient.get(schema);
  if (!reduced) {
    reduced = reduce(schema) as JsonSchema;
    lenient.set(schema, reduced);
  }
  return reduced;
}

function reduce(node: unknown): unknown {
  if (!node || typeof node !== 'object') return {};
  const n = node as JsonSchema;
  const out: JsonSchema = {};
  if (n.type !== undefined) out.type = n.type;
  if (n.properties) {
    out.properties = Object.fromEntries(
      Object.entries(n.properties).map(([k, v]) => [k, reduce(v) as JsonSchema]),
    );
  }
  if (n.items && typeof n.items === 'object' && !Array.isArray(n.items)) out.items = reduce(n.items);
  if (Array.isArray(n.anyOf)) out.anyOf = n.anyOf.map(reduce);
  return out;
}

const typesOf = (schema: JsonSchema | undefined): string[] => {
  if (!schema) return [];
  if (Array.isArray(schema.type)) return schema.type as string[];
  if (typeof schema.type === 'string') return [schema.type];
  return [];
};

const NUMERIC = /^\s*-?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/;

/**
 * Coerces values the way MCP clients mangle them, but only where the schema asks for another type:
 * "30" becomes 30 for an integer field, while a prompt of "1984" stays a string. JSON-encoded arrays and
 * objects are parsed only where the schema wants an array or object.
 */
export function coerceToSchema(value: unknown, schema: JsonSchema | undefined): unknown {
  if (!schema) return value;
  const types = typesOf(schema);
  if (typeof value === 'string') {
    if (types.includes('string')) return value;
    if ((types.includes('number') || types.includes('integer')) && NUMERIC.test(value)) return Number(value);
    if (types.includes('boolean') && (value === 'true' || value === 'false')) return value === 'true';
    if ((types.includes('array') || types.includes('object')) && /^\s*[[{]/.test(value)) {
      try {
        return coerceToSchema(JSON.parse(value), schema);
      } catch {
        return value;
      }
    }
    return value;
  }
  if (Array.isArray(value)) {
    const items = schema.items as JsonSchema | undefined;
    return items ? value.map((v) => coerceToSchema(v, items)) : value;
  }
  if (value && typeof value === 'object') {
    const properties = schema.properties ?? {};
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = coerceToSchema(v, properties[k]);
    return out;
  }
  return value;
}

export interface FieldProblem {
  field: string;
  problem: string;
}

/** Validates a whole task against its model schema; returns every offending field with what is allowed. */
export function validateAgainstSchema(schema: JsonSchema, task: Record<string, unknown>): FieldProblem[] {
  const validate = validatorFor(schema);
  if (validate(task)) return [];
  const seen = new Set<string>();
  const problems: FieldProblem[] = [];
  for (const e of validate.errors ?? []) {
    const problem = describe(e, schema, task);
    const key = `${problem.field}|${problem.problem}`;
    if (!seen.has(key)) {
      seen.add(key);
      problems.push(problem);
    }
  }
  return problems;
}

function describe(e: ErrorObject, root: JsonSchema, task: Record<string, unknown>): FieldProblem {
  const path = e.instancePath.replace(/^\//, '').replace(/\//g, '.');
  const node = nodeAt(root, path);
  const got = valueAt(task, path);
  const gotText = got === undefined ? '' : ` (got ${JSON.stringify(got)?.slice(0, 60)})`;
  switch (e.keyword) {
    case 'required': {
      const field = path ? `${path}.${e.params.missingProperty}` : String(e.params.missingProperty);
      return { field, problem: 'is required' };
    }
    case 'additionalProperties': {
      const field = path ? `${path}.${e.params.additionalProperty}` : String(e.params.additionalProperty);
      const known = Object.keys(node?.properties ?? {}).filter(
        (k) => !['taskType', 'taskUUID', 'deliveryMethod', 'webhookURL', 'includeCost'].includes(k),
      );
      return { field, problem: `is not a parameter of this model; known parameters: ${known.join(', ')}` };
    }
    case 'enum':
      return {
        field: path,
        problem: `must be one of ${(e.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}${gotText}`,
      };
    case 'const':
      return { field: path, problem: `must be ${JSON.stringify(e.params.allowedValue)}${gotText}` };
    case 'type':
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
    case 'multipleOf':
      return { field: path, problem: `must be ${allowedOf(node, e)}${gotText}` };
    default:
      return { field: path || '(request)', problem: `${e.message ?? 'is invalid'}${gotText}` };
  }
}

function allowedOf(node: JsonSchema | undefined, e: ErrorObject): string {
  const types = typesOf(node);
  const type = types.length ? types.join(' or ') : String(e.params.type ?? 'valid');
  const parts = [type === 'integer' ? 'an integer' : `a ${type}`];
  if (typeof node?.minimum === 'number' && typeof node?.maximum === 'number')
    parts.push(`between ${node.minimum} and ${node.maximum}`);
  else if (typeof node?.minimum === 'number') parts.push(`>= ${node.minimum}`);
  else if (typeof node?.maximum === 'number') parts.push(`<= ${node.maximum}`);
  if (typeof node?.multipleOf === 'number') parts.push(`and a multiple of ${node.multipleOf}`);
  return parts.join(' ');
}

function nodeAt(schema: JsonSchema, path: string): JsonSchema | undefined {
  let node: JsonSchema | undefined = schema;
  if (!path) return node;
  for (const part of path.split('.')) {
    if (!node) return undefined;
    node = /^\d+$/.test(part) ? (node.items as JsonSchema | undefined) : node.properties?.[part];
  }
  return node;
}

function valueAt(value: unknown, path: string): unknown {
  if (!path) return undefined;
  let v = value;
  for (const part of path.split('.'))
    v = v && typeof v === 'object' ? (v as Record<string, unknown>)[part] : undefined;
  return v;
}
