"""What a page run with AppTest would let Streamlit or Plotly read as markup.

Streamlit renders Markdown in messages, titles, captions and in the labels of widgets, expanders,
tabs, metrics, radio options and page links, and in ``st.table`` cells; Plotly reads a subset of
HTML in every text of a figure. The walk below collects those texts from the element tree
generically (every string field of every element's protobuf that Streamlit shows as Markdown), so a
new widget showing data is probed without being listed here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from google.protobuf.message import Message
from sqlalchemy import text as sql
from streamlit.testing.v1 import AppTest

from qep_core.db import create_schema, get_engine
from qep_core.demo import load_demo
from qep_ui.widgets import plain

# Every kind of markup the app must never let through, in one text: an image fetched from
# elsewhere, raw HTML, a javascript: link, LaTeX and emphasis.
PAYLOAD = "![x](http://127.0.0.1:9/pixel.png) <img src=x onerror=alert(1)> [lien](javascript:alert(1)) $$\\LaTeX$$ **gras**"
SHOWN = plain("![x](http://127.0.0.1:9/pixel.png)")  # how the payload's image reads once escaped
# Each marker, not preceded by the backslash that makes it literal.
ACTIVE = re.compile(r"(?<!\\)(!\[x|<img|\[lien|\$\$|\*\*gras)")
DOUBLE_ESCAPED = plain(plain("!["))  # escaped twice: backslashes a reader would see

# table → text columns overwritten with the payload (numbered where a name must stay unique)
PAYLOAD_COLUMNS = {
    "prefecture": ["name"],
    "perimetre": ["name"],
    "indicator": ["label"],
    "engagement": ["title"],
    "survey": ["title", "file_name"],
    "survey_question": ["text"],
    "survey_comment_tag": ["theme"],
    "mystery_criterion": ["label"],
    "pilotage_audit": ["auditor", "organisation"],
    "pilotage_audit_finding": ["note"],
    "pilotage_audit_remark": ["text"],
    "pilotage_action": ["title", "owner"],
    "pilotage_training": ["title"],
    "pilotage_agent": ["service"],
    "review_comment": ["text"],
    "review_action": ["text", "owner"],
    "import_batch": ["file_name", "imported_by"],
}


def payload_database(path: Path) -> str:
    """The demo préfecture in a new SQLite file at *path*, every text of :data:`PAYLOAD_COLUMNS`
    replaced by the payload (and the row's id); its URL."""
    url = f"sqlite:///{path}"
    engine = get_engine(url)
    create_schema(engine)
    load_demo(engine)
    with engine.begin() as conn:
        for table, columns in PAYLOAD_COLUMNS.items():
            sets = ", ".join(f"{c} = :payload || ' ' || id" for c in columns)
            conn.execute(sql(f"UPDATE {table} SET {sets}"), {"payload": PAYLOAD})
    engine.dispose()
    return url


# Fields Streamlit renders as Markdown; options only where the widget renders them so.
MARKDOWN_FIELDS = {"body", "label", "help", "captions", "tooltip"}
MARKDOWN_OPTIONS = {"radio", "button_group", "pills", "segmented_control"}
# Elements whose texts are shown as they are (no Markdown): their strings are not probed.
LITERAL_ELEMENTS = {"code", "text", "plotly_chart", "arrow_data_frame", "dataframe", "json", "html", "exception"}


def _strings(message: Message, path: str = "") -> Iterator[tuple[str, str]]:
    for field, value in message.ListFields():
        name = f"{path}.{field.name}" if path else field.name
        values = value if field.is_repeated else [value]
        for item in values:
            if isinstance(item, Message):
                yield from _strings(item, name)
            elif isinstance(item, str):
                yield name, item


def _nodes(node: Any) -> Iterator[Any]:
    yield node
    for child in getattr(node, "children", {}).values():
        yield from _nodes(child)


def markdown_texts(at: AppTest) -> list[tuple[str, str, str]]:
    """(element type, field, text) of every text the page renders as Markdown."""
    found = []
    for node in _nodes(at._tree):
        proto = getattr(node, "proto", None)
        kind = getattr(node, "type", "")
        if not isinstance(proto, Message) or kind in LITERAL_ELEMENTS:
            continue
        for field, text in _strings(proto):
            leaf = field.rsplit(".", 1)[-1]
            if leaf in MARKDOWN_FIELDS or (leaf == "options" and kind in MARKDOWN_OPTIONS) or (
                    kind == "metric" and leaf in ("body", "delta")):
                found.append((kind, field, text))
    for table in at.table:  # st.table: its cells, index and headers are Markdown, held as Arrow data
        frame = table.value
        cells = [*frame.to_numpy().ravel(), *frame.index, *frame.columns, frame.index.name]
        found += [("table", "cell", cell) for cell in cells if isinstance(cell, str)]
    return found


def figure_texts(at: AppTest) -> list[str]:
    """Every string of every Plotly figure on the page (titles, ticks, names, hover templates…)."""
    out: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, str):
            out.append(value)
        elif isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    for chart in at.get("plotly_chart"):
        walk(json.loads(chart.proto.spec))
    return out


def assert_text_only(at: AppTest, *, shown: bool = True) -> None:
    """No payload markup active in a Markdown text or a figure; the payload visible (escaped) in
    some Markdown text when *shown*; never escaped twice."""
    assert not at.exception, at.exception
    texts = markdown_texts(at)
    active = [(kind, field, text[:160]) for kind, field, text in texts if ACTIVE.search(text)]
    assert not active, active
    twice = [(kind, field, text[:160]) for kind, field, text in texts if DOUBLE_ESCAPED in text]
    assert not twice, twice
    if shown:
        assert any(SHOWN in text for _, _, text in texts), "the payload is not shown on this page"
    raw = [t[:160] for t in figure_texts(at) if "<img" in t or "<a " in t]
    assert not raw, raw


#: Lazy parts of pages (only what is open runs): widget key → what opening each means.
LAZY_TABS = {"enquetes-onglet"}  # pages/enquetes.py: one tab at a time
#: pages/engagements.py: an engagement's sections once opened; pages/enquetes.py: the later questions
LAZY_EXPANDER_PREFIXES = ("engagement-", "survey-more-")


def lazy_key(element_id: str) -> str | None:
    """The widget key of a lazy expander, from its element id (``$$ID-<hash>-<key>``)."""
    key = element_id.split("-", 2)[-1] if element_id.startswith("$$ID-") else ""
    return key if key.startswith(LAZY_EXPANDER_PREFIXES) else None


def opened_views(at: AppTest) -> Iterator[AppTest]:
    """The page as shown, then with every lazy part opened: each tab of a lazy tab bar in turn,
    every lazy expander at once — so that a probe reads what a user can open, not only the default."""
    yield at
    lazy = [key for key in (lazy_key(e.proto.id) for e in at.expander) if key is not None]
    if lazy:
        for key in lazy:
            at.session_state[key] = True
        at.run()
        yield at
    for key in LAZY_TABS:
        if key in at.session_state:
            for tab in [t.label for t in at.tabs]:
                at.session_state[key] = tab
                at.run()
                yield at
