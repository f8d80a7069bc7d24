import nunjucks from 'nunjucks';

// nunjucks runs each `{% include %}` as a template render of its own: a template lookup, a copy of the
// whole render context, a new frame and a chain of callbacks (a-sync-waterfall) to join its output. A
// server block includes about ten partials (server, listen, a location and its proxy partials for each
// path), so at 10,000 hosts that machinery was most of a whole render's garbage: 54 of the 88 KiB a host's
// block allocated for its 900 bytes of text. The loader below therefore writes each included partial
// into the template that includes it when the template is loaded, as the body of a `{% call %}`: a
// caller body runs in a frame of its own that reads the includer's variables, and its `set`s stay its
// own, as an include's do, without the lookup, the copy and the callbacks. The text printed is the same
// (test/unit/render-inlined-partials.test.ts, the goldens). An error in a partial is reported at its line
// in the expanded template, not in the partial's file.

/**
 * What each expanded include calls: a global function that returns what its caller prints. Not a macro
 * written in the template: a macro's own frame would be the one its caller's body reads from.
 */
export const PRINT_CALLER = {
  name: 'gatehouse_partial',
  fn: (kwargs: { readonly caller: () => unknown }): unknown => kwargs.caller(),
};
/** An include on a line of its own (every include the templates have; any other stays an include). */
const INCLUDE = /^[ \t]*\{% include "([^"]+)" %\}\n/gm;

/** Templates from a folder, each with the partials it includes written in (see above). */
export class InlinedPartialsLoader extends nunjucks.FileSystemLoader {
  override getSource(name: string): nunjucks.LoaderSource {
    const source = super.getSource(name);
    // A missing template stays missing (nunjucks reports it); a partial alone still renders as it is.
    if ((source as nunjucks.LoaderSource | null) === null) return source;
    return { ...source, src: this.expanded(source.src, [name]) };
  }

  private expanded(src: string, chain: readonly string[]): string {
    return src.replace(INCLUDE, (include, partial: string) => {
      if (chain.includes(partial)) throw new Error(`render: ${partial} includes itself`);
      const source = super.getSource(partial) as nunjucks.LoaderSource | null;
      if (source === null) return include; // nunjucks says it is missing when the include runs
      return `{% call ${PRINT_CALLER.name}() %}\n${this.expanded(source.src, [...chain, partial])}{% endcall %}\n`;
    });
  }
}
