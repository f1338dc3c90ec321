/** The machine-readable price rule of a catalog model (catalog/schema/model-record.schema.json `pricing`). */
export interface PricingRule {
  unit: 'image' | 'request' | 'megapixel' | 'second' | 'million-tokens';
  usd: number;
  minimumUsd?: number;
}

const num = (v: unknown, fallback: number) => (typeof v === 'number' && Number.isFinite(v) ? v : fallback);

/**
 * Estimated USD cost of one task under a price rule: usd x units, where units depend on the rule's unit.
 * The spend guard refuses with it and the simulator bills with it, so quoted and charged prices agree.
 * Defaults mirror the upstream defaults (1 result, 1024x1024, 5 s, 1000 tokens) when a parameter is absent.
 */
export function estimateCost(rule: PricingRule, task: Record<string, unknown>): number {
  const results = num(task.numberResults, 1);
  let units: number;
  switch (rule.unit) {
    case 'megapixel':
      units = ((num(task.width, 1024) * num(task.height, 1024)) / 1e6) * results;
      break;
    case 'second':
      units = num(task.duration, 5) * results;
      break;
    case 'million-tokens': {
      const settings = (task.settings ?? {}) as Record<string, unknown>;
      units = num(settings.maxTokens ?? task.maxTokens, 1000) / 1e6;
      break;
    }
    default:
      units = results;
  }
  return roundUsd(Math.max(rule.minimumUsd ?? 0, rule.usd * units));
}

export const roundUsd = (usd: number) => Math.round(usd * 1e6) / 1e6;
