import type { JsonReply } from './content-service.js';
import { type SimData, taskTypeOfSchema } from './fixtures.js';

const notFound = (what: string): JsonReply => ({
  status: 404,
  body: { error: 'not_found', message: `${what} not found` },
});

const curated = (data: SimData) => data.models.filter((m) => m.curated !== false);

/**
 * GET /schemas/...: Runware's schema service (schemas.runware.ai) with the shapes Runware's SDKs read:
 * `registry.json` {version, models, architectureTaskTypes, modalityTaskTypes} (runware-typescript src/registry.ts),
 * `resolve/{AIR}` {requestSchema, responseSchema, documentation} (src/validate.ts, runware-cli internal/api/schema.go),
 * and the whole bundle at `releases/{latest|version}/schema-map.json` (scripts/generate-types.ts).
 */
export function schemaService(data: SimData, path: string): JsonReply {
  if (path === '/registry.json') return { status: 200, body: registry(data) };
  const release = /^\/releases\/([^/]+)\/schema-map\.json$/.exec(path);
  if (release) {
    const version = release[1]!;
    if (version !== 'latest' && version !== data.bundle.version) return notFound(`release ${version}`);
    return { status: 200, body: schemaMap(data) };
  }
  const resolve = /^\/resolve\/(.+)$/.exec(path);
  if (resolve) {
    const id = decodeURIComponent(resolve[1]!);
    const model = data.byAir.get(id) ?? data.bySlug.get(id);
    if (!model?.requestSchema) return notFound(`schema for ${id}`);
    return {
      status: 200,
      body: {
        requestSchema: model.requestSchema,
        responseSchema: model.responseSchema ?? null,
        documentation: `https://runware.ai/docs/models/${model.record.model}`,
      },
    };
  }
  return notFound(path);
}

function registry(data: SimData) {
  const keyed = (group: SimData['bundle']['architectures']) =>
    Object.fromEntries(Object.entries(group).map(([k, v]) => [k, v.taskType]));
  return {
    version: data.bundle.version,
    models: Object.fromEntries(
      curated(data).map((m) => [m.record.air, { taskType: m.taskType, id: m.record.model }]),
    ),
    architectureTaskTypes: keyed(data.bundle.architectures),
    modalityTaskTypes: keyed(data.bundle.modalities),
  };
}

function schemaMap(data: SimData) {
  const schemas = (group: SimData['bundle']['architectures']) =>
    Object.fromEntries(Object.entries(group).map(([k, v]) => [k, v.requestSchema]));
  return {
    version: data.bundle.version,
    inference: curated(data)
      .filter((m) => m.requestSchema && taskTypeOfSchema(m.requestSchema))
      .map((m) => ({
        slug: m.record.model,
        air: m.record.air,
        requestSchema: m.requestSchema,
        responseSchema: m.responseSchema ?? null,
      })),
    architectures: schemas(data.bundle.architectures),
    modalities: schemas(data.bundle.modalities),
    operations: schemas(data.bundle.operations),
    utilities: [],
    errors: {},
  };
}
