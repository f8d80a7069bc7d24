/** `gatehouse status`, `gatehouse diff`: read a live controller's inspection endpoints and print them. */

export interface InspectFlags {
  /** Base URL of the controller's health port. */
  controller: string;
  json: boolean;
}

/**
 * GETs `/debug/<what>` from the controller and writes the answer. Exit code 0 on 200, 1 otherwise (the
 * controller's message, or why it could not be reached, goes to stderr).
 */
export async function inspectCommand(
  what: string,
  flags: InspectFlags,
  query: Record<string, string>,
  io: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream },
): Promise<number> {
  const url = new URL(`/debug/${what}`, flags.controller);
  for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
  if (flags.json) url.searchParams.set('format', 'json');
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  } catch (error) {
    io.stderr.write(
      `gatehouse: cannot reach the controller at ${flags.controller} (${(error as Error).message}); is it running, and is --controller its health port?\n`,
    );
    return 1;
  }
  const body = await res.text();
  if (!res.ok) {
    io.stderr.write(`gatehouse: ${url.pathname} answered ${res.status}: ${body}`);
    return 1;
  }
  io.stdout.write(body);
  return 0;
}
