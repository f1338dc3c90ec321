export async function runStdio(_argv: string[]): Promise<void> {
  throw new Error('stdio mode: not built yet (issue 3)');
}
