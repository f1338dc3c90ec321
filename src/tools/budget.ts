import { createHash } from 'node:crypto';
import type { ToolContext } from '../mcp/tool-definition.js';
import { ToolFailure, usd } from './tool-result.js';

/**
 * Per-day (RUNWARE_BUDGET_PER_DAY, UTC days, hosted: per account) and per-session (RUNWARE_BUDGET_PER_SESSION)
 * budgets. Each run that passes is added to a ledger in the store (an index per day and per session: the
 * taskUUID, its estimate and when), so budgets survive restarts and are shared by replicas. What a ledger has
 * spent is read from the task records: a finished task counts what Runware charged, one still running its
 * estimate, a failed one nothing; an entry without a record counts its estimate for a minute (the run is being
 * submitted) and nothing after (it never was); a run refused after it was entered is voided by a second entry.
 */

interface Budget {
  limit: number;
  index: string;
  /** "today's budget (RUNWARE_BUDGET_PER_DAY $5.00)" */
  name: string;
  spentWhen: string;
  advice: string;
}

const DAY_TTL_SECONDS = 2 * 24 * 3600;
const SESSION_TTL_SECONDS = 31 * 24 * 3600;
const SUBMITTING_MS = 60_000;
/** A cent's hundredth: estimates and charges are rounded to micro-dollars, sums can drift below that. */
const EPSILON = 1e-4;

/** Final tasks never change cost: their costs are remembered here instead of read again on every check. */
const finalCosts = new Map<string, number>();
/** Reservations of this process run one at a time, so two parallel runs cannot both take the rest. */
let queue: Promise<unknown> = Promise.resolve();

export const budgetsConfigured = (ctx: ToolContext) =>
  ctx.deps.config.budgetPerDay !== undefined || ctx.deps.config.budgetPerSession !== undefined;

/**
 * Refuses a run whose estimate (USD; undefined when unknown) would take any budget past its limit, saying what
 * was spent and what remains. Nothing has been sent when it refuses.
 */
export async function refuseOverBudget(ctx: ToolContext, estimate: number | undefined): Promise<void> {
  for (const budget of budgetsOf(ctx)) await refuseOver(ctx, budget, estimate);
}

/**
 * Enters the run in each ledger and checks the budgets again, one run of this process at a time. Called once the
 * run will be submitted (confirmed, if it had to be). The entry is written before the check: of two runs
 * reserving at once on two replicas, the one that checks later sees the other's entry, so they cannot both take
 * what remains (both may be refused; the entries of a refused run are voided, so trying again passes).
 */
export function reserveBudget(
  ctx: ToolContext,
  taskUUID: string,
  estimate: number | undefined,
): Promise<void> {
  const turn = queue.then(async () => {
    const budgets = budgetsOf(ctx);
    const store = await ctx.deps.store();
    for (const budget of budgets)
      await store.addToIndex(budget.index, entry(taskUUID, estimate), ttlOf(budget));
    try {
      for (const budget of budgets) await refuseOver(ctx, budget, estimate, taskUUID);
    } catch (error) {
      for (const budget of budgets)
        await store.addToIndex(budget.index, `${taskUUID} ${VOID} ${Date.now()}`, ttlOf(budget));
      throw error;
    }
  });
  queue = turn.catch(() => undefined);
  return turn;
}

/** A task Runware already ran and charged (a dry run executed anyway) is entered without a check. */
export async function recordCharged(
  ctx: ToolContext,
  taskUUID: string,
  cost: number | undefined,
): Promise<void> {
  const store = await ctx.deps.store();
  for (const budget of budgetsOf(ctx))
    await store.addToIndex(budget.index, entry(taskUUID, cost), ttlOf(budget));
}

/** `own`: the run being checked, already entered in the ledger: what it would spend is `estimate`. */
async function refuseOver(
  ctx: ToolContext,
  budget: Budget,
  estimate: number | undefined,
  own?: string,
): Promise<void> {
  const spent = await spentIn(ctx, budget.index, own);
  const remaining = Math.max(0, budget.limit - spent);
  const over = remaining <= EPSILON || (estimate !== undefined && estimate > remaining + EPSILON);
  if (!over && !(estimate === undefined && ctx.deps.config.unknownCostPolicy === 'deny')) return;
  const cost =
    estimate === undefined
      ? 'The cost of this run cannot be estimated'
      : `This run would cost about ${usd(estimate)}`;
  throw new ToolFailure(
    `Refused by ${budget.name}: ${cost}, and ${usd(remaining)} of ${usd(budget.limit)} remains (${usd(spent)} spent ${budget.spentWhen}). ${budget.advice} Nothing was sent or charged.`,
  );
}

/** The estimate field of an entry that cancels a refused run's reservation. */
const VOID = 'void';
const entry = (taskUUID: string, estimate: number | undefined) =>
  `${taskUUID} ${estimate ?? ''} ${Date.now()}`;

function budgetsOf(ctx: ToolContext): Budget[] {
  const { budgetPerDay, budgetPerSession } = ctx.deps.config;
  const { ownerId, sessionId, mode } = ctx.principal;
  const budgets: Budget[] = [];
  if (budgetPerDay !== undefined) {
    const now = new Date();
    const day = now.toISOString().slice(0, 10);
    const minutes = Math.ceil(
      (Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1) - now.getTime()) / 60_000,
    );
    budgets.push({
      limit: budgetPerDay,
      index: `spend-day:${ownerId}:${day}`,
      name: `today's budget (RUNWARE_BUDGET_PER_DAY ${usd(budgetPerDay)}${mode === 'hosted' ? ' for this account' : ''})`,
      spentWhen: `since 00:00 UTC`,
      advice: `It starts again at 00:00 UTC (in ${Math.floor(minutes / 60)} h ${minutes % 60} min); the server's operator can raise it.`,
    });
  }
  if (budgetPerSession !== undefined && sessionId) {
    // Hosted session ids are grant ids: stored only as a hash, like every other OAuth identifier.
    const session = createHash('sha256').update(sessionId).digest('hex').slice(0, 24);
    budgets.push({
      limit: budgetPerSession,
      index: `spend-session:${ownerId}:${session}`,
      name: `this session's budget (RUNWARE_BUDGET_PER_SESSION ${usd(budgetPerSession)})`,
      spentWhen: mode === 'hosted' ? 'through this connection' : 'since this server started',
      advice:
        mode === 'hosted'
          ? 'A new connection (signing in again) starts a new session.'
          : 'Restarting the MCP server starts a new session, or raise RUNWARE_BUDGET_PER_SESSION.',
    });
  }
  return budgets;
}

const ttlOf = (budget: Budget) =>
  budget.index.startsWith('spend-day:') ? DAY_TTL_SECONDS : SESSION_TTL_SECONDS;

/** What a ledger's tasks cost: charged where finished, estimated while running, nothing where they never ran. */
async function spentIn(ctx: ToolContext, index: string, own?: string): Promise<number> {
  const store = await ctx.deps.store();
  const members = (await store.listIndex(index)).map((member) => member.split(' '));
  const voided = new Set(members.filter(([, estimate]) => estimate === VOID).map(([taskUUID]) => taskUUID));
  const entries = members
    .filter(([taskUUID = '']) => taskUUID !== own && !voided.has(taskUUID))
    .map(([taskUUID = '', estimate = '', at = '0']) => ({
      taskUUID,
      estimate: estimate === '' ? 0 : Number(estimate),
      at: Number(at),
    }));
  const costs = await Promise.all(
    entries.map(async ({ taskUUID, estimate, at }) => {
      const known = finalCosts.get(taskUUID);
      if (known !== undefined) return known;
      const record = await ctx.deps.tasks.get(taskUUID, ctx.principal.ownerId);
      if (!record) return Date.now() - at < SUBMITTING_MS ? estimate : 0;
      if (record.status === 'processing') return estimate;
      const cost = record.cost ?? (record.status === 'success' ? estimate : 0);
      if (finalCosts.size > 10_000) finalCosts.clear();
      finalCosts.set(taskUUID, cost);
      return cost;
    }),
  );
  return costs.reduce((sum, cost) => sum + cost, 0);
}
