import { visibleLength } from './color.js';

/** A column: its header and whether numbers in it are right-aligned. */
export interface Column {
  header: string;
  align?: 'left' | 'right';
}

/**
 * Lays out rows under headers, each column as wide as its widest cell, two spaces apart.
 * Cells must already be escaped (and may be coloured: colour escapes do not count as width).
 */
export function renderTable(columns: readonly Column[], rows: readonly string[][]): string {
  // Plain loops, each cell measured once: a listing lays out 10,000 rows of 12 cells, mostly
  // before V8 has optimized anything.
  const widths = columns.map((column) => visibleLength(column.header));
  const lengths: number[][] = new Array(rows.length);
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r] as string[];
    const measured = new Array<number>(columns.length);
    for (let i = 0; i < columns.length; i++) {
      const length = visibleLength(row[i] ?? '');
      measured[i] = length;
      if (length > (widths[i] as number)) widths[i] = length;
    }
    lengths[r] = measured;
  }
  const line = (cells: readonly string[], measured: readonly number[]): string => {
    let text = '';
    for (let i = 0; i < columns.length; i++) {
      const cell = cells[i] ?? '';
      const pad = ' '.repeat(Math.max(0, (widths[i] as number) - (measured[i] as number)));
      if (i > 0) text += '  ';
      text += (columns[i] as Column).align === 'right' ? pad + cell : cell + pad;
    }
    return text.trimEnd();
  };
  const lines = new Array<string>(rows.length + 1);
  const headers = columns.map((c) => c.header);
  lines[0] = line(headers, headers.map(visibleLength));
  for (let r = 0; r < rows.length; r++) {
    lines[r + 1] = line(rows[r] as string[], lengths[r] as number[]);
  }
  return lines.join('\n');
}
