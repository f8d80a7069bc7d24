/** NGINX refused a configuration; `stderr` is NGINX's own message. */
export class NginxConfigError extends Error {
  override readonly name = 'NginxConfigError';
  readonly stderr: string;
  constructor(message: string, stderr: string) {
    super(message);
    this.stderr = stderr;
  }
}

/** NGINX could not be started, reloaded or verified. */
export class NginxProcessError extends Error {
  override readonly name = 'NginxProcessError';
}

/** The `[emerg]` / `[error]` lines of NGINX's output, without the `nginx: ` noise: what a person needs. */
export function nginxMessage(stderr: string): string {
  const lines = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => /\[(emerg|alert|crit|error)\]/.test(l));
  return (
    lines.length > 0
      ? lines
      : stderr
          .split('\n')
          .filter((l) => l.trim() !== '')
          .slice(0, 3)
  )
    .map((l) => l.replace(/^nginx: /, ''))
    .join('; ');
}
