import { chmod, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

/**
 * A real NGINX behind a shell wrapper that adds a timing the test wants: a slow first parse (CPU-bound, as
 * a huge config is), or an `nginx -t` that hangs while a marker file exists. Everything else is NGINX.
 */
export interface WrappedNginx {
  readonly binary: string;
  /** While this file exists, `nginx -t` hangs. */
  readonly hangMarker: string;
  /** While this file exists, `nginx -t` waits; it runs once the file is gone (a slow test of a big config). */
  readonly holdMarker: string;
  /** Each invocation's arguments, one line per call. */
  calls(): Promise<string[]>;
}

export async function wrappedNginx(options: { slowStartSeconds?: number }): Promise<WrappedNginx> {
  const dir = await mkdtemp(path.join(tmpdir(), 'gatehouse-nginx-wrapper-'));
  const binary = path.join(dir, 'nginx');
  const hangMarker = path.join(dir, 'hang-nginx-t');
  const holdMarker = path.join(dir, 'hold-nginx-t');
  const callLog = path.join(dir, 'calls');
  const slow = options.slowStartSeconds ?? 0;
  await writeFile(
    binary,
    `#!/bin/sh
echo "$*" >> '${callLog}'
case " $* " in
  *" -t "*)
    [ -e '${hangMarker}' ] && exec sleep 1000
    while [ -e '${holdMarker}' ]; do sleep 0.1; done ;;
  *"daemon off;"*)
    # Busy, as a master parsing a very large config is: the parse is slow, not stuck.
    end=$(( $(date +%s) + ${slow} ))
    while [ "$(date +%s)" -lt "$end" ]; do :; done ;;
esac
exec nginx "$@"
`,
  );
  await chmod(binary, 0o755);
  const calls = async (): Promise<string[]> =>
    (await readFile(callLog, 'utf8').catch(() => '')).split('\n').filter((l) => l !== '');
  return { binary, hangMarker, holdMarker, calls };
}
