/**
 * Binary files in the @iden3/binfileutils layout (magic, version, nSections, then id/u64 size/data), and reading an .r1cs file.
 */
import type { FileHandle } from 'node:fs/promises';
import { open, readFile } from 'node:fs/promises';
import { SetupError } from '../../errors.js';
import { R, concatBytes, u32le } from './field.js';

export class BinWriter {
  private pos = 0;
  private sectionEnd = -1;
  private constructor(private readonly fh: FileHandle) {}

  static async create(file: string, type: string, version: number, nSections: number): Promise<BinWriter> {
    const w = new BinWriter(await open(file, 'w+'));
    await w.raw(concatBytes([new TextEncoder().encode(type), u32le(version), u32le(nSections)]));
    return w;
  }

  async section(id: number, size: number): Promise<void> {
    if (this.sectionEnd !== -1 && this.pos !== this.sectionEnd) throw new SetupError(`internal error: section before ${id} has the wrong size`);
    const h = new Uint8Array(12);
    const dv = new DataView(h.buffer);
    dv.setUint32(0, id, true);
    dv.setBigUint64(4, BigInt(size), true);
    await this.raw(h);
    this.sectionEnd = this.pos + size;
  }

  async write(b: Uint8Array): Promise<void> {
    if (this.pos + b.byteLength > this.sectionEnd) throw new SetupError('internal error: section overflow');
    await this.raw(b);
  }

  /** Absolute file offset of the next byte. */
  get offset(): number {
    return this.pos;
  }

  async readAt(offset: number, length: number): Promise<Uint8Array> {
    const b = new Uint8Array(length);
    const { bytesRead } = await this.fh.read(b, 0, length, offset);
    if (bytesRead !== length) throw new SetupError('internal error: short read-back');
    return b;
  }

  async close(): Promise<void> {
    if (this.sectionEnd !== -1 && this.pos !== this.sectionEnd) throw new SetupError('internal error: last section has the wrong size');
    await this.fh.close();
  }

  async abort(): Promise<void> {
    await this.fh.close().catch(() => undefined);
  }

  private async raw(b: Uint8Array): Promise<void> {
    let off = 0;
    while (off < b.byteLength) {
      const { bytesWritten } = await this.fh.write(b, off, b.byteLength - off, this.pos);
      off += bytesWritten;
      this.pos += bytesWritten;
    }
  }
}

export interface BinSection {
  pos: number;
  size: number;
}

/** Section table of a binfileutils file (reads only the headers). */
export async function readSectionTable(file: string, type: string): Promise<Map<number, BinSection[]>> {
  const fh = await open(file, 'r');
  try {
    const head = new Uint8Array(12);
    await fh.read(head, 0, 12, 0);
    const magic = new TextDecoder().decode(head.subarray(0, 4));
    if (magic !== type) throw new SetupError(`${file} is not a .${type} file (magic "${magic}")`);
    const nSections = new DataView(head.buffer).getUint32(8, true);
    const out = new Map<number, BinSection[]>();
    let pos = 12;
    const size = (await fh.stat()).size;
    for (let i = 0; i < nSections; i++) {
      const h = new Uint8Array(12);
      const { bytesRead } = await fh.read(h, 0, 12, pos);
      if (bytesRead !== 12) throw new SetupError(`${file}: truncated section table`);
      const dv = new DataView(h.buffer);
      const id = dv.getUint32(0, true);
      const len = Number(dv.getBigUint64(4, true));
      pos += 12;
      if (pos + len > size) throw new SetupError(`${file}: section ${id} runs past the end of the file`);
      out.set(id, [...(out.get(id) ?? []), { pos, size: len }]);
      pos += len;
    }
    return out;
  } finally {
    await fh.close();
  }
}

export async function readRange(file: string, s: BinSection): Promise<Uint8Array> {
  const fh = await open(file, 'r');
  try {
    const b = new Uint8Array(s.size);
    await fh.read(b, 0, s.size, s.pos);
    return b;
  } finally {
    await fh.close();
  }
}

// ────────────────────────────────────────────────────────────────────────────────────────────────
// R1CS
// ────────────────────────────────────────────────────────────────────────────────────────────────

export interface R1csFile {
  prime: bigint;
  n8: number;
  nVars: number;
  nOutputs: number;
  nPubInputs: number;
  nPrvInputs: number;
  nConstraints: number;
  /** Raw constraint section: per constraint, A, B, C as (u32 n, n × (u32 signal, n8-byte LE coefficient)). */
  constraints: Uint8Array;
}

export async function readR1cs(file: string): Promise<R1csFile> {
  let buf: Buffer;
  try {
    buf = await readFile(file);
  } catch (e) {
    throw new SetupError(`cannot read the r1cs file ${file}: ${(e as Error).message}`, { cause: e });
  }
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  if (buf.byteLength < 12 || buf.subarray(0, 4).toString('latin1') !== 'r1cs') throw new SetupError(`${file} is not an .r1cs file`);
  const nSections = dv.getUint32(8, true);
  let pos = 12;
  let header: BinSection | undefined;
  let cons: BinSection | undefined;
  for (let i = 0; i < nSections; i++) {
    const id = dv.getUint32(pos, true);
    const size = Number(dv.getBigUint64(pos + 4, true));
    pos += 12;
    if (id === 1) header = { pos, size };
    if (id === 2) cons = { pos, size };
    pos += size;
  }
  if (!header || !cons || pos > buf.byteLength) throw new SetupError(`${file}: malformed r1cs (missing or truncated sections)`);
  let p = header.pos;
  const n8 = dv.getUint32(p, true);
  p += 4;
  let prime = 0n;
  for (let i = n8 - 1; i >= 0; i--) prime = (prime << 8n) | BigInt(buf[p + i]!);
  p += n8;
  const nVars = dv.getUint32(p, true);
  const nOutputs = dv.getUint32(p + 4, true);
  const nPubInputs = dv.getUint32(p + 8, true);
  const nPrvInputs = dv.getUint32(p + 12, true);
  const nConstraints = dv.getUint32(p + 24, true);
  if (prime !== R || n8 !== 32) {
    throw new SetupError(`${file}: the circuit is not over the BN254 scalar field`, { hint: 'compile with circom --prime bn128 (the default)' });
  }
  return {
    prime,
    n8,
    nVars,
    nOutputs,
    nPubInputs,
    nPrvInputs,
    nConstraints,
    constraints: new Uint8Array(buf.buffer, buf.byteOffset + cons.pos, cons.size),
  };
}

