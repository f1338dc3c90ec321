export async function runCatalogCommand(_argv: string[]): Promise<void> {
  throw new Error('catalog refresh: not built yet (issue 3)');
}
