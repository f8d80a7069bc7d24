import type { Location, Server } from '../model/nginx.ts';

// An edit changes one host, but nunjucks printing every host's server block was most of a reload's Node
// time at 10,000 hosts (render ~1 s of a ~1.6 s build, and most of its garbage). A server block's text
// depends only on its Server and on the few http-level values its partials read (the render context:
// render.ts), so a block is printed again only when either changed: the cache is keyed by host, and a
// block is reused when its Server is the same object or has the same content.
//
// One part of a Server moves without the host changing: its locations' route ids are indexes into the
// whole config's route list, so a host added, removed or given another path shifts the ids of every host
// after it. A block is therefore printed with its routes counted from the host's first one (as
// ROUTE_MARK + offset), and where each id stands in its text is kept; reusing it for a shifted host
// writes the new ids there. The output is the same as printing every block anew: a pure cache, checked
// by test/property/incremental. The cache keeps no text of its own: render joins the blocks into the
// config, and each cached block becomes a slice of it (keptIn).

/** A server block this module printed: the one kind of text the template prints as it is. */
export class RenderedBlock {
  readonly text: string;
  constructor(text: string) {
    this.text = text;
  }
}

/** Route ids a block is printed with: 10 digits (the `int` filter's most), far above any real route id. */
const ROUTE_MARK = 9_000_000_000;
const MARKED_ROUTE = /(?<=\$gatehouse_route )9(\d{9})(?=;)/;

interface Cached {
  readonly server: Server;
  /** The host's first route id. */
  readonly base: number;
  /**
   * The block's text: once the config it went into is made, a slice of that config (keptIn), so the
   * cache holds no text of its own beside the config the reconciler serves.
   */
  text: string;
  /** Where the block's route ids are in `text`, and each one's offset from `base`: position, offset, … */
  readonly routes: readonly number[];
}

export class ServerBlockCache {
  /** The render context the cached blocks were printed with; another one empties the cache. */
  private context = '';
  private blocks: Cached[] = [];
  private byHost = new Map<string, Cached>();
  /** How many blocks the last blocksFor printed (the others were reused). */
  printed = 0;

  /**
   * One block's text per server, in order: the cached one when neither the server nor the context
   * changed, else `print(server)`'s. Keeps only these servers' blocks, so the cache holds one config's
   * worth of blocks; keptIn then makes them parts of the config they were joined into.
   */
  blocksFor(servers: readonly Server[], context: string, print: (server: Server) => string): string[] {
    const previous = context === this.context ? this.byHost : new Map<string, never>();
    const blocks: Cached[] = [];
    let printed = 0;
    for (const server of servers) {
      const base = firstRoute(server.locations);
      const cached = previous.get(server.host);
      let entry: Cached;
      if (cached !== undefined && sameServer(cached.server, cached.base, server, base)) {
        entry = cached.base === base ? { ...cached, server } : shifted(cached, server, base);
      } else {
        const marked = { ...server, locations: server.locations.map((l) => relative(l, base)) };
        entry = { server, base, ...numbered(print(marked).split(MARKED_ROUTE), base) };
        printed += 1;
      }
      blocks.push(entry);
    }
    // Only once every block printed: a throw leaves the cache as it was.
    this.context = context;
    this.blocks = blocks;
    this.byHost = new Map(blocks.map((b) => [b.server.host, b]));
    this.printed = printed;
    return blocks.map((b) => b.text);
  }

  /**
   * The last blocksFor's blocks were joined, in order and nothing between them, into `config` from
   * `start`: each block's text becomes that part of it (V8 keeps a slice as a reference into its string).
   */
  keptIn(config: string, start: number): void {
    let at = start;
    for (const block of this.blocks) {
      const end = at + block.text.length;
      block.text = config.slice(at, end);
      at = end;
    }
  }
}

/** A block's text with its routes numbered from `base`, from the pieces its marked print was split into. */
function numbered(pieces: readonly string[], base: number): { text: string; routes: number[] } {
  let text = '';
  const routes: number[] = [];
  pieces.forEach((piece, i) => {
    if (i % 2 === 0) {
      text += piece;
    } else {
      routes.push(text.length, Number(piece));
      text += String(base + Number(piece));
    }
  });
  // A copy of exactly its length (kept as long as the block is; an array grown by push has room for more).
  return { text, routes: routes.slice() };
}

/** A cached block for the same server with its routes counted from another first route id. */
function shifted(cached: Cached, server: Server, base: number): Cached {
  const pieces: string[] = [];
  let at = 0;
  for (let k = 0; k < cached.routes.length; k += 2) {
    const position = cached.routes[k] ?? 0;
    const offset = cached.routes[k + 1] ?? 0;
    pieces.push(cached.text.slice(at, position), String(offset));
    at = position + String(cached.base + offset).length;
  }
  pieces.push(cached.text.slice(at));
  return { server, base, ...numbered(pieces, base) };
}

function firstRoute(locations: readonly Location[]): number {
  return locations.length === 0 ? 0 : Math.min(...locations.map((l) => l.route));
}

function relative(location: Location, base: number): Location {
  return { ...location, route: ROUTE_MARK + location.route - base };
}

/** The same server but for its route ids, which may be shifted as a whole (from `a` to `b`). */
function sameServer(a: Server, baseA: number, b: Server, baseB: number): boolean {
  return (
    a === b ||
    sameFields(a, b, (key, u, v) =>
      key === 'locations'
        ? a.locations.length === b.locations.length &&
          a.locations.every((l, i) => {
            const m = b.locations[i];
            return (
              m !== undefined &&
              l.route - baseA === m.route - baseB &&
              (l === m || sameFields(l, m, (k, p, q) => k === 'route' || sameData(p, q)))
            );
          })
        : sameData(u, v),
    )
  );
}

/**
 * Whether two model values hold the same data: the same primitives, arrays of the same length and items,
 * objects with the same keys in the same order and values (a key set to undefined differs from an absent
 * one, as in the template's `is defined`). Shared parts are not walked.
 */
function sameData(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b))
    return a.length === b.length && a.every((v, i) => sameData(v, b[i]));
  return sameFields(a, b, (_, u, v) => sameData(u, v));
}

/** The same keys in the same order, and `same` for each key's two values. */
function sameFields(a: object, b: object, same: (key: string, u: unknown, v: unknown) => boolean): boolean {
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  const keys = Object.keys(x);
  const other = Object.keys(y);
  return keys.length === other.length && keys.every((k, i) => k === other[i] && same(k, x[k], y[k]));
}
