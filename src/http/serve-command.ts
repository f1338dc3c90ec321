export async function runServe(_argv: string[]): Promise<void> {
  throw new Error('serve: not built yet (issue 5)');
}
