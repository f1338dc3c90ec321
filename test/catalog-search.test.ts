import { describe, expect, it } from 'vitest';
import { Catalog } from '../src/catalog/catalog.js';
import { withinEdits } from '../src/catalog/search-index.js';

const catalog = new Catalog();
const airs = (q: Parameters<Catalog['list']>[0]) =>
  catalog.list({ limit: 100, ...q }).models.map((m) => m.air);

describe('catalog search index', () => {
  it('ranks name matches first and requires every word', () => {
    expect(airs({ search: 'veo 3.1' })[0]).toMatch(/^google:(3@2|3@3|veo@3\.1-lite)$/);
    expect(airs({ search: 'kontext pro' })[0]).toBe('bfl:3@1');
    expect(airs({ search: 'kontext pro zzzz' })).toEqual([]);
  });

  it('finds by AIR, slug, creator and capability words, and by prefix', () => {
    expect(airs({ search: 'runware:101@1' })).toEqual(['runware:101@1']);
    expect(airs({ search: 'bfl-flux-2-dev' })).toEqual(['runware:400@1']);
    expect(airs({ search: 'anthropic' }).length).toBeGreaterThanOrEqual(2);
    expect(airs({ search: 'lip sync' })).toContain('sync:lipsync-2@1');
    expect(airs({ search: 'seeda' })).toContain('bytedance:seedance@2.0');
  });

  it('tolerates typos', () => {
    expect(airs({ search: 'sedance' })).toContain('bytedance:seedance@2.0');
    expect(airs({ search: 'hailou' })).toContain('minimax:4@1');
    expect(withinEdits('banana', 'banaan', 1)).toBe(true);
    expect(withinEdits('banana', 'bandana', 1)).toBe(true);
    expect(withinEdits('banana', 'cabana', 1)).toBe(false);
  });

  it('combines filters with text and sorts on request', () => {
    const edits = catalog.list({
      category: 'image',
      capability: 'op:edit',
      search: 'flux',
      limit: 100,
    }).models;
    expect(edits.length).toBeGreaterThan(0);
    expect(edits.every((m) => m.category === 'image' && m.capabilities.includes('op:edit'))).toBe(true);
    const newest = catalog
      .list({ category: 'video', sort: 'newest', limit: 100 })
      .models.map((m) => m.releasedAt);
    // Dated models newest first; models whose page gave no date come last.
    const dated = newest.filter((d) => d !== undefined);
    expect(newest.slice(0, dated.length)).toEqual([...dated].sort().reverse());
    expect(newest.slice(dated.length).every((d) => d === undefined)).toBe(true);
    const byName = catalog.list({ category: 'text', sort: 'name', limit: 100 }).models.map((m) => m.name);
    expect(byName).toEqual([...byName].sort((a, b) => a.localeCompare(b)));
  });
});
