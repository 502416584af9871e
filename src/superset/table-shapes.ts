/**
 * The lakehouse's tables and their columns, as provisioning needs them. Trino's
 * information_schema.columns loads every table's metadata from the catalog (a cost that
 * grows with the number of tables), so columns are read again only for
 * tables whose loads changed since the last run; the rest come from the provisioning
 * state. A table no load wrote (CREATE TABLE AS in Trino, say) has no such marker and is
 * always read.
 */
import type { TrinoClient } from "../clients/trino.ts";
import { quoteIdentifier, quoteLiteral, TrinoError } from "../clients/trino.ts";
import {
  HEALTH_TABLE,
  isRejectsTable,
  LEDGER_TABLE,
  LINEAGE_COLUMNS,
  REJECTS_SUFFIX,
  rejectsTable,
} from "../pipeline/conventions.ts";
import type { TableShape } from "./dashboards.ts";

/** A table's loads in the ledger: how many, and the last one's end. */
export interface Loads {
  count: number;
  last: string;
}

/** A table's columns as last read, and the loads they were read after. */
export interface KnownShape {
  loads: string;
  columns: Record<string, string>;
  lineage: string[];
}

const LINEAGE = new Set(LINEAGE_COLUMNS);
/** Past this many tables to read, one query for all is cheaper than naming them. */
const READ_ALL = 20;

/** The table a rejects table belongs to, or the table itself. */
export const baseTable = (table: string) =>
  isRejectsTable(table) ? table.slice(0, -REJECTS_SUFFIX.length) : table;

/** Every table's loads; none before the first load has made the ledger. */
export async function loadsPerTable(trino: TrinoClient): Promise<Map<string, Loads>> {
  try {
    const { rows } = await trino.query<[string, number, string]>(
      `SELECT table_name, count(*), CAST(max(finished_at) AS varchar) FROM ${quoteIdentifier(LEDGER_TABLE)} GROUP BY table_name`,
    );
    return new Map(rows.map(([table, count, last]) => [table, { count, last }]));
  } catch (error) {
    const missing = ["TABLE_NOT_FOUND", "SCHEMA_NOT_FOUND"];
    if (error instanceof TrinoError && missing.includes(error.errorName)) return new Map();
    throw error;
  }
}

/**
 * What marks a change of the table's columns: its loads (the ledger's: all loads). The
 * health record's columns are the loader's, fixed: read once.
 */
function marker(table: string, loads: Map<string, Loads>): string | undefined {
  if (table === HEALTH_TABLE) return "fixed";
  if (table === LEDGER_TABLE) {
    const all = [...loads.values()];
    return `${all.reduce((n, l) => n + l.count, 0)} ${all
      .map((l) => l.last)
      .sort()
      .pop()}`;
  }
  const own = loads.get(baseTable(table));
  return own ? `${own.count} ${own.last}` : undefined;
}

/**
 * The schema's tables with their columns; `known` (the provisioning state's) is read and
 * brought up to date.
 */
export async function tableShapes(
  trino: TrinoClient,
  catalog: string,
  schema: string,
  names: string[],
  loads: Map<string, Loads>,
  known: Record<string, KnownShape>,
): Promise<TableShape[]> {
  const stale = names.filter((t) => {
    const mark = marker(t, loads);
    return mark === undefined || known[t]?.loads !== mark;
  });
  if (stale.length > 0) {
    const wanted = new Set(stale);
    const only =
      stale.length > READ_ALL ? "" : ` AND table_name IN (${stale.map(quoteLiteral).join(", ")})`;
    const { rows } = await trino.query<[string, string, string]>(
      `SELECT table_name, column_name, data_type FROM ${quoteIdentifier(catalog)}.information_schema.columns WHERE table_schema = ${quoteLiteral(schema)}${only} ORDER BY table_name, ordinal_position`,
    );
    const read: Record<string, KnownShape> = {};
    for (const [table, column, type] of rows) {
      if (!wanted.has(table)) continue;
      read[table] ??= { loads: marker(table, loads) ?? "", columns: {}, lineage: [] };
      const shape = read[table];
      if (LINEAGE.has(column)) shape.lineage.push(column);
      else shape.columns[column] = type;
    }
    Object.assign(known, read);
  }
  const present = new Set(names);
  for (const table of Object.keys(known)) if (!present.has(table)) delete known[table];
  return names.flatMap((name) => {
    const shape = known[name];
    if (!shape) return []; // dropped between the listing and the read
    return [
      {
        name,
        columns: shape.columns,
        allColumns: [...Object.keys(shape.columns), ...shape.lineage],
        hasRejects: present.has(rejectsTable(name)),
      },
    ];
  });
}

/** The schema's tables (a listing from the catalog: no table's metadata is loaded). */
export async function tableNames(
  trino: TrinoClient,
  catalog: string,
  schema: string,
): Promise<string[]> {
  const { rows } = await trino.query<[string]>(
    `SELECT table_name FROM ${quoteIdentifier(catalog)}.information_schema.tables WHERE table_schema = ${quoteLiteral(schema)} ORDER BY table_name`,
  );
  return rows.map(([name]) => name);
}
