/**
 * The tables of docs/specification.md (the original specification), read by the tests so
 * that the compose file and the specification cannot drift apart silently.
 */
export type Row = Record<string, string>;

const clean = (cell: string) => cell.replace(/\*\*/g, "").replace(/`/g, "").trim();
const cells = (line: string) => line.trim().replace(/^\|/, "").replace(/\|$/, "").split("|");

/** The first table after the heading with this exact text (any level). */
export function tableAfterHeading(markdown: string, heading: string): Row[] {
  const lines = markdown.split("\n");
  const start = lines.findIndex((l) => /^#{1,6}\s/.test(l) && l.replace(/^#+\s*/, "") === heading);
  if (start < 0) throw new Error(`docs/specification.md has no heading "${heading}"`);
  let i = start + 1;
  while (i < lines.length && !lines[i]?.trim().startsWith("|")) {
    if (/^#{1,6}\s/.test(lines[i] ?? "")) throw new Error(`No table under "${heading}"`);
    i++;
  }
  const header = cells(lines[i] ?? "").map(clean);
  const rows: Row[] = [];
  // Skip the header and its |---| separator line.
  for (i += 2; i < lines.length && lines[i]?.trim().startsWith("|"); i++) {
    const values = cells(lines[i] ?? "").map(clean);
    rows.push(Object.fromEntries(header.map((h, j) => [h, values[j] ?? ""])));
  }
  if (rows.length === 0) throw new Error(`The table under "${heading}" is empty`);
  return rows;
}

/**
 * Container names as the spec writes them: "lakehouse-seaweedfs-master, -volume" is
 * shorthand for lakehouse-seaweedfs-master and lakehouse-seaweedfs-volume.
 */
export function expandContainerNames(cell: string): string[] {
  const names = cell
    .split(",")
    .map((n) => n.trim())
    .filter(Boolean);
  const first = names[0] ?? "";
  const stem = first.slice(0, first.lastIndexOf("-"));
  return names.map((n) => (n.startsWith("-") ? `${stem}${n}` : n));
}
