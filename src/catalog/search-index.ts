import type { ModelFile } from './model-record.js';

export type SortOrder = 'relevance' | 'weight' | 'newest' | 'name';

export interface ModelQuery {
  capability?: string | undefined;
  category?: string | undefined;
  creator?: string | undefined;
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
  private readonly exactId = new Map<string, number>();
  private readonly orders: Record<Exclude<SortOrder, 'relevance'>, number[]>;

  constructor(private readonly models: readonly ModelFile[]) {
    models.forEach((m, i) => {
      add(this.byCategory, m.category, i);
      add(this.byCreator, m.creator, i);
      for (const c of m.capabilities) add(this.byCapability, c, i);
      this.exactId.set(m.air.toLowerCase(), i);
      this.exactId.set(m.model.toLowerCase(), i);
      this.post(m.name, i, FIELD_WEIGHT.name);
      this.post(`${m.air} ${m.model}`, i, FIELD_WEIGHT.id);
      this.post(m.creator.replace(/-/g, ' '), i, FIELD_WEIGHT.creator);
      this.post(m.capabilities.join(' ').replace(/[:-]/g, ' '), i, FIELD_WEIGHT.capability);
      this.post(m.headline, i, FIELD_WEIGHT.headline);
    });
    this.sortedTokens = [...this.postings.keys()].sort();
    for (const token of this.sortedTokens) {
      const list = this.tokensByLength.get(token.length) ?? [];
      list.push(token);
      this.tokensByLength.set(token.length, list);
    }
    const indices = models.map((_, i) => i);
    this.orders = {
      weight: [...indices].sort(
        (a, b) => models[b]!.weight - models[a]!.weight || byName(models[a]!, models[b]!),
      ),
      newest: [...indices].sort(
        (a, b) =>
          models[b]!.releasedAt.localeCompare(models[a]!.releasedAt) || byName(models[a]!, models[b]!),
      ),
      name: [...indices].sort((a, b) => byName(models[a]!, models[b]!)),
    };
  }

  private post(text: string, index: number, weight: number): void {
    for (const token of tokenize(text)) {
      let posting = this.postings.get(token);
      if (!posting) this.postings.set(token, (posting = new Map()));
      posting.set(index, Math.max(posting.get(index) ?? 0, weight));
    }
  }

  /** Every model matching all filters, in the requested order (relevance first when searching). */
  query(q: ModelQuery): ModelFile[] {
    const filters = [
      q.category ? (this.byCategory.get(q.category) ?? new Set<number>()) : undefined,
      q.capability ? (this.byCapability.get(q.capability) ?? new Set<number>()) : undefined,
      q.creator ? (this.byCreator.get(q.creator) ?? new Set<number>()) : undefined,
    ].filter((s): s is Set<number> => s !== undefined);
    const passes = (i: number) => filters.every((s) => s.has(i));
    const search = q.search?.trim();
    if (!search) {
      const order = this.orders[q.sort === 'relevance' || !q.sort ? 'weight' : q.sort];
      return order.filter(passes).map((i) => this.models[i]!);
    }
    const scores = this.score(search);
    const hits = [...scores.keys()].filter(passes);
    const sort = q.sort ?? 'relevance';
    if (sort === 'relevance') {
      hits.sort((a, b) => scores.get(b)! - scores.get(a)! || this.models[b]!.weight - this.models[a]!.weight);
      return hits.map((i) => this.models[i]!);
    }
    const rank = new Map(this.orders[sort].map((i, r) => [i, r]));
    return hits.sort((a, b) => rank.get(a)! - rank.get(b)!).map((i) => this.models[i]!);
  }

  /** Relevance per model; a model must match every query word. An exact AIR or slug wins outright. */
  private score(search: string): Map<number, number> {
    const exact = this.exactId.get(search.toLowerCase());
    if (exact !== undefined) return new Map([[exact, 1000]]);
    let total: Map<number, number> | undefined;
    for (const word of tokenize(search)) {
      const perWord = new Map<number, number>();
      const credit = (token: string, quality: number) => {
        for (const [i, weight] of this.postings.get(token) ?? []) {
          perWord.set(i, Math.max(perWord.get(i) ?? 0, quality * weight));
        }
      };
      credit(word, EXACT);
      for (let j = lowerBound(this.sortedTokens, word); j < this.sortedTokens.length; j++) {
        const token = this.sortedTokens[j]!;
        if (!token.startsWith(word)) break;
        if (token !== word) credit(token, PREFIX);
      }
      if (word.length >= 4) {
        const maxEdits = word.length >= 8 ? 2 : 1;
        for (let len = word.length - maxEdits; len <= word.length + maxEdits; len++) {
          for (const token of this.tokensByLength.get(len) ?? []) {
            if (token !== word && withinEdits(word, token, maxEdits)) credit(token, FUZZY);
          }
        }
      }
      if (!total) total = perWord;
      else {
        const next = new Map<number, number>();
        for (const [i, s] of perWord) if (total.has(i)) next.set(i, total.get(i)! + s);
        total = next;
      }
      if (total.size === 0) break;
    }
    return total ?? new Map();
  }
}

function add(map: Map<string, Set<number>>, key: string, i: number): void {
  const set = map.get(key) ?? new Set<number>();
  set.add(i);
  map.set(key, set);
}

const byName = (a: ModelFile, b: ModelFile) => a.name.localeCompare(b.name);

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
