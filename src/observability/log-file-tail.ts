import { execFile } from 'node:child_process';
import { open, type FileHandle } from 'node:fs/promises';

/** A log file NGINX appends to and this process reads as it grows. */
export interface LogFileTail {
  /** What NGINX's `access_log` should name: the file's path. */
  readonly target: string;
  /**
   * Reads what NGINX has written so far (tests, benchmarks; the tail also reads on its own timer); resolves
   * to the number of bytes read.
   */
  poll(): Promise<number>;
  close(): Promise<void>;
}

export interface LogFileTailOptions {
  /** How often the file is read. NGINX itself writes at least every second (`flush=1s`). */
  readonly pollMs?: number;
  /** Bytes read since the last reclaim after which the read part's disk space is given back. */
  readonly reclaimBytes?: number;
}

const CHUNK = 1024 * 1024;
const MIN_READ = 64 * 1024;
const PAGE = 4096;

/**
 * Follows a log file NGINX writes in blocks (`buffer=64k flush=1s`): one write per block instead of one
 * datagram per request, which cost the data plane as much as the rest of the request. Starts at the end
 * (what was written before is an earlier controller's), hands each complete line to `onLine`, and keeps the
 * file bounded without a race with NGINX's appends: the part already read is cut off the front
 * (`fallocate`, util-linux; see below), so nothing NGINX writes meanwhile is lost, as it could be if the
 * file were truncated or renamed under it.
 */
export async function tailLogFile(
  file: string,
  /** False: the line was not taken (the reader is behind); it and the rest are read again at the next poll. */
  onLine: (line: Buffer) => boolean,
  options: LogFileTailOptions = {},
): Promise<LogFileTail> {
  const handle: FileHandle = await open(file, 'a+', 0o600);
  let offset = (await handle.stat()).size;
  let reclaimedTo = 0;
  let partial: Buffer = Buffer.alloc(0);
  let reading: Promise<number> | undefined;
  let closed = false;
  // Whether fallocate could cut the file (false once it could do neither).
  let cut = true;

  const readAll = async (): Promise<number> => {
    const from = offset;
    const { size } = await handle.stat();
    // Truncated by someone else: start again from its beginning.
    if (size < offset) {
      offset = 0;
      reclaimedTo = 0;
      partial = Buffer.alloc(0);
    }
    // Nothing new (an idle proxy, or between NGINX's flushes): no buffer, no read.
    if (size === offset) return 0;
    let caughtUp = false;
    for (let full = false; !full;) {
      // A fresh buffer each time: the lines handed out point into it. Sized to what the file holds beyond
      // what was read (at least 64 KiB: it may have grown since), not always a chunk: each is memory
      // outside the heap, and allocating a chunk 4 times a second set off the idle controller's major GCs.
      const length = Math.min(CHUNK, Math.max(size - offset, MIN_READ));
      const chunk = Buffer.allocUnsafe(length);
      const { bytesRead } = await handle.read(chunk, 0, length, offset);
      if (bytesRead === 0) {
        caughtUp = true;
        break;
      }
      // The file offset of data[0].
      const base = offset - partial.length;
      offset += bytesRead;
      let data = chunk.subarray(0, bytesRead);
      if (partial.length > 0) data = Buffer.concat([partial, data]);
      let start = 0;
      for (let nl = data.indexOf(10); nl >= 0; nl = data.indexOf(10, start)) {
        if (nl > start && !onLine(data.subarray(start, nl))) {
          // The reader is behind: the file keeps the rest until the next poll.
          offset = base + start;
          full = true;
          break;
        }
        start = nl + 1;
      }
      if (full) partial = Buffer.alloc(0);
      // A line longer than a chunk is not one of NGINX's: dropped rather than kept growing.
      else partial = data.length - start > CHUNK ? Buffer.alloc(0) : Buffer.from(data.subarray(start));
      if (bytesRead < length) {
        caughtUp = !full;
        break;
      }
    }
    const reclaimable = Math.floor((offset - partial.length) / PAGE) * PAGE;
    if (reclaimable - reclaimedTo >= (options.reclaimBytes ?? 64 * 1024 * 1024)) {
      if (cut && (await fallocate(file, '--collapse-range', reclaimable))) {
        // What was read is gone and the rest moved to the front.
        offset -= reclaimable;
        reclaimedTo = 0;
      } else if (cut && (await fallocate(file, '--punch-hole', reclaimable))) {
        reclaimedTo = reclaimable;
      } else if (caughtUp && partial.length === 0) {
        // Last resort (no util-linux, or a file system that can do neither): start the file again, once
        // everything in it was read. A block NGINX appends between that read and this is lost; a file
        // growing without bound would be worse.
        cut = false;
        await handle.truncate(0);
        offset = 0;
        reclaimedTo = 0;
      }
    }
    return offset - from;
  };
  const poll = (): Promise<number> => {
    reading ??= readAll().finally(() => (reading = undefined));
    return reading;
  };
  const timer = setInterval(() => {
    if (!closed) poll().catch(() => undefined);
  }, options.pollMs ?? 250);
  timer.unref();
  return {
    target: file,
    poll,
    close: async () => {
      closed = true;
      clearInterval(timer);
      await reading?.catch(() => undefined);
      await handle.close();
    },
  };
}

/**
 * Gives back the file's first `length` bytes, atomically with NGINX's appends (both hold the inode's lock):
 * `--collapse-range` removes them (ext4, XFS; the file shrinks), `--punch-hole` frees their blocks (tmpfs
 * too; size and offsets stay). Best effort: false when it could not (no util-linux, no support).
 */
function fallocate(
  file: string,
  mode: '--collapse-range' | '--punch-hole',
  length: number,
): Promise<boolean> {
  return new Promise((resolve) => {
    execFile('fallocate', [mode, '--offset', '0', '--length', String(length), file], (error) =>
      resolve(error === null),
    );
  });
}
