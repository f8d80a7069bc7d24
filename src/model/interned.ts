// Strings kept for as long as a config is served (translate's memo: its Servers and their upstreams, routes
// and backend uses) are mostly made by template literals, which V8 keeps as trees of concatenations: the
// location comment `ingress team-0/app-1` is a node over `ingress team-0/` (itself a node) and `app-1`, about
// 60 bytes of nodes beside the characters. Most are also equal to many others: every Ingress's first path is
// `spec.rules[0].http.paths[0]`. At 10,000 Ingresses that was ~8 MiB of the settled leader's heap
// (scripts/heap-owners.ts). A string V8 internalizes (as it does a property name) is one flat copy shared by
// every equal string: the string given turns into a reference to that copy, which the next GC follows, so
// equal strings share one copy and no tree is kept.

/** A scratch object whose property stores make V8 internalize the name (it holds no property after). */
const scratch: Record<string, number> = Object.create(null) as Record<string, number>;

/** `text`, made V8's one shared flat copy of it (see above): for strings kept as long as a served config. */
export function interned(text: string): string {
  scratch[text] = 0;
  // eslint-disable-next-line @typescript-eslint/no-dynamic-delete -- only to leave the object empty
  delete scratch[text];
  return text;
}

/**
 * Equal model values made one object, for one translate: most locations' settings are the same few (the
 * defaults, with or without the HTTPS redirect), and each location built its own (~190 bytes each, 20,000 at
 * 10,000 Ingresses). Values are compared by their JSON (an undefined property counts, as the template's
 * `is defined` tells it from an absent one); model values are plain data, never changed once built.
 */
export class SharedValues {
  private readonly byContent = new Map<string, unknown>();

  of<T extends object>(value: T): T {
    const key = JSON.stringify(value, marked);
    const known = this.byContent.get(key);
    if (known !== undefined) return known as T;
    this.byContent.set(key, value);
    return value;
  }
}

/**
 * An undefined property as `\0u` in a SharedValues key, and a string that starts with `\0` with one more:
 * no two different values get the same key.
 */
function marked(_: string, v: unknown): unknown {
  if (v === undefined) return '\0u';
  return typeof v === 'string' && v.startsWith('\0') ? `\0${v}` : v;
}
