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
  const widths = columns.map((column, i) =>
    Math.max(visibleLength(column.header), ...rows.map((row) => visibleLength(row[i] ?? ''))),
  );
  const line = (cells: readonly string[]) =>
    columns
      .map((column, i) => {
        const cell = cells[i] ?? '';
        const pad = ' '.repeat(Math.max(0, (widths[i] ?? 0) - visibleLength(cell)));
        return column.align === 'right' ? pad + cell : cell + pad;
      })
      .join('  ')
      .trimEnd();
  return [line(columns.map((c) => c.header)), ...rows.map((row) => line(row))].join('\n');
}
