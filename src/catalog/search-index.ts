import { type ModelFile, nameOf } from './model-record.js';

export type SortOrder = 'relevance' | 'weight' | 'newest' | 'name';

export interface ModelQuery {
  capability?: string | undefined;
  category?: string | undefined;
  creator?: string | undefined;
  /** Only this status; without it, models reachable only through the OpenAI-compatible endpoint are left out. */
  status?: string | undefined;
  search?: string | undefined;
  sort?: SortOrder | undefined;
}

/** Field weights: a hit in the name says more than one in the headline. */
const FIELD_WEIGHT = { name: 6, id: 5, creator: 4, capability: 2, headline: 1 } as const;
/** Match quality: exact token > prefix > one or two typos. */
const EXACT = 3;
const PREFIX = 2;
const FUZZY = 1;

const tokenize = (text: string) =>
  text
    .toLowerCase()
    .split(/[^a-z0-9.]+/)
    .filter(Boolean);

/**
 * In-memory inverted index over the catalog, built once at start. Filters use precomputed sets; free text is
 * ranked (exact, prefix and typo-tolerant matches, weighted by field) with every query word required.
 */
export class SearchIndex {
  private readonly postings = new Map<string, Map<number, number>>();
  private readonly sortedTokens: string[];
  private readonly tokensByLength = new Map<number, string[]>();
  private readonly byCategory = new Map<string, Set<number>>();
  private readonly byCapability = new Map<string, Set<number>>();
  private readonly byCreator = new Map<string, Set<number>>();
  private readonly byStatus = new Map<string, Set<number>>();
  /** Listed by default: everything but `openai-compatible` (Runware's SDK hides it from lists the same way). */
  private readonly native = new Set<number>();
  private readonly exactId = new Map<string, number>();
  private readonly orders: Record<Exclude<SortOrder, 'relevance'>, number[]>;
  /** Position of each model in each order, for sorting search hits without re-comparing records. */
  private readonly rank: Record<Exclude<SortOrder, 'relevance'>, Int32Array>;

  constructor(private readonly models: readonly ModelFile[]) {
    models.forEach((m, i) => {
      add(this.byCategory, m.category, i);
      if (m.creator) add(this.byCreator, m.creator, i);
      if (m.status) add(this.byStatus, m.status, i);
      if (m.status !== 'openai-compatible') this.native.add(i);
      for (const c of m.capabilities) add(this.byCapability, c, i);
      this.exactId.set(m.air.toLowerCase(), i);
      this.exactId.set(m.model.toLowerCase(), i);
      this.post(nameOf(m), i, FIELD_WEIGHT.name);
      this.post(`${m.air} ${m.model}`, i, FIELD_WEIGHT.id);
      this.post((m.creator ?? '').replace(/-/g, ' '), i, FIELD_WEIGHT.creator);
      this.post(m.capabilities.join(' ').replace(/[:-]/g, ' '), i, FIELD_WEIGHT.capability);
      this.post(m.headline ?? '', i, FIELD_WEIGHT.headline);
    });
    this.sortedTokens = [...this.postings.keys()].sort();
    for (const token of this.sortedTokens) {
      const list = this.tokensByLength.get(token.length) ?? [];
      list.push(token);
      this.tokensByLength.set(token.length, list);
    }
    const indices = models.map((_, i) => i);
    this.orders = {
      weight: [...indices].sort((a, b) => byWeight(models[a]!, models[b]!)),
      newest: [...indices].sort((a, b) => byNewest(models[a]!, models[b]!) || byName(models[a]!, models[b]!)),
      name: [...indices].sort((a, b) => byName(models[a]!, models[b]!)),
    };
    const rankOf = (order: number[]) => {
      const r = new Int32Array(models.length);
      order.forEach((i, pos) => {
        r[i] = pos;
      });
      return r;
    };
    this.rank = {
      weight: rankOf(this.orders.weight),
      newest: rankOf(this.orders.newest),
      name: rankOf(this.orders.name),
    };
  }

  private post(text: string, index: number, weight: number): void {
    for (const token of tokenize(text)) {
      const posting = this.postings.get(token) ?? new Map<number, number>();
      this.postings.set(token, posting);
      posting.set(index, Math.max(posting.get(index) ?? 0, weight));
    }
  }

  /** Every model matching all filters, in the requested order (relevance first when searching). */
  query(q: ModelQuery): ModelFile[] {
    const filters = [
      q.category ? (this.byCategory.get(q.category) ?? new Set<number>()) : undefined,
      q.capability ? (this.byCapability.get(q.capability) ?? new Set<number>()) : undefined,
      q.creator ? (this.byCreator.get(q.creator) ?? new Set<number>()) : undefined,
      q.status ? (this.byStatus.get(q.status) ?? new Set<number>()) : this.native,
    ].filter((f): f is Set<number> => f !== undefined);
    const passes = (i: number) => filters.every((f) => f.has(i));
    const search = q.search?.trim();
    if (!search) {
      const order = this.orders[q.sort === 'relevance' || !q.sort ? 'weight' : q.sort];
      return order.filter(passes).map((i) => this.models[i]!);
    }
    const { hits, scores } = this.score(search, filters.length ? passes : undefined);
    const sort = q.sort ?? 'relevance';
    if (sort === 'relevance') {
      const rank = this.rank.weight;
      hits.sort((a, b) => scores[b]! - scores[a]! || rank[a]! - rank[b]!);
      return hits.map((i) => this.models[i]!);
    }
    const rank = this.rank[sort];
    return hits.sort((a, b) => rank[a]! - rank[b]!).map((i) => this.models[i]!);
  }

  /**
   * Relevance per model; a model must match every query word. Exact and prefix matches come from the sorted
   * token list; only a word that matched nothing falls back to the typo-tolerant scan. Dense typed arrays keep
   * this allocation-light at 10k models. An exact AIR or slug wins outright.
   */
  private score(search: string, passes?: (i: number) => boolean): { hits: number[]; scores: Float64Array } {
    const n = this.models.length;
    const scores = new Float64Array(n);
    const exact = this.exactId.get(search.toLowerCase());
    if (exact !== undefined && (!passes || passes(exact))) {
      scores[exact] = 1000;
      return { hits: [exact], scores };
    }
    const words = tokenize(search);
    const matched = new Uint8Array(n);
    const best = new Float64Array(n);
    let touched: number[] = [];
    words.forEach((word, k) => {
      touched = [];
      const credit = (token: string, quality: number) => {
        for (const [i, weight] of this.postings.get(token) ?? []) {
          if (matched[i] !== k || (passes && !passes(i))) continue;
          const v = quality * weight;
          if (best[i] === 0) touched.push(i);
          if (v > best[i]!) best[i] = v;
        }
      };
      credit(word, EXACT);
      for (let j = lowerBound(this.sortedTokens, word); j < this.sortedTokens.length; j++) {
        const token = this.sortedTokens[j]!;
        if (!token.startsWith(word)) break;
        if (token !== word) credit(token, PREFIX);
      }
      if (touched.length === 0 && word.length >= 4) {
        const maxEdits = word.length >= 8 ? 2 : 1;
        for (let len = word.length - maxEdits; len <= word.length + maxEdits; len++) {
          for (const token of this.tokensByLength.get(len) ?? []) {
            if (withinEdits(word, token, maxEdits)) credit(token, FUZZY);
          }
        }
      }
      for (const i of touched) {
        matched[i] = k + 1;
        scores[i]! += best[i]!;
        best[i] = 0;
      }
    });
    const hits = touched.filter((i) => matched[i] === words.length);
    return { hits, scores };
  }
}

function add(map: Map<string, Set<number>>, key: string, i: number): void {
  const set = map.get(key) ?? new Set<number>();
  set.add(i);
  map.set(key, set);
}

const byName = (a: ModelFile, b: ModelFile) => nameOf(a).localeCompare(nameOf(b));
const byNewest = (a: ModelFile, b: ModelFile) => (b.releasedAt ?? '').localeCompare(a.releasedAt ?? '');
const STATUS_RANK: Record<string, number> = { live: 0, 'api-only': 1, 'coming-soon': 2 };
const statusRank = (m: ModelFile) => STATUS_RANK[m.status ?? ''] ?? 3;

/**
 * The default order: the content service's weight where a record has one (live data); the snapshot has no
 * source for it, so records without one follow: live models first, newest first.
 */
function byWeight(a: ModelFile, b: ModelFile): number {
  return (
    (b.weight ?? -1) - (a.weight ?? -1) || statusRank(a) - statusRank(b) || byNewest(a, b) || byName(a, b)
  );
}

function lowerBound(sorted: string[], value: string): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Bounded Damerau-Levenshtein (optimal string alignment): true when a and b differ by at most max edits. */
export function withinEdits(a: string, b: string, max: number): boolean {
  if (Math.abs(a.length - b.length) > max) return false;
  let prev2: number[] = [];
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        v = Math.min(v, prev2[j - 2]! + 1);
      cur[j] = v;
      rowMin = Math.min(rowMin, v);
    }
    if (rowMin > max) return false;
    prev2 = prev;
    prev = cur;
  }
  return prev[b.length]! <= max;
}

/** Plain Levenshtein distance (for suggestions on a miss; not on the search hot path). */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}
