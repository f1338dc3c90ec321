import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateSync } from 'node:zlib';

/** Deterministic, real (decodable) output files: the simulator serves them back under /media/. */

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

function crc32(buf: Buffer): number {
  let c = 0xffffffff;
  for (const byte of buf) c = CRC_TABLE[(c ^ byte) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'ascii');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

/** A gradient PNG whose colours derive from the seed. Real sizes are capped to keep files small. */
export function renderPng(seed: number, width: number, height: number): Buffer {
  const w = Math.max(1, Math.min(256, Math.round(width / 8)));
  const h = Math.max(1, Math.min(256, Math.round(height / 8)));
  const digest = createHash('sha256').update(String(seed)).digest();
  const raw = Buffer.alloc((w * 3 + 1) * h);
  for (let y = 0; y < h; y++) {
    const row = y * (w * 3 + 1);
    raw[row] = 0; // filter: none
    for (let x = 0; x < w; x++) {
      const o = row + 1 + x * 3;
      raw[o] = (digest[0]! + (x * 255) / w) & 0xff;
      raw[o + 1] = (digest[1]! + (y * 255) / h) & 0xff;
      raw[o + 2] = (digest[2]! + ((x + y) * 127) / (w + h)) & 0xff;
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // colour type RGB
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

const noiseCache = new Map<string, Buffer>();

/**
 * A full-size PNG of pseudo-random noise (incompressible, so it weighs what a real photo of that size does).
 * Cached per size: rendering megabytes on every request would dominate any timing taken against the simulator.
 */
export function renderNoisePng(width: number, height: number): Buffer {
  const w = Math.max(1, Math.min(4096, Math.round(width)));
  const h = Math.max(1, Math.min(4096, Math.round(height)));
  const key = `${w}x${h}`;
  const cached = noiseCache.get(key);
  if (cached) return cached;
  const raw = Buffer.alloc((w * 3 + 1) * h);
  let state = 0x2545f491;
  for (let y = 0; y < h; y++) {
    const row = y * (w * 3 + 1);
    for (let i = 1; i <= w * 3; i++) {
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      raw[row + i] = state & 0xff;
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr[8] = 8;
  ihdr[9] = 2;
  const png = Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw, { level: 1 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
  noiseCache.set(key, png);
  return png;
}

/** One second of a seed-pitched sine tone as 16-bit mono PCM WAV (8 kHz keeps it small). */
export function renderWav(seed: number, seconds = 1): Buffer {
  const rate = 8000;
  const samples = Math.max(1, Math.min(10, seconds)) * rate;
  const data = Buffer.alloc(samples * 2);
  const freq = 220 + (seed % 660);
  for (let i = 0; i < samples; i++)
    data.writeInt16LE(Math.round(Math.sin((2 * Math.PI * freq * i) / rate) * 8000), i * 2);
  const header = Buffer.alloc(44);
  header.write('RIFF', 0, 'ascii');
  header.writeUInt32LE(36 + data.length, 4);
  header.write('WAVEfmt ', 8, 'ascii');
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20);
  header.writeUInt16LE(1, 22);
  header.writeUInt32LE(rate, 24);
  header.writeUInt32LE(rate * 2, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36, 'ascii');
  header.writeUInt32LE(data.length, 40);
  return Buffer.concat([header, data]);
}

export function renderSvg(seed: number): Buffer {
  const hue = seed % 360;
  return Buffer.from(
    `<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64"><circle cx="32" cy="32" r="28" fill="hsl(${hue},70%,50%)"/></svg>`,
  );
}

/**
 * A real, playable clip (1 s, 160x90 H.264 + AAC, a test pattern and a tone; fixtures/media/clip.mp4, made with
 * Debian's ffmpeg): browsers play what the simulator returns, as they would Runware's MP4 outputs.
 */
let clip: Buffer | undefined;
export function renderMp4(): Buffer {
  clip ??= readFileSync(join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'media', 'clip.mp4'));
  return clip;
}

/** A minimal glTF binary header with an empty JSON chunk. */
export function renderGlb(): Buffer {
  const json = Buffer.from('{"asset":{"version":"2.0"}}  ');
  const header = Buffer.alloc(20);
  header.write('glTF', 0, 'ascii');
  header.writeUInt32LE(2, 4);
  header.writeUInt32LE(20 + json.length, 8);
  header.writeUInt32LE(json.length, 12);
  header.write('JSON', 16, 'ascii');
  return Buffer.concat([header, json]);
}

export const MIME: Record<string, string> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  webp: 'image/webp',
  wav: 'audio/wav',
  mp3: 'audio/mpeg',
  mp4: 'video/mp4',
  svg: 'image/svg+xml',
  glb: 'model/gltf-binary',
};
