"""What the user chose once in the sidebar — préfecture, year, period — shared by every page.

The sidebar widgets are bound to URL query parameters (``?pref=44&annee=2023&vue=trimestre&trim=2``)
so a link reopens the same view, and they live in the entry script so every page sees them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import streamlit as st

from qep_core import services
from qep_core.access import LOCAL_PRINCIPAL, Principal
from qep_core.frenchforms import MONTH_NAMES_FR
from qep_core.periods import Period, month_period, quarter_of, quarter_period, rolling_12, year_period
from qep_core.rules import bounded_years, clamp_month
from qep_ui.auth import actor, require
from qep_ui.database import database as engine  # noqa: F401  (transition alias for pages not yet on the services)

VIEWS = {"annee": "Année", "trimestre": "Trimestre", "mois": "Mois", "12mois": "12 mois glissants"}
QUARTERS = {1: "1er trimestre", 2: "2e trimestre", 3: "3e trimestre", 4: "4e trimestre"}


@dataclass(frozen=True)
class View:
    prefecture: services.dashboard.Prefecture
    period: Period
    first_month: dt.date | None
    last_month: dt.date | None
    version: str
    principal: Principal = LOCAL_PRINCIPAL

    @property
    def perimetre_scope(self) -> tuple[int, ...] | None:
        """The périmètres this user may read (None: all of them)."""
        scope = self.principal.perimetre_ids
        return None if scope is None else tuple(sorted(scope))

    @property
    def has_data(self) -> bool:
        return self.last_month is not None


def remember_choice(key: str, options: list, default: object, parse: type = str) -> None:
    """Settle the value of a keyed widget before it is drawn.

    A value in the URL that we did not write there ourselves (a shared link, a "Voir le détail"
    link) wins; then a value remembered in the session, if still offered (e.g. after changing
    préfecture); then *default*.
    """
    written = st.session_state.setdefault("_url_written", {})
    raw = st.query_params.get(key)
    if raw is not None and raw != written.get(key):
        try:
            value = parse(raw)
        except ValueError:
            value = None
        if value in options:
            st.session_state[key] = value
    if key in st.session_state and st.session_state[key] not in options:
        del st.session_state[key]
    if key not in st.session_state and default in options:
        st.session_state[key] = default


def publish(key: str) -> None:
    """Write a settled choice back into the URL, so that the address always reopens this view."""
    value = str(st.session_state[key])
    st.query_params[key] = value
    st.session_state.setdefault("_url_written", {})[key] = value


def sidebar(principal: Principal = LOCAL_PRINCIPAL) -> View | None:
    """Render the shared choices; None when no préfecture exists yet (or none this user may see)."""
    who = actor()
    prefs = services.dashboard.prefectures(who)
    if not prefs:
        return None
    codes = [p.code for p in prefs]
    by_code = {p.code: p for p in prefs}
    remember_choice("pref", codes, codes[0])
    code = st.sidebar.selectbox("Préfecture", codes, key="pref", format_func=lambda c: by_code[c].name,
                                help="Le code du département est dans l'adresse de la page (pref=…).")
    pref = by_code[code]
    status = services.dashboard.data_status(who, pref.id or 0)
    first, last, version = clamp_month(status.first_month), clamp_month(status.last_month), status.version
    years = bounded_years(first, last)  # never wider than the period window, whatever is stored
    last_year = years[0]
    remember_choice("annee", years, last_year, int)
    year = st.sidebar.selectbox("Année", years, key="annee")
    remember_choice("vue", list(VIEWS), "annee")
    view = st.sidebar.segmented_control("Période", list(VIEWS), key="vue", format_func=lambda k: VIEWS.get(k, str(k)),
                                        required=True)
    published = ["pref", "annee", "vue"]
    default_month = last.month if last and last.year == year else 12
    if view in ("mois", "12mois"):
        remember_choice("mois", list(range(1, 13)), default_month, int)
        month = st.sidebar.selectbox("Mois" if view == "mois" else "Jusqu'au mois de", list(range(1, 13)), key="mois",
                                     format_func=lambda m: MONTH_NAMES_FR[m - 1].capitalize())
        period = month_period(year, month) if view == "mois" else rolling_12(dt.date(year, month, 1))
        published.append("mois")
    elif view == "trimestre":
        remember_choice("trim", [1, 2, 3, 4], quarter_of(default_month), int)
        quarter = st.sidebar.selectbox("Trimestre", [1, 2, 3, 4], key="trim",
                                       format_func=lambda k: QUARTERS.get(k, str(k)))
        period = quarter_period(year, quarter)
        published.append("trim")
    else:
        period = year_period(year)
    for key in ("mois", "trim"):
        if key not in published and key in st.query_params:
            del st.query_params[key]
    for key in published:
        publish(key)
    if last is not None:
        st.sidebar.caption(f"Données disponibles jusqu'à {MONTH_NAMES_FR[last.month - 1]} {last.year}.")
    return View(pref, period, first, last, version, who.principal)


def current_view() -> View | None:
    """The view chosen in the sidebar by the entry script (None without a préfecture)."""
    return st.session_state.get("_view")


def require_view(action: str = "read") -> View:
    """The sidebar's view, after checking on the server that the user may do *action* here;
    stops the page with a helpful message when there is nothing to show yet."""
    require(action)
    view = current_view()
    if view is None:
        st.info("Aucune préfecture n'est encore configurée. Créez-la dans **Paramètres** ou lancez "
                "`python -m qep_core init --demo` pour la préfecture de démonstration.")
        st.stop()
    return view
