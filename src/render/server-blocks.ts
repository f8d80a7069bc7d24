import type { Server } from '../model/nginx.ts';

// An edit changes one host, but nunjucks printing every host's server block was most of a reload's Node
// time at 10,000 hosts (render ~800 ms of a ~1.2 s build, and most of its garbage). A server block's text
// depends only on its Server and on the few http-level values its partials read (the render context:
// serverBlockContext in render.ts), so a block is printed again only when either changed: the cache is
// keyed by host, and a block is reused when its Server is the same object or has the same content. The
// output is the same as printing every block anew: a pure cache, checked by test/property/incremental.

/** A server block this module printed: the one kind of text the template prints as it is. */
export class RenderedBlock {
  readonly text: string;
  constructor(text: string) {
    this.text = text;
  }
}

export class ServerBlockCache {
  /** The render context the cached blocks were printed with; another one empties the cache. */
  private context = '';
  private blocks = new Map<string, { readonly server: Server; readonly block: RenderedBlock }>();
  /** How many blocks the last blocksFor printed (the others were reused). */
  printed = 0;

  /**
   * One block per server, in order: the cached one when neither the server nor the context changed, else
   * `print(server)`'s. Keeps only these servers' blocks, so the cache holds one config's worth of text.
   */
  blocksFor(servers: readonly Server[], context: string, print: (server: Server) => string): RenderedBlock[] {
    const previous = context === this.context ? this.blocks : new Map<string, never>();
    const next = new Map<string, { readonly server: Server; readonly block: RenderedBlock }>();
    let printed = 0;
    const blocks = servers.map((server) => {
      const cached = previous.get(server.host);
      const reuse = cached !== undefined && sameData(cached.server, server);
      const block = reuse ? cached.block : new RenderedBlock(print(server));
      if (!reuse) printed += 1;
      next.set(server.host, { server, block });
      return block;
    });
    // Only once every block printed: a throw leaves the cache as it was.
    this.context = context;
    this.blocks = next;
    this.printed = printed;
    return blocks;
  }
}

/**
 * Whether two model values hold the same data: the same primitives, arrays of the same length and items,
 * objects with the same keys in the same order and values (a key set to undefined differs from an absent
 * one, as in the template's `is defined`). Shared parts are not walked.
 */
export function sameData(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b))
    return a.length === b.length && a.every((v, i) => sameData(v, b[i]));
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  const keys = Object.keys(x);
  const other = Object.keys(y);
  return keys.length === other.length && keys.every((k, i) => k === other[i] && sameData(x[k], y[k]));
}
