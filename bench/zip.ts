/**
 * Just enough of the zip format to read the deployment packages: the central directory, and stored
 * or deflated entries (what serverless writes). No zip64, no encryption: a package needing them is an
 * error, not a silent skip.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { inflateRawSync } from 'node:zlib';

export interface ZipEntry {
  name: string;
  size: number;
  compressedSize: number;
  method: number;
  offset: number;
}

const END_OF_CENTRAL_DIRECTORY = 0x06054b50;
const CENTRAL_FILE_HEADER = 0x02014b50;
const LOCAL_FILE_HEADER = 0x04034b50;

export function zipEntries(zip: Buffer): ZipEntry[] {
  let end = -1;
  for (let i = zip.length - 22; i >= Math.max(0, zip.length - 22 - 0xffff); i--) {
    if (zip.readUInt32LE(i) === END_OF_CENTRAL_DIRECTORY) {
      end = i;
      break;
    }
  }
  if (end < 0) throw new Error('not a zip file (no end of central directory)');
  const count = zip.readUInt16LE(end + 10);
  let at = zip.readUInt32LE(end + 16);
  const entries: ZipEntry[] = [];
  for (let i = 0; i < count; i++) {
    if (zip.readUInt32LE(at) !== CENTRAL_FILE_HEADER) throw new Error('corrupt zip central directory');
    const nameLength = zip.readUInt16LE(at + 28);
    const extraLength = zip.readUInt16LE(at + 30);
    const commentLength = zip.readUInt16LE(at + 32);
    const entry: ZipEntry = {
      method: zip.readUInt16LE(at + 10),
      compressedSize: zip.readUInt32LE(at + 20),
      size: zip.readUInt32LE(at + 24),
      name: zip.toString('utf8', at + 46, at + 46 + nameLength),
      offset: zip.readUInt32LE(at + 42),
    };
    if (entry.size === 0xffffffff || entry.offset === 0xffffffff) throw new Error('zip64 is not supported');
    entries.push(entry);
    at += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

export function entryData(zip: Buffer, entry: ZipEntry): Buffer {
  if (zip.readUInt32LE(entry.offset) !== LOCAL_FILE_HEADER)
    throw new Error(`corrupt zip entry ${entry.name}`);
  const start = entry.offset + 30 + zip.readUInt16LE(entry.offset + 26) + zip.readUInt16LE(entry.offset + 28);
  const raw = zip.subarray(start, start + entry.compressedSize);
  if (entry.method === 0) return Buffer.from(raw);
  if (entry.method === 8) return inflateRawSync(raw);
  throw new Error(`zip entry ${entry.name} uses compression method ${entry.method}`);
}

/** Extracts every file of `zipFile` under `dir`; returns the entries. */
export function unzip(zipFile: string, dir: string): ZipEntry[] {
  const zip = readFileSync(zipFile);
  const entries = zipEntries(zip);
  for (const entry of entries) {
    if (entry.name.endsWith('/')) continue;
    const target = normalize(join(dir, entry.name));
    if (!target.startsWith(normalize(dir))) throw new Error(`zip entry ${entry.name} escapes the directory`);
    mkdirSync(dirname(target), { recursive: true });
    const data = entryData(zip, entry);
    if (data.length !== entry.size) throw new Error(`zip entry ${entry.name} has the wrong size`);
    writeFileSync(target, data);
  }
  return entries;
}
