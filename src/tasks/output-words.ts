/** How outputs are named to people, by kind; shared by the text results and the Studio app (no imports: the browser bundle takes it too). */
export const OUTPUT_NOUN: Record<string, string> = {
  image: 'image',
  video: 'video',
  audio: 'audio clip',
  '3d': '3D model',
  text: 'text',
  file: 'file',
  model: 'model',
};

/** "2 images, 1 text", or "no outputs". */
export function describeOutputs(outputs: ReadonlyArray<{ type: string }>): string {
  const counts = new Map<string, number>();
  for (const o of outputs) counts.set(o.type, (counts.get(o.type) ?? 0) + 1);
  const parts = [...counts].map(
    ([type, n]) => `${n} ${OUTPUT_NOUN[type] ?? type}${n === 1 || type === 'text' ? '' : 's'}`,
  );
  return parts.join(', ') || 'no outputs';
}
