"""Log items kept with their batch: one compressed Parquet table per batch and log kind.

Why not one database row per item: writing 200 000 e-mails row by row (SQLite or PostgreSQL)
took longer than reading, checking and computing the whole register, and items are never queried
across batches — only read back a batch at a time, for the drill-down behind one month's figure
and for the complaints summary. Parquet (Arrow's columnar file, zstd-compressed) writes them in
a fraction of that, stores the register in about a fifth of its size, and reads back only the
row groups of the months asked for (items are sorted by reception date).

An e-mail feeds both COURRIEL_5J and COURRIEL_DELAI_MOYEN: it is stored once, under the rate's
code, and found under either (:func:`stored_code`).
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from qep_core.importing.itemlogs import MEAN_OF  # itemlogs imports the importing package, which imports this module

ARCHIVE_SCHEMA = pa.schema([
    ("indicator", pa.string()),
    ("perimetre_id", pa.int64()),
    ("received", pa.date32()),
    ("answered", pa.date32()),
    ("delay", pa.float64()),  # working days; null while unanswered
    ("deadline", pa.date32()),
    ("status", pa.string()),
    ("sheet", pa.string()),
    ("row", pa.int64()),
    ("details", pa.string()),  # the log's other columns, JSON; may be personal data
])
ROW_GROUP_ROWS = 16_384  # about a month of a big préfecture's e-mails per group


def _days(values: pd.Series) -> pa.Array:
    days = pd.to_datetime(values, errors="coerce").to_numpy(dtype="datetime64[D]")
    return pa.array(days, type=pa.date32(), mask=np.isnat(days))


def pack_items(items: pd.DataFrame, perimetre_ids: Iterable[int]) -> bytes:
    """*items* (the parser's ITEM_COLUMNS of one kind) with their resolved périmètre ids → Parquet bytes."""
    order = np.lexsort((items["row"].to_numpy(dtype=np.int64),
                        pd.to_datetime(items["received"]).to_numpy(dtype="datetime64[D]")))
    frame = items.iloc[order]
    delays = frame["delay"].to_numpy(dtype=float)
    table = pa.Table.from_arrays([
        pa.array(frame["indicator"].astype(str).to_numpy(dtype=object), type=pa.string()),
        pa.array(np.asarray(list(perimetre_ids), dtype=np.int64)[order]),
        _days(frame["received"]), _days(frame["answered"]),
        pa.array(delays, mask=np.isnan(delays)),
        _days(frame["deadline"]),
        pa.array(frame["status"].astype(str).to_numpy(dtype=object), type=pa.string()),
        pa.array(frame["sheet"].astype(str).to_numpy(dtype=object), type=pa.string()),
        pa.array(frame["row"].to_numpy(dtype=np.int64)),
        pa.array(frame["details"].fillna("{}").astype(str).to_numpy(dtype=object), type=pa.string()),
    ], schema=ARCHIVE_SCHEMA)
    buffer = io.BytesIO()
    pq.write_table(table, buffer, compression="zstd", row_group_size=ROW_GROUP_ROWS)
    return buffer.getvalue()


def stored_code(code: str) -> str:
    """The code an indicator's items are stored under: a mean delay's are its rate's."""

    return next((rate for rate, mean in MEAN_OF.items() if mean == code), code)


def unpack_items(data: bytes, code: str, received_from: dt.date, received_before: dt.date,
                 perimetre_ids: Iterable[int] | None = None, statuses: Iterable[str] | None = None) -> pd.DataFrame:
    """The archived items of *code* (or of the rate behind a mean delay) received in
    [*received_from*, *received_before*), optionally only some périmètres and statuses."""
    wanted = stored_code(code)
    filters = [("indicator", "=", wanted), ("received", ">=", received_from), ("received", "<", received_before)]
    table = pq.read_table(io.BytesIO(data), filters=filters)
    if perimetre_ids is not None:
        table = table.filter(pc.is_in(table["perimetre_id"], pa.array(list(perimetre_ids), type=pa.int64())))
    if statuses is not None:
        table = table.filter(pc.is_in(table["status"], pa.array(list(statuses), type=pa.string())))
    return table.to_pandas(date_as_object=True)


def archive_bounds(items: pd.DataFrame) -> tuple[dt.date | None, dt.date | None]:
    received = pd.to_datetime(items["received"], errors="coerce")
    if received.isna().all():
        return None, None
    return received.min().date(), received.max().date()


def read_archive(data: bytes) -> pd.DataFrame:
    """Every item of one archive."""
    return pq.read_table(io.BytesIO(data)).to_pandas(date_as_object=True)
