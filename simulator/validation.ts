import { Ajv2019, type ErrorObject, type ValidateFunction } from 'ajv/dist/2019.js';
import type { SimModel } from './fixtures.js';

// As Runware's SDK validates (runware-typescript src/validate.ts): JSON Schema 2019-09, not strict, no formats.
const ajv = new Ajv2019({ allErrors: true, strict: false, validateFormats: false, validateSchema: false });
const compiled = new WeakMap<SimModel, ValidateFunction>();

const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/** Upstream-style error objects for one task, from the model's request JSON Schema. */
export function validateTask(model: SimModel, task: Record<string, unknown>): Record<string, unknown>[] {
  if (!model.requestSchema) return [];
  let validate = compiled.get(model);
  if (!validate) {
    validate = ajv.compile(model.requestSchema);
    compiled.set(model, validate);
  }
  if (validate(task)) return [];
  return (validate.errors ?? []).map((e) => toUpstreamError(e, model));
}

function toUpstreamError(e: ErrorObject, model: SimModel): Record<string, unknown> {
  const path = e.instancePath.replace(/^\//, '').replace(/\//g, '.');
  const documentation = `https://runware.ai/docs/models/${model.record.model}`;
  const param = (p: string) => p || 'request';
  const leaf = (p: string) =>
    cap(
      p
        .split('.')
        .filter((s) => !/^\d+$/.test(s))
        .pop() ?? 'request',
    );
  switch (e.keyword) {
    case 'required': {
      const missing = path ? `${path}.${e.params.missingProperty}` : String(e.params.missingProperty);
      return {
        code: `missing${cap(String(e.params.missingProperty))}`,
        message: `Missing required parameter '${missing}'.`,
        parameter: missing,
        documentation,
      };
    }
    case 'enum':
      return {
        code: `unsupported${leaf(path)}`,
        message: `Invalid value for ${param(path)} parameter. Allowed values: ${(e.params.allowedValues as unknown[]).join(', ')}.`,
        parameter: param(path),
        allowedValues: e.params.allowedValues,
        documentation,
      };
    case 'const':
      return {
        code: `unsupported${leaf(path)}`,
        message: `Invalid value for ${param(path)} parameter. Allowed value: ${JSON.stringify(e.params.allowedValue)}.`,
        parameter: param(path),
        allowedValues: [e.params.allowedValue],
        documentation,
      };
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum': {
      const bounds = boundsOf(model, path);
      return {
        code: `invalid${leaf(path)}`,
        message: `Invalid value for ${param(path)} parameter. It must be ${e.params.comparison} ${e.params.limit}.`,
        parameter: param(path),
        ...bounds,
        documentation,
      };
    }
    case 'type':
      return {
        code: `invalid${leaf(path)}`,
        message: `Invalid type for ${param(path)} parameter. Expected ${e.params.type}.`,
        parameter: param(path),
        type: e.params.type,
        documentation,
      };
    case 'additionalProperties': {
      const extra = path ? `${path}.${e.params.additionalProperty}` : String(e.params.additionalProperty);
      return {
        code: 'unknownParameter',
        message: `Unknown parameter '${extra}' for model ${model.record.air}.`,
        parameter: extra,
        documentation,
      };
    }
    default:
      return {
        code: `invalid${leaf(path)}`,
        message: `Invalid value for ${param(path)} parameter: ${e.message ?? 'does not match the schema'}.`,
        parameter: param(path),
        documentation,
      };
  }
}

function boundsOf(model: SimModel, path: string): { min?: number; max?: number } {
  let node = model.requestSchema as Record<string, unknown> | undefined;
  for (const part of path.split('.')) {
    if (!node) break;
    if (/^\d+$/.test(part)) node = node.items as Record<string, unknown> | undefined;
    else node = (node.properties as Record<string, Record<string, unknown>> | undefined)?.[part];
  }
  const out: { min?: number; max?: number } = {};
  if (typeof node?.minimum === 'number') out.min = node.minimum;
  if (typeof node?.maximum === 'number') out.max = node.maximum;
  return out;
}
