import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { ToolMetrics } from '../mcp/tool-definition.js';
import type { RetryInfo } from '../runware/client.js';

/** Prometheus metrics of the hosted server, on its own registry (served at /metrics). */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'runware_mcp_' });
  const toolCalls = new Counter({
    name: 'runware_mcp_tool_calls_total',
    help: 'Tool calls by tool and outcome',
    labelNames: ['tool', 'outcome'],
    registers: [registry],
  });
  const toolSeconds = new Histogram({
    name: 'runware_mcp_tool_duration_seconds',
    help: 'Tool call latency',
    labelNames: ['tool'],
    buckets: [0.001, 0.005, 0.02, 0.1, 0.5, 2, 10, 45, 120],
    registers: [registry],
  });
  const upstreamSeconds = new Histogram({
    name: 'runware_mcp_upstream_request_duration_seconds',
    help: 'Runware API request latency by task type',
    labelNames: ['task_type', 'outcome'],
    buckets: [0.01, 0.05, 0.2, 1, 5, 15, 30],
    registers: [registry],
  });
  const upstreamRetries = new Counter({
    name: 'runware_mcp_upstream_retries_total',
    help: 'Retried Runware requests by task type and reason',
    labelNames: ['task_type', 'reason'],
    registers: [registry],
  });
  const asyncInFlight = new Gauge({
    name: 'runware_mcp_async_tasks_in_flight',
    help: 'Async tasks being polled now',
    registers: [registry],
  });
  const spend = new Counter({
    name: 'runware_mcp_spend_usd_total',
    help: 'Sum of task cost reported by Runware, by model',
    labelNames: ['model'],
    registers: [registry],
  });
  const grants = new Counter({
    name: 'runware_mcp_oauth_grants_total',
    help: 'OAuth grants issued and revoked',
    labelNames: ['event'],
    registers: [registry],
  });
  const storeErrors = new Counter({
    name: 'runware_mcp_store_errors_total',
    help: 'Store failures seen by request handling',
    registers: [registry],
  });

  const tools: ToolMetrics = {
    toolCall: (tool, outcome, seconds) => {
      toolCalls.inc({ tool, outcome });
      toolSeconds.observe({ tool }, seconds);
    },
    spend: (model, usd) => spend.inc({ model }, usd),
    asyncInFlight: (delta) => asyncInFlight.inc(delta),
  };
  return {
    registry,
    tools,
    onRetry: (info: RetryInfo) => {
      for (const taskType of new Set(info.taskTypes))
        upstreamRetries.inc({ task_type: taskType, reason: info.reason });
    },
    onExchange: (info: { taskTypes: string[]; ms: number; ok: boolean }) => {
      for (const taskType of new Set(info.taskTypes))
        upstreamSeconds.observe({ task_type: taskType, outcome: info.ok ? 'ok' : 'error' }, info.ms / 1000);
    },
    grant: (event: 'issued' | 'revoked') => grants.inc({ event }),
    storeError: () => storeErrors.inc(),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
