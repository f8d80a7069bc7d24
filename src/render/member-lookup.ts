import nunjucks from 'nunjucks';

// Every `a.b` a template reads goes through nunjucks' runtime.memberLookup. Its compiled form declares the
// wrapper it returns for a method inside the function, so V8 gives every call a 48-byte context for `obj`
// and `val`, method or not: a server block reads about 285 members, so at 10,000 hosts that was 120 MiB of
// a whole render's garbage. The same lookup, with the wrapper made elsewhere, allocates only for a method
// (which the templates never call). nunjucks' compiled templates all call the one runtime object.

interface Runtime {
  memberLookup: (obj: unknown, val: string | number) => unknown;
}

function memberLookup(obj: unknown, val: string | number): unknown {
  if (obj === undefined || obj === null) return undefined;
  const member = (obj as Record<string | number, unknown>)[val];
  return typeof member === 'function' ? boundMember(obj, val) : member;
}

/** As nunjucks' wrapper: the member is looked up again when called, and called on its object. */
function boundMember(obj: unknown, val: string | number): (...args: unknown[]) => unknown {
  return (...args) =>
    ((obj as Record<string | number, unknown>)[val] as (...a: unknown[]) => unknown).apply(obj, args);
}

/** Puts the lookup above in nunjucks' runtime (once; the same answers as its own). */
export function useLeanMemberLookup(): void {
  (nunjucks.runtime as unknown as Runtime).memberLookup = memberLookup;
}
