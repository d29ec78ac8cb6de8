"""Typed access to the catalogued stage tables (`voc.store.catalog`): read, count, write, replace, drop.

Mixed into `DuckDBStore`; `self.con` is its DuckDB connection and
`self.transaction()` its transaction. Nothing outside `voc/store/` needs to
know whether a table exists: a table no stage has written yet reads as an
empty frame with its declared columns and types.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import TYPE_CHECKING, Any

import duckdb
import pandas as pd

from voc.errors import StoreError
from voc.store.catalog import table as declared

if TYPE_CHECKING:
    import pyarrow as pa

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def check_ident(name: str) -> str:
    """`name` when it is a plain SQL identifier; a StoreError otherwise (names are put into SQL text)."""
    if not _IDENT.match(name):
        raise StoreError(f"invalid table or column name {name!r}", code="E305")
    return name


class TablesMixin:
    """The catalogue's accessors over one DuckDB connection."""

    con: duckdb.DuckDBPyConnection

    def transaction(self) -> AbstractContextManager[duckdb.DuckDBPyConnection]:
        """One transaction; `DuckDBStore` gives it."""
        raise NotImplementedError

    # -- what is there --------------------------------------------------------
    def table_exists(self, table: str) -> bool:
        """Whether `table` has been created (the store's own bookkeeping; stages use `read` and `count`)."""
        rows = self.con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [check_ident(table)]
        ).fetchall()
        return bool(rows[0][0])

    def written(self, name: str) -> bool:
        """Whether the owner of the catalogued table `name` has written it yet, even with no rows.

        For the few decisions that hang on whether a stage has run at all (a store from
        before the problems were found ranks the themes' complaints instead); readers
        that only need the rows use `read`, which is empty either way.
        """
        declared(name)
        return self.table_exists(name)

    def _columns_of(self, table: str) -> list[str]:
        return [
            r[0]
            for r in self.con.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = ? ORDER BY ordinal_position",
                [table],
            ).fetchall()
        ]

    # -- reading ----------------------------------------------------------------
    def read(
        self,
        name: str,
        columns: Sequence[str] | None = None,
        *,
        where: str | None = None,
        params: Sequence[Any] = (),
        item_ids: Sequence[str] | None = None,
        match: pd.DataFrame | None = None,
        order_by: str | None = None,
        limit: int | None = None,
    ) -> pd.DataFrame:
        """Rows of the catalogued table `name` as a frame with the declared types.

        `columns` defaults to the declared columns the table has. A table not
        written yet reads as an empty frame of all declared columns, and a
        column asked for by name that an older store's table lacks reads as
        NULL, so a reader never guards on what has run.
        `item_ids` keeps the rows of those items (tables with an `item_id`);
        `match` keeps the rows whose values in the frame's columns it holds
        (a join, for many keys at once).
        """
        with self._selected(name, columns, where, params, item_ids, match, order_by, limit) as (sql, args):
            return self.con.execute(sql, args).df()

    def read_arrow(
        self,
        name: str,
        columns: Sequence[str] | None = None,
        *,
        where: str | None = None,
        params: Sequence[Any] = (),
        match: pd.DataFrame | None = None,
    ) -> pa.Table:
        """`read` as an Arrow table: list columns (vectors) stay one contiguous buffer, not a row of arrays each."""
        with self._selected(name, columns, where, params, None, match, None, None) as (sql, args):
            return self.con.sql(sql, params=args or None).to_arrow_table()

    @contextmanager
    def _selected(
        self,
        name: str,
        columns: Sequence[str] | None,
        where: str | None,
        params: Sequence[Any],
        item_ids: Sequence[str] | None,
        match: pd.DataFrame | None,
        order_by: str | None,
        limit: int | None,
    ) -> Iterator[tuple[str, list[Any]]]:
        """The SELECT of `read` and its parameters, with `match` registered while it runs."""
        t = declared(name)
        have = set(self._columns_of(name)) if self.table_exists(name) else set()
        # By default every declared column the table has (all of them for a table not written yet):
        # a row of an older layout keeps its gaps, so a model's defaults fill them as before.
        wanted = [c for c in t.columns if c in have or not have] if columns is None else list(columns)
        unknown = [c for c in wanted if c not in t.columns]
        if unknown:
            raise StoreError(
                f"table {name!r} declares no column {unknown} (voc/store/catalog.py); "
                f"declared: {', '.join(t.columns)}",
                code="E331",
            )
        select = ", ".join(
            f't."{c}"' if c in have else f'CAST(NULL AS {t.columns[c]}) AS "{c}"'
            for c in map(check_ident, wanted)
        )
        if not have:
            # The empty frame DuckDB itself gives for these types: the same dtypes as a real read.
            yield f"SELECT {select} LIMIT 0", []
            return
        conds, args = ([f"({where})"] if where else []), list(params)
        if item_ids is not None:
            conds.append("t.item_id IN (SELECT unnest(?::VARCHAR[]))")
            args.append([str(i) for i in item_ids])
        if match is not None:
            keys = " AND ".join(f't."{check_ident(str(c))}" = k."{c}"' for c in match.columns)
            conds.append(f"EXISTS (SELECT 1 FROM _match k WHERE {keys})")
        sql = f"SELECT {select} FROM {name} t"
        sql += f" WHERE {' AND '.join(conds)}" if conds else ""
        sql += f" ORDER BY {order_by}" if order_by else ""
        sql += f" LIMIT {int(limit)}" if limit is not None else ""
        if match is None:
            yield sql, args
            return
        self.con.register("_match", match)
        try:
            yield sql, args
        finally:
            self.con.unregister("_match")

    def relation(self, name: str) -> str:
        """SQL for the catalogued table `name` inside its owner's queries: the table, or an empty typed one.

        `f"... LEFT JOIN {store.relation('item_sentiment')} s ON ..."` reads as a
        join with no rows before the sentiment stage has run, instead of a guard.
        """
        t = declared(name)
        if self.table_exists(name):
            return name
        cols = ", ".join(f'CAST(NULL AS {typ}) AS "{check_ident(c)}"' for c, typ in t.columns.items())
        return f"(SELECT {cols} LIMIT 0)"

    def count(self, name: str, *, where: str | None = None, params: Sequence[Any] = ()) -> int:
        """Rows of the catalogued table `name` (0 when no stage has written it yet)."""
        declared(name)
        if not self.table_exists(name):
            return 0
        sql = f"SELECT count(*) FROM {name}" + (f" WHERE {where}" if where else "")
        return int(self.con.execute(sql, list(params)).fetchall()[0][0])

    # -- writing ----------------------------------------------------------------
    def typed(self, name: str, records: Sequence[dict[str, Any]]) -> pd.DataFrame:
        """`records` as a frame of the catalogued table `name`: every declared column, with its declared type.

        A first write of all-empty columns then creates them with the right type, not as NULL.
        """
        t = declared(name)
        df = pd.DataFrame.from_records(list(records), columns=list(t.columns))
        self.con.register("_typed", df)
        try:
            cols = ", ".join(f'CAST("{check_ident(c)}" AS {typ}) AS "{c}"' for c, typ in t.columns.items())
            return self.con.execute(f"SELECT {cols} FROM _typed").df()
        finally:
            self.con.unregister("_typed")

    def write(self, name: str, df: pd.DataFrame, *, partition: Any = None) -> int:
        """Write `df` to the catalogued table `name` with its declared disposition; returns rows written.

        `upsert` replaces the rows whose key matches an incoming row; `append`
        adds; `replace` replaces the whole table, or with a table's `partition`
        column the rows of the value `partition` (the frame may then be empty:
        the period's rows just go).
        """
        t = declared(name)
        extra = [str(c) for c in df.columns if c not in t.columns]
        if extra:
            raise StoreError(
                f"table {name!r} declares no column {extra}; add it to voc/store/catalog.py", code="E333"
            )
        if t.disposition == "upsert":
            return self.write_frame(name, df, key=list(t.key))
        if t.disposition == "append":
            return self.write_frame(name, df)
        if t.partition is not None:
            if partition is None:
                raise StoreError(
                    f"table {name!r} is replaced per {t.partition}: pass partition=", code="E332"
                )
            with self.transaction():
                if self.table_exists(name):
                    self.con.execute(f"DELETE FROM {name} WHERE {t.partition} = ?", [partition])
                return self.write_frame(name, df) if len(df) else 0
        return self.replace(name, df)

    def replace(self, name: str, df: pd.DataFrame) -> int:
        """Replace every row of the catalogued table `name` by `df` (a refit rewrites an append table)."""
        declared(name)
        with self.transaction():
            if self.table_exists(name):
                self.con.execute(f"DROP TABLE {name}")
            return self.write_frame(name, df)

    def drop_items(self, name: str, item_ids: Sequence[str]) -> None:
        """Delete the rows of these items from `name` and from every table it declares it `invalidates`.

        A stage rewriting its rows of some items calls this first: what other
        stages derived from the old rows goes with them (their owners rebuild it).
        """
        t = declared(name)
        if not len(item_ids):
            return
        with self.transaction() as con:
            con.register("_drop_ids", pd.DataFrame({"item_id": [str(i) for i in item_ids]}))
            try:
                for target in (name, *t.invalidates):
                    if self.table_exists(target):
                        con.execute(f"DELETE FROM {target} WHERE item_id IN (SELECT item_id FROM _drop_ids)")
            finally:
                con.unregister("_drop_ids")

    def _add_new_columns(self, table: str) -> None:
        """Columns of the registered `_frame` that `table` lacks, added with the frame's types.

        A newer version of a stage may write a column an older store's table does not
        have yet; the rows already stored read it as NULL.
        """
        have = set(self._columns_of(table))
        for name, dtype, *_rest in self.con.execute("DESCRIBE _frame").fetchall():
            if name not in have:
                self.con.execute(f'ALTER TABLE {table} ADD COLUMN "{check_ident(name)}" {dtype}')

    def write_frame(self, table: str, df: pd.DataFrame, key: Sequence[str] | None = None) -> int:
        """Upsert a DataFrame into `table` (created from the frame's schema when absent).

        With `key`, rows whose key matches an incoming row are replaced;
        without, rows are appended. Returns the number of rows written.
        Stages write through `write`, which picks the key from the catalogue.
        """
        table = check_ident(table)
        for c in df.columns:
            check_ident(str(c))
        with self.transaction() as con:
            con.register("_frame", df)
            try:
                if not self.table_exists(table):
                    # One CREATE ... AS with the rows, not an empty CREATE then INSERT: in DuckDB 2.0,
                    # a table created and filled with more than one row group (122,880 rows) in the
                    # same transaction joined as empty for the rest of that connection (tables lost
                    # their rows in joins at 100,000 items).
                    con.execute(f"CREATE TABLE {table} AS SELECT * FROM _frame")
                    return len(df)
                self._add_new_columns(table)
                if key and len(df):
                    cond = " AND ".join(f"t.{check_ident(k)} IS NOT DISTINCT FROM f.{k}" for k in key)
                    con.execute(f"DELETE FROM {table} t WHERE EXISTS (SELECT 1 FROM _frame f WHERE {cond})")
                cols = ", ".join(str(c) for c in df.columns)
                if len(df):
                    con.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM _frame")
            finally:
                con.unregister("_frame")
        return len(df)
