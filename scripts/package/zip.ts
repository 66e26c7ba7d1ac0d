/** Writing the plugin zip, within the limits Dispatcharr's importer enforces. */
import { createWriteStream, statSync } from 'node:fs';
import yazl from 'yazl';

export interface ZipEntry {
  readonly name: string;
  /** A file to read, or the content itself. */
  readonly source: string | Buffer;
  readonly mode: number;
  /** False for content that is compressed already (the .xz files): stored as it is. */
  readonly compress: boolean;
}

/** Dispatcharr refuses an import of more files than this... */
export const IMPORT_LIMIT_FILES = 2000;
/** ...or of more bytes, counting every entry at its uncompressed size. */
export const IMPORT_LIMIT_BYTES = 200 * 1024 * 1024;

export function entrySize(entry: ZipEntry): number {
  return typeof entry.source === 'string' ? statSync(entry.source).size : entry.source.length;
}

/** The total uncompressed size; throws when the entries would not pass Dispatcharr's import. */
export function checkImportLimits(entries: readonly ZipEntry[]): number {
  if (entries.length > IMPORT_LIMIT_FILES)
    throw new Error(`${entries.length} files, above Dispatcharr's import limit of ${IMPORT_LIMIT_FILES}`);
  const total = entries.reduce((sum, entry) => sum + entrySize(entry), 0);
  if (total > IMPORT_LIMIT_BYTES) throw new Error(`${total} bytes uncompressed, above Dispatcharr's import limit of ${IMPORT_LIMIT_BYTES}`);
  return total;
}

export function writeZip(path: string, entries: readonly ZipEntry[]): Promise<void> {
  return new Promise((done, fail) => {
    const zip = new yazl.ZipFile();
    // A fixed time, so that the same inputs give the same zip.
    const mtime = new Date('2026-01-01T00:00:00Z');
    for (const entry of entries) {
      const options = { mtime, mode: entry.mode, compress: entry.compress };
      if (typeof entry.source === 'string') zip.addFile(entry.source, entry.name, options);
      else zip.addBuffer(entry.source, entry.name, options);
    }
    zip.outputStream
      .pipe(createWriteStream(path))
      .on('close', () => done())
      .on('error', fail);
    zip.end();
  });
}
