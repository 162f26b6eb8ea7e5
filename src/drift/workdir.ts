import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, readdir, readFile, readlink } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';

/** Most files a working directory may hold to be checked; a larger one is reported as not checked. */
export const MAX_WORKDIR_FILES = 100_000;
/** Most bytes a working directory may hold to be checked. */
export const MAX_WORKDIR_BYTES = 1024 ** 3;
/** Most files whose fingerprints are kept one by one (so a drift names the file); above, only the total. */
export const MAX_MANIFEST_FILES = 5_000;
/** Files larger than this are hashed as a stream rather than read whole, bytes. */
const STREAM_ABOVE_BYTES = 16 * 1024 * 1024;

/**
 * The checksum of a revision's working directory, taken when the revision was created and compared
 * with the directory at every drift pass.
 */
export interface DirectoryChecksum {
  /** SHA-256 (hex) over every entry's relative path and content hash, sorted by path. */
  sha256: string;
  /** Regular files and symbolic links. */
  files: number;
  /** Bytes of the regular files. */
  bytes: number;
  /**
   * Each entry's fingerprint by relative path (`/`-separated): `sha256:<16 hex>` of a file's content,
   * `symlink:<target>` of a link. Absent above {@link MAX_MANIFEST_FILES} entries.
   */
  manifest?: Record<string, string>;
}

/** A directory that cannot be checked: missing, unreadable, or beyond the limits. */
export interface DirectoryNotChecked {
  error: string;
}

/** What the stat-based cache remembers of a file: it is hashed again only when one of these changed. */
interface CachedFile {
  ino: number;
  size: number;
  mtimeMs: number;
  ctimeMs: number;
  sha256: string;
}

/**
 * Checksums of working directories: every regular file's content and every symbolic link's target
 * (not followed), by path relative to the directory; `exclude`d paths (cutover's own files when the
 * data directory lies inside) are left out. A file is read again only when its inode, size, mtime or ctime changed
 * since the last pass (ctime cannot be set back by a user, so an edit is never missed), which keeps
 * a pass over an unchanged `node_modules` to a few `lstat`s per file.
 */
export class DirectoryHasher {
  readonly #cache = new Map<string, CachedFile>();
  readonly #exclude: (path: string) => boolean;

  /** @param exclude - whether an absolute path is left out (a directory: everything under it). @default none */
  constructor(exclude: (path: string) => boolean = () => false) {
    this.#exclude = exclude;
  }

  /** The checksum of `dir` now, or why it cannot be taken. Never throws. */
  async checksum(dir: string): Promise<DirectoryChecksum | DirectoryNotChecked> {
    const entries: [string, string][] = [];
    let bytes = 0;
    const seen = new Set<string>();
    const walk = async (path: string): Promise<string | undefined> => {
      let names: string[];
      try {
        names = (await readdir(path)).sort();
      } catch (error) {
        return `cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`;
      }
      for (const name of names) {
        const full = join(path, name);
        if (this.#exclude(full)) continue;
        let stat: Awaited<ReturnType<typeof lstat>>;
        try {
          stat = await lstat(full);
        } catch {
          continue; // removed while walking: the next pass sees it gone
        }
        const rel = relative(dir, full).split(sep).join('/');
        if (stat.isDirectory()) {
          const problem = await walk(full);
          if (problem !== undefined) return problem;
          continue;
        }
        if (stat.isSymbolicLink()) {
          try {
            entries.push([rel, `symlink:${await readlink(full)}`]);
          } catch {
            continue;
          }
        } else if (stat.isFile()) {
          bytes += stat.size;
          if (bytes > MAX_WORKDIR_BYTES) return `more than ${MAX_WORKDIR_BYTES} bytes`;
          const hash = await this.#fileHash(full, stat);
          if (hash === undefined) continue;
          seen.add(full);
          entries.push([rel, hash]);
        } else {
          continue; // sockets, FIFOs, devices: no content to compare
        }
        if (entries.length > MAX_WORKDIR_FILES) return `more than ${MAX_WORKDIR_FILES} files`;
      }
      return undefined;
    };
    try {
      const top = await lstat(dir);
      if (!top.isDirectory()) return { error: `${dir} is not a directory` };
    } catch (error) {
      return { error: `cannot read ${dir}: ${(error as NodeJS.ErrnoException).code ?? String(error)}` };
    }
    const problem = await walk(dir);
    for (const path of this.#cache.keys()) {
      if ((path === dir || path.startsWith(dir + sep)) && !seen.has(path)) this.#cache.delete(path);
    }
    if (problem !== undefined) return { error: problem };
    entries.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    const total = createHash('sha256');
    for (const [rel, hash] of entries) total.update(`${rel}\0${hash}\n`);
    const checksum: DirectoryChecksum = { sha256: total.digest('hex'), files: entries.length, bytes };
    if (entries.length <= MAX_MANIFEST_FILES) {
      checksum.manifest = Object.fromEntries(
        entries.map(([rel, hash]) => [
          rel,
          hash.startsWith('symlink:') ? hash : `sha256:${hash.slice(0, 16)}`,
        ]),
      );
    }
    return checksum;
  }

  /** The SHA-256 (hex) of a file's content, from the cache when its stat is unchanged. */
  async #fileHash(
    path: string,
    stat: { ino: number; size: number; mtimeMs: number; ctimeMs: number },
  ): Promise<string | undefined> {
    const cached = this.#cache.get(path);
    if (
      cached !== undefined &&
      cached.ino === stat.ino &&
      cached.size === stat.size &&
      cached.mtimeMs === stat.mtimeMs &&
      cached.ctimeMs === stat.ctimeMs
    )
      return cached.sha256;
    let sha256: string;
    try {
      sha256 =
        stat.size > STREAM_ABOVE_BYTES
          ? await streamHash(path)
          : createHash('sha256')
              .update(await readFile(path))
              .digest('hex');
    } catch {
      return undefined; // unreadable or removed meanwhile: not part of this pass
    }
    this.#cache.set(path, {
      ino: stat.ino,
      size: stat.size,
      mtimeMs: stat.mtimeMs,
      ctimeMs: stat.ctimeMs,
      sha256,
    });
    return sha256;
  }
}

function streamHash(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(path)
      .on('data', (chunk) => hash.update(chunk))
      .on('end', () => resolve(hash.digest('hex')))
      .on('error', reject);
  });
}
