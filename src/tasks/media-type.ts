/** What a file is, read from its first bytes: names and extensions lie, magic numbers rarely do. */
export interface MediaType {
  mime: string;
  kind: 'image' | 'video' | 'audio';
  ext: string;
}

const at = (bytes: Buffer, offset: number, text: string) =>
  bytes.length >= offset + text.length && bytes.toString('latin1', offset, offset + text.length) === text;

/** The media types Runware takes as inputs, recognised by signature; undefined for anything else. */
export function sniffMediaType(bytes: Buffer): MediaType | undefined {
  if (at(bytes, 0, '\x89PNG\r\n\x1a\n')) return { mime: 'image/png', kind: 'image', ext: 'png' };
  if (bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff)
    return { mime: 'image/jpeg', kind: 'image', ext: 'jpg' };
  if (at(bytes, 0, 'RIFF') && at(bytes, 8, 'WEBP')) return { mime: 'image/webp', kind: 'image', ext: 'webp' };
  if (at(bytes, 0, 'GIF87a') || at(bytes, 0, 'GIF89a'))
    return { mime: 'image/gif', kind: 'image', ext: 'gif' };
  if (at(bytes, 0, 'BM')) return { mime: 'image/bmp', kind: 'image', ext: 'bmp' };
  if (at(bytes, 0, 'II*\0') || at(bytes, 0, 'MM\0*'))
    return { mime: 'image/tiff', kind: 'image', ext: 'tiff' };
  if (at(bytes, 4, 'ftyp')) {
    const brand = bytes.toString('latin1', 8, 12);
    if (/^(avif|avis)$/.test(brand)) return { mime: 'image/avif', kind: 'image', ext: 'avif' };
    if (/^(heic|heix|mif1|msf1)$/.test(brand)) return { mime: 'image/heic', kind: 'image', ext: 'heic' };
    if (/^M4A ?$/.test(brand.trim())) return { mime: 'audio/mp4', kind: 'audio', ext: 'm4a' };
    if (brand === 'qt  ') return { mime: 'video/quicktime', kind: 'video', ext: 'mov' };
    return { mime: 'video/mp4', kind: 'video', ext: 'mp4' };
  }
  if (bytes[0] === 0x1a && bytes[1] === 0x45 && bytes[2] === 0xdf && bytes[3] === 0xa3)
    return { mime: 'video/webm', kind: 'video', ext: 'webm' };
  if (at(bytes, 0, 'RIFF') && at(bytes, 8, 'WAVE')) return { mime: 'audio/wav', kind: 'audio', ext: 'wav' };
  if (at(bytes, 0, 'ID3') || (bytes[0] === 0xff && ((bytes[1] ?? 0) & 0xe0) === 0xe0))
    return { mime: 'audio/mpeg', kind: 'audio', ext: 'mp3' };
  if (at(bytes, 0, 'fLaC')) return { mime: 'audio/flac', kind: 'audio', ext: 'flac' };
  if (at(bytes, 0, 'OggS')) return { mime: 'audio/ogg', kind: 'audio', ext: 'ogg' };
  return undefined;
}

export const KNOWN_INPUT_TYPES =
  'PNG, JPEG, WebP, GIF, BMP, TIFF, AVIF, HEIC, MP4, MOV, WebM, WAV, MP3, FLAC, OGG, M4A';
