/**
 * A share drawn as text, for a tree item or a table cell: `cells` block characters wide, filled to the eighth of a
 * cell (▏▎▍▌▋▊▉█), the rest a light shade, so bars of one width line up and compare at a glance; a share above
 * zero shows at least an eighth, so a rule that carried a little is never drawn as one that carried nothing.
 */
const EIGHTHS = ['', '\u258f', '\u258e', '\u258d', '\u258c', '\u258b', '\u258a', '\u2589'];
const FULL = '\u2588';
const EMPTY = '\u2591';

export function usageBar(share: number, cells = 10): string {
  const s = Number.isFinite(share) ? Math.min(1, Math.max(0, share)) : 0;
  const eighths = s > 0 ? Math.max(1, Math.round(s * cells * 8)) : 0;
  const full = Math.floor(eighths / 8);
  const part = EIGHTHS[eighths % 8];
  return FULL.repeat(full) + part + EMPTY.repeat(cells - full - (part ? 1 : 0));
}
