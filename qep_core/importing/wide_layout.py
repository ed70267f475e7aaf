"""The "wide" tracking sheet services actually keep.

One row per count ("Nombre de réponses dans les délais"), one column per month (or per
périmètre, or per indicator), possibly a Total column or row and a computed "Taux" row. Totals
and rates are checked against the counts and reported when they disagree; the counts win.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from dataclasses import dataclass, replace

from qep_core.frenchforms import (
    MONTH_NAMES_FR,
    ParsedNumber,
    ValueFormatError,
    format_number_fr,
    is_missing,
    looks_like_date,
    normalize,
    parse_month_header,
    parse_number,
    parse_quarter_header,
    parse_year_header,
    plural,
)
from qep_core.importing.context import Draft, ImportContext
from qep_core.importing.issues import IssueLog, column_index, column_letter
from qep_core.importing.matching import (
    RATE_CHECK,
    Assignment,
    assign_row,
    codes_in,
    column_indicator,
    column_mapping,
    sheet_scope,
)
from qep_core.importing.table_period import (
    MonthColumn,
    PeriodConflict,
    StatedPeriod,
    UndatedColumns,
    date_month_columns,
    stated_period,
    table_period,
)
from qep_core.mappings.labels import IGNORED_COLUMN, TOTAL_COLUMN, Mappings
from qep_core.periods import add_months
from qep_core.referentiel import IndicatorDef

HEADER_SCAN_ROWS = 25
TOTAL_HEADERS = ("total", "cumul", "ensemble", "somme", "moyenne", "taux", "resultat", "bilan")
MAX_TABLE_ROWS = 5_000  # rows searched for further tables under their headings (a tracking sheet has dozens)
PERIOD_KEYS = ("annee", "exercice", "periode", "mois", "trimestre")
MONTH_COLUMN_HEADERS = ("mois", "periode", "mois annee", "annee mois", "month")
PERIMETRE_KEYS = ("perimetre", "service", "boite", "boite fonctionnelle", "sous prefecture", "unite", "bureau", "site")
RATE_TOLERANCE_POINTS = 1.0
MEAN_TOLERANCE_DAYS = 1.0


@dataclass
class Column:
    index: int
    header: object
    kind: str  # period | total | perimetre | indicator | ignored
    start: dt.date | None = None
    end: dt.date | None = None
    perimetre: str | None = None
    indicator: str | None = None
    month: int | None = None  # a month column: its month, and its year when the header has one
    year: int | None = None
    quarter: int | None = None  # a quarter column (« T2 »)

    @property
    def letter(self) -> str:
        head = str(self.header).strip() if not isinstance(self.header, (dt.date, float)) else ""
        return f"{column_letter(self.index)} ({head})" if head else column_letter(self.index)


def _is_numberish(cell: object) -> bool:
    if isinstance(cell, bool):
        return False
    if isinstance(cell, (int, float)):
        return True
    if isinstance(cell, str) and not is_missing(cell):
        try:
            return parse_number(cell) is not None
        except ValueFormatError:
            return False
    return False


def _is_text(cell: object) -> bool:
    return isinstance(cell, str) and bool(cell.strip()) and not _is_numberish(cell)


def _period_header(cell: object) -> bool:
    if parse_month_header(cell) is not None or parse_quarter_header(cell) is not None:
        return True
    return isinstance(cell, str) and parse_year_header(cell) is not None


def find_header_row(rows: list[list[object]]) -> int | None:
    """The row naming the columns: the one with the most month headers, else the row above the
    first row that has a text label and a number."""
    best, best_score = None, 0
    for r, row in enumerate(rows[:HEADER_SCAN_ROWS]):
        score = sum(1 for c in row[1:] if _period_header(c))
        if score > best_score:
            best, best_score = r, score
    if best is not None and (best_score >= 2 or (best_score == 1 and _single_period_sheet(rows, best))):
        return best
    for r, row in enumerate(rows[: HEADER_SCAN_ROWS + 10]):
        cells = [c for c in row if not (c is None or (isinstance(c, str) and not c.strip()))]
        if len(cells) >= 2 and _is_text(cells[0]) and any(_is_numberish(c) for c in cells[1:]):
            for above in range(r - 1, -1, -1):
                filled = [c for c in rows[above][1:] if (isinstance(c, str) and c.strip()) or _is_numberish(c)]
                if len(filled) >= 1:
                    return above
            return None
    return None


def _single_period_sheet(rows: list[list[object]], header: int) -> bool:
    """A sheet with one period column (e.g. the template's yearly sheet) has data under it."""
    return any(_is_numberish(c) for row in rows[header + 1: header + 6] for c in row[1:])


def _context_lines(rows: list[list[object]], header: int) -> list[list[str]]:
    return [[str(c).strip() for c in row if str(c).strip()] for row in rows[:header]]


def _labelled_value(lines: list[list[str]], keys: tuple[str, ...]) -> str | None:
    """``Périmètre : Boîte PC`` in one cell or in two, in the rows above the header."""
    for cells in lines:
        for i, cell in enumerate(cells):
            m = re.match(r"^\s*([^:]{2,40}?)\s*:\s*(.*)$", cell)
            key, rest = (m.group(1), m.group(2)) if m else (cell, "")
            if normalize(key) in keys:
                value = rest.strip() or (cells[i + 1] if i + 1 < len(cells) else "")
                if value.strip():
                    return value.strip()
    return None


@dataclass
class TableArea:
    """One table of a sheet: its header row, its body rows and the words that head it."""

    header: int  # 0-based index of the header row
    stop: int  # 0-based index past its last body row
    heading: str  # the title lines and, for a table below another, the heading right above it


def parse_wide_sheet(name: str, rows: list[list[object]], ctx: ImportContext, log: IssueLog,
                     file_name: str | None = None, *, turned: bool = False) -> list[Draft]:
    """Every table of a wide sheet: label rows × month (or périmètre) columns, possibly several
    under their own headings, or the same table turned (one row per month, counts across)."""
    areas = find_tables(rows)
    if not turned and not any(_month_headers(rows[a.header]) >= 2 for a in areas):
        turned_drafts = _parse_turned(name, rows, ctx, log, file_name)
        if turned_drafts is not None:
            return turned_drafts
    if not areas:
        if any(_is_numberish(c) for row in rows for c in row):
            log.unused("feuille", name, "feuille ignorée : aucune ligne d'en-tête (mois, périmètres) n'a été trouvée",
                       name)
        return []
    drafts: list[Draft] = []
    for area in areas:
        drafts.extend(_parse_table(name, rows, area, ctx, log, file_name))
    return drafts


def find_tables(rows: list[list[object]]) -> list[TableArea]:
    """The tables of a sheet. Several rows of month headers make several tables, each headed by
    the text rows right above its header (« Téléphone », « Courriels »…); otherwise one table
    under the header :func:`find_header_row` finds."""
    headers = [r for r, row in enumerate(rows[:MAX_TABLE_ROWS]) if _month_headers(row) >= 2]
    if len(headers) < 2:
        header = find_header_row(rows)
        if header is None:
            return []
        return [TableArea(header, len(rows), _lines_text(rows[:header]))]
    tops = []
    for i, header in enumerate(headers):
        top = header
        while top > (headers[i - 1] + 1 if i else 0) and _text_only(rows[top - 1]):
            top -= 1
        tops.append(top)
    title = _lines_text(rows[:tops[0]])
    return [TableArea(header, headers[i + 1] if i + 1 < len(headers) else len(rows),
                      f"{title} {_lines_text(rows[tops[i]:header])}")
            for i, header in enumerate(headers)]


def _month_headers(row: list[object]) -> int:
    """Month, quarter or year headers written as words or dates (a count of 45 000 is no date)."""
    return sum(1 for c in row[1:] if not isinstance(c, (int, float)) and _period_header(c))


def _text_only(row: list[object]) -> bool:
    cells = [c for c in row if str(c).strip()]
    return bool(cells) and all(_is_text(c) for c in cells)


def _lines_text(rows: list[list[object]]) -> str:
    return " ".join(" ".join(str(c).strip() for c in row if str(c).strip()) for row in rows)


def _statements(name: str, lines: list[list[str]], heading: str, file_name: str | None) -> list[StatedPeriod]:
    labelled = _labelled_value(lines, PERIOD_KEYS)
    found = [stated_period(labelled, "en-tête") if labelled else None, stated_period(heading, "titre"),
             stated_period(name, "nom de la feuille"), stated_period(file_name, "nom du fichier")]
    return [f for f in found if f is not None]


def _parse_table(name: str, rows: list[list[object]], area: TableArea, ctx: ImportContext, log: IssueLog,
                 file_name: str | None) -> list[Draft]:
    header = area.header
    lines = _context_lines(rows, header)
    context_text = f"{name} {area.heading}"
    sheet_perimetre = _labelled_value(lines, PERIMETRE_KEYS)

    body = rows[header + 1: area.stop]
    width = max((len(r) for r in rows), default=0)
    head = list(rows[header]) + [""] * (width - len(rows[header]))
    label_cols = _label_columns(head, body)
    labels = [" ".join(str(row[c]).strip() for c in label_cols if c < len(row) and str(row[c]).strip()) for row in body]
    context_text += " " + " ".join(str(head[c]) for c in label_cols)

    scope_codes, _reason = sheet_scope(context_text, ctx.families, ctx.indicators, " ".join(labels))
    sections = _section_scopes(body, labels, label_cols, ctx)
    row_codes_anywhere = any(codes_in(lbl, ctx.indicators) or ctx.mappings.row(lbl) for lbl in labels)
    if not scope_codes and not row_codes_anywhere and not any(sections.values()):
        if any(_is_numberish(c) for row in body for c in row[len(label_cols):]):
            log.unused("feuille", name, "feuille ignorée : aucun indicateur reconnu (nommez la feuille ou son titre "
                       "d'après l'indicateur, p. ex. « COURRIEL_5J » ou « Courriels »)", name, header + 1)
        return []
    scope = [ctx.indicators[c] for c in scope_codes]

    columns = _classify_columns(name, head, label_cols, scope, log, ctx.mappings)
    value_cols = [c for c in columns if c.kind in ("period", "perimetre", "indicator")]
    total_cols = [c for c in columns if c.kind == "total"]
    if not value_cols:
        log.unused("feuille", name, "tableau ignoré : aucune colonne de mois ou de périmètre", name, header + 1)
        return []

    # --- map rows to (indicator, count) -------------------------------------------------
    cells: dict[tuple[str, str, int], tuple[float, int]] = {}  # (code, role, col) → (value, row)
    total_rows: list[tuple[int, list[Assignment], dict[int, float]]] = []
    mapped_rows: list[tuple[int, list[Assignment]]] = []
    seen_roles: dict[tuple[str, str], int] = {}
    section: list[IndicatorDef] = scope
    parse_log = IssueLog()  # the values' own faults: kept back until the table is known to hold counts
    for offset, (row, label) in enumerate(zip(body, labels, strict=True)):
        sheet_row = header + 2 + offset
        if offset in sections:
            section = sections[offset] or scope
        values_present = any(not is_missing(row[c.index]) for c in columns if c.index < len(row))
        if not label:
            if values_present and any(_is_numberish(row[c.index]) for c in value_cols if c.index < len(row)):
                log.unused("ligne", f"ligne {sheet_row} sans libellé", "ligne sans libellé ignorée", name, sheet_row)
            continue
        if not values_present:
            continue
        norm = normalize(label)
        is_total_row = norm.startswith(("total", "sous total", "cumul"))
        row_codes = codes_in(label, ctx.indicators)
        candidates = [ctx.indicators[c] for c in row_codes] if row_codes else section
        match_label = re.sub(r"^\s*(sous[- ]total|total|cumul)\s*(g[ée]n[ée]ral)?\s*(du|des|de la|de|d')?\s*", "", label, flags=re.I) if is_total_row else label
        assignments = assign_row(match_label, candidates, ctx.mappings)
        if not assignments:
            if any(_is_numberish(row[c.index]) for c in value_cols if c.index < len(row)):
                log.unused("ligne", f"« {label} » (ligne {sheet_row})",
                           f"ligne « {label} » non reconnue : ses valeurs ne sont pas importées", name, sheet_row)
                log.unknown_label("row_label", match_label, name, sheet_row)  # offered for mapping
            continue
        if is_total_row and any((a.code, a.role) in seen_roles for a in assignments):
            parsed = _parse_row(name, sheet_row, row, value_cols, assignments, ctx, parse_log)
            total_rows.append((sheet_row, assignments, parsed))
            log.values_checked += len(parsed)
            continue
        for a in assignments:
            if (a.code, a.role) in seen_roles:
                parse_log.error(f"les lignes {seen_roles[(a.code, a.role)]} et {sheet_row} donnent toutes deux "
                                f"« {_role_name(ctx, a)} » de {a.code}", name, sheet_row)
            seen_roles[(a.code, a.role)] = sheet_row
        mapped_rows.append((sheet_row, assignments))
        parsed = _parse_row(name, sheet_row, row, value_cols, assignments, ctx, parse_log)
        for col_index, value in parsed.items():
            for a in assignments:
                cells[(a.code, a.role, col_index)] = (value, sheet_row)
        if all(a.role == RATE_CHECK for a in assignments):
            log.values_checked += len(parsed)
        else:
            log.values_read += len(parsed)
        _check_total_columns(name, sheet_row, row, value_cols, total_cols, assignments, parsed, ctx, parse_log)

    _list_headless_columns(name, rows, columns, mapped_rows, log)
    if mapped_rows and all(a.role == RATE_CHECK for _, asg in mapped_rows for a in asg):
        log.results_only.append(name)
        log.unused("feuille", name, "tableau de résultats ignoré : il donne des taux mais pas les nombres dont ils sont "
                   "calculés (reçus, traités dans le délai…)", name, header + 1)
        return []
    if not mapped_rows:
        return []
    log.absorb(parse_log)
    dated, period = _date_columns(name, rows, area, columns, log, file_name)
    if not dated:
        return []

    # --- build observations ---------------------------------------------------------------
    in_play = [i.code for i in scope] + [c for c in dict.fromkeys(a.code for _, asg in mapped_rows for a in asg)
                                         if c not in scope_codes]
    drafts: list[Draft] = []
    for col in value_cols:
        codes = [col.indicator] if col.kind == "indicator" else in_play
        for code in codes:
            if code is None:
                continue
            draft = _build_draft(name, code, col, cells, sheet_perimetre, ctx, log)
            if draft is not None:
                drafts.append(draft)

    _check_rate_totals(name, total_cols, mapped_rows, cells, value_cols, rows, header, ctx, log)
    _check_total_rows(name, total_rows, cells, value_cols, log)
    _warn_missing_months(name, drafts, value_cols, ctx, log, period)
    return drafts


def _list_headless_columns(name: str, rows: list[list[object]], columns: list[Column],
                           mapped_rows: list[tuple[int, list[Assignment]]], log: IssueLog) -> None:
    """Numbers in a column without a header, on rows that were read: never used, so named (the
    coverage line says what every figure of the table became)."""
    for col in columns:
        if col.kind != "ignored" or str(col.header).strip():
            continue
        hits = [r for r, _ in mapped_rows if col.index < len(rows[r - 1]) and _is_numberish(rows[r - 1][col.index])]
        if hits:
            log.unused("colonne", f"colonne {column_letter(col.index)} sans en-tête",
                       "colonne sans en-tête ignorée : " + plural(
                           len(hits), "sa valeur n'est pas importée (donnez-lui un mois pour en-tête si elle compte)",
                           f"ses {len(hits)} valeurs ne sont pas importées (donnez-lui un mois pour en-tête si elles "
                           "comptent)"), name, hits[0], column_letter(col.index))


def _section_scopes(body: list[list[object]], labels: list[str], label_cols: list[int],
                    ctx: ImportContext) -> dict[int, list[IndicatorDef]]:
    """Rows that head a section of the table (« Téléphone », « Courriels » alone on their row, no
    value): the indicators the rows below them may be, until the next heading."""
    sections: dict[int, list[IndicatorDef]] = {}
    for offset, (row, label) in enumerate(zip(body, labels, strict=True)):
        if not label or any(str(c).strip() for i, c in enumerate(row) if i not in label_cols):
            continue
        codes, _reason = sheet_scope(label, ctx.families, ctx.indicators)
        if codes:
            sections[offset] = [ctx.indicators[c] for c in codes]
    return sections


def _date_columns(name: str, rows: list[list[object]], area: TableArea, columns: list[Column], log: IssueLog,
                  file_name: str | None) -> tuple[bool, StatedPeriod | None]:
    """First and last month of every value column, from the headers and the period the table
    states (:mod:`qep_core.importing.table_period`), and that period; False, with the error
    said, when undecidable."""
    try:
        period = table_period(_statements(name, _context_lines(rows, area.header), area.heading, file_name))
    except PeriodConflict as exc:
        log.error(str(exc), name, area.header + 1)
        return False, None
    months = [c for c in columns if c.kind == "period" and c.month is not None]
    try:
        dated = date_month_columns([MonthColumn(c.index, column_letter(c.index), c.month, c.year) for c in months if c.month],
                                   period)
    except UndatedColumns as exc:
        log.error(str(exc), name, area.header + 1)
        return False, None
    for c in months:
        c.start = c.end = dated[c.index]
    for c in columns:
        if c.kind != "period" or c.quarter is None:
            continue
        year = c.year or (period.start.year if period is not None and period.start.year == period.end.year else None)
        if year is None:
            log.error("l'année des colonnes de trimestre est introuvable : indiquez-la dans le titre ou l'en-tête "
                      "(« T1 2022 »)", name, area.header + 1, c.letter)
            return False, None
        c.start = dt.date(year, 3 * c.quarter - 2, 1)
        c.end = add_months(c.start, 2)
    spanned = [c for c in columns if c.kind in ("perimetre", "indicator")]
    if spanned:
        if period is None:
            log.error("période introuvable : un tableau sans colonnes de mois couvre le mois, le trimestre ou l'année "
                      "que donne son titre (« Courriels par boîte — juin 2022 », « T2 2022 », « Bilan 2022 ») ; "
                      "aucun n'est écrit ici", name, area.header + 1)
            return False, None
        if not period.calendar_span:
            log.error(f"{period.describe()} ne couvre ni un mois, ni un trimestre, ni une année civile : les valeurs "
                      "d'un tableau sans colonnes de mois ne peuvent pas être réparties entre les mois", name,
                      area.header + 1)
            return False, None
        for c in spanned:
            c.start, c.end = period.start, period.end
    return True, period


def _parse_turned(name: str, rows: list[list[object]], ctx: ImportContext, log: IssueLog,
                  file_name: str | None) -> list[Draft] | None:
    """A table turned on its side: one row per month (a « Mois » column), one column per count,
    perhaps a Total row. It is read turned back, then every place it names is turned again so
    that messages and values point at the cells the user sees; None when the sheet is not one."""
    found = _find_month_rows(rows)
    if found is None:
        return None
    header, first = found
    width = max(len(r) for r in rows[header:])
    table = [list(r) + [""] * (width - len(r)) for r in rows[header:]]
    titles: list[list[object]] = [[_lines_text([row])] for row in rows[:header] if _lines_text([row])]
    turned: list[list[object]] = [*titles, *([table[i][j] for i in range(len(table))] for j in range(first, width))]
    inner = IssueLog()
    drafts = parse_wide_sheet(name, turned, ctx, inner, file_name, turned=True)
    title_rows = [r for r, row in enumerate(rows[:header]) if _lines_text([row])]

    def place(row: int | None, column: str | None) -> tuple[int | None, str | None]:
        """(row, column) in the turned table → the same cell in the sheet."""
        original_column = None
        if row is not None:
            index = row - 1
            if index < len(titles):
                return title_rows[index] + 1, None
            original_column = first + index - len(titles)
        original_row = None
        if column:
            letters = column.split(" ", 1)[0]
            original_row = header + column_index(letters) + 1
        head = str(rows[header][original_column]).strip() if original_column is not None and original_column < len(rows[header]) else ""
        shown = None
        if original_column is not None:
            shown = f"{column_letter(original_column)} ({head})" if head else column_letter(original_column)
        return original_row, shown

    for issue in [*inner.errors, *inner.warnings]:
        row, column = place(issue.row, issue.column)
        (log.error if issue in inner.errors else log.warn)(issue.message, issue.sheet, row, column)
    inner.unknown = [replace(u, row=place(u.row, u.column)[0], column=place(u.row, u.column)[1]) for u in inner.unknown]
    log.merge_counts(inner)
    for d in drafts:
        row, column = place(d.row, d.column)
        d.row, d.column = row or d.row, column or d.column
    return drafts


def _find_month_rows(rows: list[list[object]]) -> tuple[int, int] | None:
    """(header row, month column) of a turned table: a column with at least two month names one
    under the other, under a header row with text labels to its right."""
    for r, row in enumerate(rows[:HEADER_SCAN_ROWS]):
        for c, cell in enumerate(row[:3]):
            below = [rows[i][c] for i in range(r + 1, min(len(rows), r + 14)) if c < len(rows[i])]
            months = sum(1 for v in below if parse_month_header(v) is not None and not isinstance(v, (int, float)))
            labels = [x for x in row[c + 1:] if _is_text(x)]
            if months >= 2 and len(labels) >= 1 and (normalize(cell) in MONTH_COLUMN_HEADERS or not str(cell).strip()):
                return r, c
    return None


def _role_name(ctx: ImportContext, a: Assignment) -> str:
    if a.role == RATE_CHECK:
        return "le taux"
    spec = ctx.indicators[a.code].counts.get(a.role)
    return spec.label if spec else a.role


def _label_columns(head: list[object], body: list[list[object]]) -> list[int]:
    """Leading columns that hold text only: together they make each row's label."""
    cols = []
    width = len(head)
    for c in range(width):
        if _period_header(head[c]) and c > 0:
            break
        column_cells = [row[c] for row in body if c < len(row)]
        if c > 0 and any(_is_numberish(x) for x in column_cells):
            break
        if c > 0 and not any(_is_text(x) for x in column_cells):
            break
        cols.append(c)
    return cols or [0]


def _classify_columns(sheet: str, head: list[object], label_cols: list[int], scope: list[IndicatorDef],
                      log: IssueLog, mappings: Mappings | None = None) -> list[Column]:
    """What each column holds. Month and quarter columns are dated later, once the table is
    known to hold counts (:func:`_date_columns`): a notes sheet never fails on a missing year."""
    columns: list[Column] = []
    start_col = max(label_cols) + 1
    has_period = any(_period_header(h) for h in head[start_col:])
    for idx in range(start_col, len(head)):
        cell = head[idx]
        said = column_mapping(cell, mappings)  # the préfecture said once what this column is
        if said in (TOTAL_COLUMN, IGNORED_COLUMN):
            columns.append(Column(idx, cell, "total" if said == TOTAL_COLUMN else "ignored"))
            continue
        text = normalize(cell) if isinstance(cell, str) else ""
        month = parse_month_header(cell)
        quarter = parse_quarter_header(cell) if month is None else None
        year_hdr = parse_year_header(cell) if month is None and quarter is None and (isinstance(cell, str) or has_period) else None
        if month is not None:
            columns.append(Column(idx, cell, "period", month=month.month, year=month.year))
        elif quarter is not None:
            columns.append(Column(idx, cell, "period", quarter=quarter[0], year=quarter[1]))
        elif year_hdr is not None:
            columns.append(Column(idx, cell, "period", dt.date(year_hdr, 1, 1), dt.date(year_hdr, 12, 1)))
        elif text.startswith(TOTAL_HEADERS):
            columns.append(Column(idx, cell, "total"))
        elif not text:
            columns.append(Column(idx, cell, "ignored"))
        elif looks_like_date(cell):
            log.error(f"en-tête de colonne « {cell} » : date ou mois impossible", sheet, None, column_letter(idx))
            columns.append(Column(idx, cell, "ignored"))
        elif has_period:
            columns.append(Column(idx, cell, "ignored"))
            log.unused("colonne", f"« {cell} » (colonne {column_letter(idx)})",
                       f"colonne « {cell} » ignorée (ni un mois ni un total) : ses valeurs ne sont pas importées",
                       sheet, None, column_letter(idx))
            log.unknown_label("column", str(cell).strip(), sheet, None, column_letter(idx))  # offered for mapping
        else:
            ind = column_indicator(str(cell), scope, mappings)
            if ind is not None:
                columns.append(Column(idx, cell, "indicator", indicator=ind.code))
            else:
                columns.append(Column(idx, cell, "perimetre", perimetre=str(cell).strip()))
    return columns


def _parse_row(sheet: str, sheet_row: int, row: list[object], value_cols: list[Column],
               assignments: list[Assignment], ctx: ImportContext, log: IssueLog) -> dict[int, float]:
    out: dict[int, float] = {}
    is_rate = all(a.role == RATE_CHECK for a in assignments)
    is_mean = all(a.role == "value" and ctx.indicators[a.code].kind == "mean_delay" for a in assignments)
    for col in value_cols:
        if col.index >= len(row):
            continue
        cell = row[col.index]
        try:
            parsed = parse_number(cell)
        except ValueFormatError as exc:
            log.error(f"{exc} (attendu : un nombre ou « n.c »)", sheet, sheet_row, col.letter)
            continue
        if parsed is None:
            continue
        if not _unit_fits(parsed, is_rate, is_mean):
            log.error(f"« {cell} » : unité inattendue dans cette ligne", sheet, sheet_row, col.letter)
            continue
        if parsed.value < 0:
            log.error(f"valeur négative ({format_number_fr(parsed.value, 0)}) : un compte ne peut pas être négatif",
                      sheet, sheet_row, col.letter)
            continue
        out[col.index] = parsed.value
    return out


def _unit_fits(parsed: ParsedNumber, is_rate: bool, is_mean: bool) -> bool:
    if parsed.unit is None:
        return True
    if is_rate:
        return parsed.unit in ("%", "‰")
    if is_mean:
        return parsed.unit == "j"
    return False


def _check_total_columns(sheet: str, sheet_row: int, row: list[object], value_cols: list[Column],
                         total_cols: list[Column], assignments: list[Assignment], parsed: dict[int, float],
                         ctx: ImportContext, log: IssueLog) -> None:
    """A Total column that disagrees with the sum of its parts is reported; the parts win."""
    if not total_cols or not parsed:
        return
    roles = {a.role for a in assignments}
    if roles & {RATE_CHECK} or any(ctx.indicators[a.code].kind == "mean_delay" and a.role == "value" for a in assignments):
        return  # rates and means are checked against the counts once the observations exist
    parts = [parsed[c.index] for c in value_cols if c.index in parsed]
    for tcol in total_cols[:1]:
        if tcol.index >= len(row):
            continue
        try:
            total = parse_number(row[tcol.index])
        except ValueFormatError:
            log.warn(f"total « {row[tcol.index]} » illisible", sheet, sheet_row, tcol.letter)
            continue
        if total is None:
            continue
        expected = sum(parts)
        if abs(total.value - expected) > 1e-6:
            shown = " + ".join(format_number_fr(p, 0 if float(p).is_integer() else 1) for p in parts) if len(parts) <= 4 else f"{len(parts)} colonnes"
            log.warn(f"le total {format_number_fr(total.value, 0)} ≠ {format_number_fr(expected, 0)}, somme des parties "
                     f"({shown}) : les parties sont retenues", sheet, sheet_row, tcol.letter)


def _build_draft(sheet: str, code: str, col: Column, cells: dict[tuple[str, str, int], tuple[float, int]],
                 sheet_perimetre: str | None, ctx: ImportContext, log: IssueLog) -> Draft | None:
    ind = ctx.indicators[code]
    get = {role: cells.get((code, role, col.index)) for role in ("numerator", "denominator", "complement", "value", "count", RATE_CHECK)}
    if not any(get.values()):
        return None
    assert col.start is not None and col.end is not None
    perimetre = col.perimetre if col.kind == "perimetre" else sheet_perimetre
    location_row = next(v[1] for v in get.values() if v)
    where = (sheet, location_row, col.letter)

    def val(role: str) -> float | None:
        cell = get[role]
        return cell[0] if cell else None

    if ind.kind == "count":
        if val("value") is None and val("numerator") is None:
            return None
        num = val("value") if val("value") is not None else val("numerator")
        return Draft(code, perimetre, col.start, col.end, float(num or 0), None, *where)
    if ind.kind == "mean_delay":
        mean, count = val("value"), val("count")
        if mean is None and val("numerator") is not None:
            total_delay, count = val("numerator"), val("denominator") if val("denominator") is not None else count
            if count is None:
                return None
            return Draft(code, perimetre, col.start, col.end, float(total_delay or 0), float(count), *where)
        if mean is None:
            return None
        if count is None:
            if any(k[0] == code and k[1] == "count" for k in cells):
                log.warn(f"{code} : délai moyen sans nombre de réponses pour ce mois, non importé", *where)
            else:
                log.error(f"{code} : un délai moyen ne peut pas être pondéré sans le nombre de réponses "
                          "(ajoutez la ligne « Nombre de réponses »)", *where)
            return None
        return Draft(code, perimetre, col.start, col.end, mean * count, count, *where)
    num, den, comp = val("numerator"), val("denominator"), val("complement")
    if num is not None and den is not None and comp is not None and abs(num + comp - den) > 1e-6:
        log.warn(f"{code} : {format_number_fr(num, 0)} + {format_number_fr(comp, 0)} ≠ {format_number_fr(den, 0)} ; "
                 "le numérateur et le dénominateur sont retenus", *where)
    if num is None and den is not None and comp is not None:
        num = den - comp
        if num < 0:
            log.error(f"{code} : {format_number_fr(comp, 0)} hors délai / perdus pour {format_number_fr(den, 0)} reçus", *where)
            return None
    if den is None and num is not None and comp is not None:
        den = num + comp
    if num is None or den is None:
        if num is not None or den is not None:
            missing = "dénominateur" if den is None else "numérateur"
            log.warn(f"{code} : {missing} non communiqué pour ce mois, valeur non importée", *where)
        return None
    if num > den + 1e-9:
        log.error(f"{code} : le numérateur ({format_number_fr(num, 0)}) dépasse le dénominateur ({format_number_fr(den, 0)})", *where)
        return None
    sheet_rate = val(RATE_CHECK)
    if sheet_rate is not None and den > 0:
        computed = num / den * ind.scale
        shown = _closest(sheet_rate, computed, ind.scale)
        if abs(shown - computed) >= RATE_TOLERANCE_POINTS * (ind.scale / 100 if ind.kind == "per_mille" else 1):
            log.warn(f"{code} : taux de la feuille {format_number_fr(shown, 1)} {ind.unit} ≠ {format_number_fr(computed, 1)} {ind.unit} "
                     f"calculé ({format_number_fr(num, 0)} / {format_number_fr(den, 0)}) ; le calcul est retenu",
                     sheet, check[1] if (check := get[RATE_CHECK]) else location_row, col.letter)
    return Draft(code, perimetre, col.start, col.end, float(num), float(den), *where)


def _closest(sheet_value: float, computed: float, scale: float) -> float:
    """A sheet rate typed as 0.915 or as 91.5: take the reading nearest to the computed one."""
    candidates = [sheet_value, sheet_value * scale]
    return min(candidates, key=lambda v: abs(v - computed))


def _check_rate_totals(sheet: str, total_cols: list[Column], mapped_rows: list[tuple[int, list[Assignment]]],
                       cells: dict[tuple[str, str, int], tuple[float, int]], value_cols: list[Column],
                       rows: list[list[object]], header: int, ctx: ImportContext, log: IssueLog) -> None:
    """The Total column of a rate or mean row, against Σ numerators / Σ denominators."""
    if not total_cols:
        return
    tcol = total_cols[0]
    for sheet_row, assignments in mapped_rows:
        kinds = {(a.role, ctx.indicators[a.code].kind) for a in assignments}
        is_rate = all(role == RATE_CHECK for role, _ in kinds)
        is_mean = all(role == "value" and kind == "mean_delay" for role, kind in kinds)
        if not (is_rate or is_mean):
            continue
        row = rows[sheet_row - 1]
        if tcol.index >= len(row):
            continue
        try:
            total = parse_number(row[tcol.index])
        except ValueFormatError:
            continue
        if total is None:
            continue
        num = den = 0.0
        for a in assignments:
            ind = ctx.indicators[a.code]
            for col in value_cols:
                if col.kind == "indicator" and col.indicator != a.code:
                    continue
                if is_mean:
                    mean, count = cells.get((a.code, "value", col.index)), cells.get((a.code, "count", col.index))
                    if mean and count:
                        num += mean[0] * count[0]
                        den += count[0]
                else:
                    n = cells.get((a.code, "numerator", col.index))
                    d = cells.get((a.code, "denominator", col.index))
                    c = cells.get((a.code, "complement", col.index))
                    if d and (n or c):
                        num += n[0] if n else d[0] - c[0]  # type: ignore[index]  # c is there when n is not (d and (n or c))
                        den += d[0]
        if den <= 0:
            continue
        ind = ctx.indicators[assignments[0].code]
        computed = num / den * (1 if is_mean else ind.scale)
        shown = total.value if is_mean else _closest(total.value, computed, ind.scale)
        tolerance = MEAN_TOLERANCE_DAYS if is_mean else RATE_TOLERANCE_POINTS
        if abs(shown - computed) >= tolerance:
            what = "moyenne" if is_mean else "taux"
            unit = "j" if is_mean else ind.unit
            log.warn(f"{what} de la colonne Total {format_number_fr(shown, 1)} {unit} ≠ {format_number_fr(computed, 1)} {unit} "
                     f"calculé à partir des comptes ({format_number_fr(num, 0)} / {format_number_fr(den, 0)}), "
                     "pondéré et non moyenne des taux ; le calcul est retenu", sheet, sheet_row, tcol.letter)


def _check_total_rows(sheet: str, total_rows: list[tuple[int, list[Assignment], dict[int, float]]],
                      cells: dict[tuple[str, str, int], tuple[float, int]], value_cols: list[Column],
                      log: IssueLog) -> None:
    for sheet_row, assignments, parsed in total_rows:
        a = assignments[0]
        for col in value_cols:
            if col.index not in parsed:
                continue
            part = cells.get((a.code, a.role, col.index))
            if part is not None and abs(part[0] - parsed[col.index]) > 1e-6:
                log.warn(f"la ligne de total ({format_number_fr(parsed[col.index], 0)}) ne correspond pas aux lignes "
                         f"détaillées ({format_number_fr(part[0], 0)}) : le détail est retenu", sheet, sheet_row, col.letter)


def _warn_missing_months(sheet: str, drafts: list[Draft], value_cols: list[Column], ctx: ImportContext, log: IssueLog,
                         period: StatedPeriod | None = None) -> None:
    """Months of the year without a value for a monthly indicator the sheet does carry (within
    the range the table states, when it states one)."""
    month_cols = [c for c in value_cols if c.kind == "period" and c.start == c.end]
    if not month_cols:
        return
    years = {c.start.year for c in month_cols if c.start}
    per_indicator: dict[tuple[str, str | None], set[dt.date]] = defaultdict(set)
    for d in drafts:
        if d.start == d.end:
            per_indicator[(d.indicator, d.perimetre)].add(d.start)
    today = dt.date.today()
    for (code, _perim), months in per_indicator.items():
        if ctx.indicators[code].frequency != "monthly":
            continue
        for year in sorted(years):
            # a sheet laid out as a year (6 months or more) should be complete for a past year;
            # a one- or two-month file only for the months it has columns for
            year_cols = [c.start for c in month_cols if c.start and c.start.year == year]
            laid_out_as_year = len(year_cols) >= 6
            last = 12 if (year < today.year and laid_out_as_year) else max(d.month for d in year_cols)
            missing = [MONTH_NAMES_FR[m - 1] for m in range(1, last + 1) if dt.date(year, m, 1) not in months
                       and (period is None or period.kind != "range" or period.start <= dt.date(year, m, 1) <= period.end)]
            if missing and len(missing) < 12:
                log.warn(f"{code} : mois sans donnée en {year} : {', '.join(missing)}", sheet)
