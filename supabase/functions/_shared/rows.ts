// Row types from the generated database.types.ts, as postgres.js hands the rows over. The
// generated types describe the Data API's JSON; postgres.js differs in two ways, said here once:
// `numeric` and `bigint` columns (generated as number) arrive as strings, exact, and `timestamptz`
// columns (generated as string) as Date. The generated types cannot tell those columns from
// integer and text ones, so each row type names them.
import type { Database } from "./database.types.ts";

type Functions = Database["public"]["Functions"];

type As<T, U> = null extends T ? U | null : U;

/** `Row` with the `Exact` (numeric, bigint) and `Timestamp` columns typed as postgres.js reads them. */
export type AsRead<Row, Exact extends keyof Row = never, Timestamp extends keyof Row = never> = {
  [K in keyof Row]: K extends Exact ? As<Row[K], string>
    : K extends Timestamp ? As<Row[K], Date>
    : Row[K];
};

/**
 * A row of a RETURNS TABLE function. `supabase gen types` marks such columns not null; they are
 * as nullable as the columns they come from, except the `NotNull` ones.
 */
export type FunctionRow<Name extends keyof Functions, NotNull extends string = never> =
  Functions[Name]["Returns"] extends (infer Row)[]
    ? { [K in keyof Row]: K extends NotNull ? Row[K] : Row[K] | null }
    : never;
