"""Widgets and helpers of the "Import" and "Saisie" pages, so the page scripts stay thin.

* Files are analysed **before** anything is written (``services.imports.analyse_upload``); the
  plan is kept in the session by SHA-256 and data version, so a rerun never analyses a file again.
* Saving re-runs the whole import in one write transaction (``services.imports.save_upload``):
  what was previewed is checked again against the database as it is at that moment.
* A typed entry ("Saisie") is saved by ``services.entry.save_entries`` as a long-layout file of
  kind ``saisie``: same checks, same transaction, same history and undo as a file.

Every read and write goes through the services, which check the role and cut what a contributor
sees to its périmètres; this module only draws.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
from collections.abc import Sequence
from typing import Any

import pandas as pd
import streamlit as st

from qep_core import services
from qep_core.access import AccessDenied
from qep_core.frenchforms import count_text, format_number_fr, month_label_fr, plural
from qep_core.periods import add_months
from qep_core.rules import (
    BATCH_STATUS_LABELS,
    LATE_STATUSES,
    ItemStatus,
    format_label,
    format_value,
    period_window,
    window_years,
)
from qep_ui import data
from qep_ui import mappings as mapping_ui
from qep_ui.auth import DEFAULT_USER, USER_KEY, actor, principal
from qep_ui.state import View
from qep_ui.widgets import plain, show_issues

ImportOutcome = services.imports.ImportOutcome
ImportPlan = services.imports.ImportPlan
ImportRejected = services.imports.ImportRejected
Issue = services.imports.Issue
IndicatorDef = services.imports.IndicatorDef
BatchSummary = services.imports.BatchSummary
UndoError = services.imports.UndoError
PerimetreChoice = services.entry.PerimetreChoice
EntryRow = services.entry.EntryRow
ROLE_LABELS = services.imports.ROLE_LABELS
WHOLE_PREFECTURE = services.imports.WHOLE_PREFECTURE
value_from_counts = services.imports.value_from_counts

FLASH_KEY = "qep_import_flash"
PLANS_KEY = mapping_ui.ANALYSES_KEY  # dropped when a mapping changes: the files are read again
GENERATION_KEY = "qep_saisie_generation"
PREVIEW_LIMIT = 5000

MODULE_LABELS = {"PIL": "Pilotage", "LAB": "Labellisation"}


# --- shared bits ---------------------------------------------------------------------------------

def flash(kind: str, text: str, issues: Sequence[Issue] = (), link: tuple[str, str] | None = None) -> None:
    """A message to show after the rerun that follows a write: raw text (it quotes file names, cells
    and user names); :func:`show_flash` shows it as text, then *link* (page, label) if any."""
    st.session_state.setdefault(FLASH_KEY, []).append({"kind": kind, "text": text, "issues": list(issues),
                                                      "link": link})


def flash_alerts(outcome: ImportOutcome) -> None:
    """« 2 alertes : … » after a save that raised some, with the link to Signaux and what became
    of their e-mails (sent, e-mail off, or left for later after a refusal)."""
    report = outcome.alerts
    if report is None or not report.count:
        return
    head = count_text(report.count, "alerte")
    if report.alerts:
        names = list(dict.fromkeys(a.label for a in report.alerts))
        head += " : " + ", ".join(names[:3]) + (", …" if len(names) > 3 else "")
    else:
        head += " pour la préfecture entière (visibles par le référent qualité et le comité de pilotage)"
    kind = "warning" if report.mail.unsent or report.mail.error else "info"
    flash(kind, f"{head}. {report.mail.text()}", link=("pages/signaux.py", "Voir les signaux") if report.alerts else None)


def show_flash() -> None:
    mapping_ui.show_flash()  # a meaning given to a label of a file below
    for i, message in enumerate(st.session_state.pop(FLASH_KEY, [])):
        show = {"success": st.success, "error": st.error, "warning": st.warning}.get(message["kind"], st.info)
        show(plain(message["text"]))
        show_issues(message["issues"], key=f"flash-issues-{i}")
        if message.get("link"):
            st.page_link(message["link"][0], label=message["link"][1], icon=":material/notifications:")


def spreadsheet_upload(label: str, key: str, **options: Any) -> Any:
    """A file picker for what every import reads (Excel, LibreOffice Calc, CSV), saying so."""
    formats = f"Formats : {services.imports.FORMATS_TEXT} ; les formules sont lues par les valeurs enregistrées."
    help_text = f"{options.pop('help')} {formats}" if "help" in options else formats
    return st.file_uploader(label, type=list(services.imports.UPLOAD_TYPES), key=key, help=help_text, **options)


def user_name() -> str:
    """The name written in the history: the signed-in account, or on a single-user laptop the
    name typed once ("Votre nom"), kept for the whole session."""
    who = principal()
    if not who.local:
        st.caption(f"Enregistré au nom de **{plain(who.display_name or who.login)}**.")
        return who.login
    typed = st.text_input("Votre nom", value=DEFAULT_USER, key=USER_KEY, persist_state="session", max_chars=120,
                          help="Inscrit dans l'historique des imports à côté de chaque lot enregistré.")
    return (typed or "").strip() or DEFAULT_USER


HISTORY_KEY = "history-batch"


def after_write() -> None:
    """Figures, cached plans and previews all depend on the data that just changed; the history's
    selector goes back to the newest batch (the one just saved), not the one chosen before."""
    st.session_state.pop(PLANS_KEY, None)
    st.session_state.pop(HISTORY_KEY, None)


def paris_time(stamp: dt.datetime | None) -> str:
    """``05/07/2022 14:03`` in Europe/Paris time (the database stores UTC)."""
    return "" if stamp is None else services.imports.local_time(stamp).strftime("%d/%m/%Y %H:%M")


def counts_text(value: float | None) -> str:
    if value is None or math.isnan(value):
        return "–"
    return format_number_fr(value, 0 if float(value).is_integer() else 2)


def span_text(start: dt.date, end: dt.date) -> str:
    return month_label_fr(start) if start == end else f"{month_label_fr(start)} – {month_label_fr(end)}"


def module_label(code: str) -> str:
    return MODULE_LABELS.get(code, f"Module {code.removeprefix('M')}")


# --- analysing uploaded files --------------------------------------------------------------------

def file_digest(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


LOG_KIND_LABELS = {
    None: "reconnaissance automatique", "courriels": "journal des courriels", "courriers": "journal des courriers",
    "reclamations": "suggestions et réclamations", "site": "mises à jour du site", "rdv_elus": "rendez-vous d'élus",
    "courriers_elus": "courriers et courriels d'élus", "appels": "export du standard téléphonique",
}


def log_kind() -> str | None:
    """The kind of item log the user named, for a log whose columns do not say it."""
    return st.session_state.get("import-log-kind")


def log_kind_picker() -> None:
    st.selectbox("Nature d'un journal (une ligne par élément)", list(LOG_KIND_LABELS), key="import-log-kind",
                 format_func=lambda k: LOG_KIND_LABELS.get(k, str(k)),
                 help="Les journaux (une ligne par courriel, courrier, réclamation…) sont reconnus à leurs colonnes ; "
                      "choisissez leur nature seulement si ce n'est pas le cas.")


def analyze_upload(view: View, name: str, content: bytes) -> ImportPlan:
    """What the file would change; nothing is written."""
    return services.imports.analyse_upload(actor(), view.prefecture.id or 0, name, content, log_kind=log_kind())


def analyze_uploads(view: View, files: Sequence[tuple[str, bytes]]) -> list[tuple[str, bytes, ImportPlan]]:
    """Plans of the uploaded files, each analysed once per file content and data version."""
    cache: dict[tuple[int, str, str], ImportPlan] = st.session_state.setdefault(PLANS_KEY, {})
    wanted: list[tuple[str, bytes, tuple[int, str, str]]] = []
    seen: set[str] = set()
    for raw_name, content in files:
        name = services.imports.display_name(raw_name)  # no control character shown (forged lines, terminals)
        digest = file_digest(content)
        if digest in seen:
            st.caption(f"« {plain(name)} » : même contenu qu'un autre fichier déposé, ignoré.")
            continue
        seen.add(digest)
        wanted.append((name, content, (view.prefecture.id or 0, digest, f"{view.version}|{log_kind()}")))
    todo = [w for w in wanted if w[2] not in cache]
    if todo:
        with st.status(f"Analyse de {count_text(len(todo), 'fichier')}…", expanded=len(todo) > 1) as status:
            bar = st.progress(0.0) if len(todo) > 1 else None
            for i, (name, content, key) in enumerate(todo):
                status.update(label=f"Analyse de « {plain(name)} » ({i + 1}/{len(todo)})…")
                cache[key] = analyze_upload(view, name, content)
                if bar is not None:
                    bar.progress((i + 1) / len(todo), text=f"{count_text(i + 1, 'fichier analysé', 'fichiers analysés')} sur {len(todo)}")
            status.update(label=f"Analyse terminée : {count_text(len(todo), 'fichier')}", state="complete", expanded=False)
    keep = {w[2] for w in wanted}
    for key in [k for k in cache if k not in keep]:  # files removed from the uploader, older versions
        del cache[key]
    return [(name, content, cache[key]) for name, content, key in wanted]


def preview_table(plan: ImportPlan, indicators: dict[str, IndicatorDef], limit: int = PREVIEW_LIMIT) -> pd.DataFrame:
    """The values the file brings, as users read them."""
    columns = ["Code", "Indicateur", "Période", "Périmètre", "Numérateur", "Dénominateur", "Valeur", "Feuille", "Ligne"]
    records = []
    for row in plan.drafts.head(limit).itertuples(index=False):
        ind = indicators.get(str(row.indicator))
        den = None if row.denominator is None or pd.isna(row.denominator) else float(row.denominator)
        num = None if row.numerator is None or pd.isna(row.numerator) else float(row.numerator)
        value = format_value(value_from_counts(ind, num, den), ind.unit) if ind is not None else "–"
        perim = row.perimetre if isinstance(row.perimetre, str) and row.perimetre.strip() else WHOLE_PREFECTURE
        records.append((row.indicator, ind.label if ind else "", span_text(row.start, row.end), perim, num, den,
                        value, row.sheet, int(row.row)))
    return pd.DataFrame.from_records(records, columns=columns)


def indicators_table(plan: ImportPlan, indicators: dict[str, IndicatorDef]) -> pd.DataFrame:
    """One line per indicator the file touches: how many values, over which months."""
    columns = ["Code", "Indicateur", "Valeurs", "Période"]
    if plan.drafts.empty:
        return pd.DataFrame(columns=columns)
    records = []
    for code, group in plan.drafts.groupby("indicator", sort=True):
        ind = indicators.get(str(code))
        records.append((code, ind.label if ind else "", len(group), span_text(min(group["start"]), max(group["end"]))))
    return pd.DataFrame.from_records(records, columns=columns)


def replacements_table(plan: ImportPlan, indicators: dict[str, IndicatorDef]) -> pd.DataFrame:
    """Stored values the file would replace: old → new, value and counts."""
    columns = ["Code", "Indicateur", "Période", "Périmètre", "Avant", "Après"]
    records = []
    for row in plan.replacements.itertuples(index=False):
        ind = indicators.get(str(row.indicator))
        records.append((row.indicator, ind.label if ind else "", row.period, row.perimetre,
                        _value_and_counts(ind, row.old_value, row.old_numerator, row.old_denominator),
                        _value_and_counts(ind, row.new_value, row.new_numerator, row.new_denominator)))
    return pd.DataFrame.from_records(records, columns=columns)


def _number(value: object) -> float | None:
    return None if _blank(value) else float(value)  # type: ignore[arg-type]


def _value_and_counts(ind: IndicatorDef | None, value: object, num: object, den: object) -> str:
    """``92,5 % (160 / 173)``; a count alone."""
    shown = format_value(_number(value), ind.unit if ind else "")
    if ind is None or ind.kind == "count":
        return shown
    return f"{shown} ({counts_text(_number(num))} / {counts_text(_number(den))})"


def plan_headline(plan: ImportPlan) -> tuple[str, str]:
    """Icon and short state for a file's expander."""
    if plan.already_imported is not None:
        return ":material/done_all:", "déjà importé"
    if not plan.ok:
        return ":material/block:", f"refusé, {count_text(len(plan.errors), 'erreur')}"
    return ":material/fact_check:", f"prêt : {count_text(plan.rows, 'valeur')}, {plan.period_text()}"


def already_imported_text(batch: Any) -> str:
    who = f", par {batch.imported_by}" if batch.imported_by else ""
    return (f"Ce fichier a déjà été importé le {paris_time(batch.imported_at)} (lot n° {batch.id}{who}) : "
            "l'enregistrer à nouveau ne changerait rien.")


def rejected_text(plan: ImportPlan) -> str:
    first = plan.errors[0] if plan.errors else None
    text = (f"Fichier refusé : {count_text(len(plan.errors), 'erreur')}. Rien ne sera enregistré ; corrigez le fichier puis "
            "déposez-le à nouveau.")
    return f"{text}\n\nPremière erreur — {plain(first)}" if first else text


def save_upload(view: View, name: str, content: bytes) -> tuple[ImportOutcome | None, list[Issue]]:
    """The import again, in one write transaction; errors instead of an outcome when rejected."""
    try:
        return services.imports.save_upload(actor(), view.prefecture.id or 0, name, content, log_kind=log_kind()), []
    except ImportRejected as exc:
        return None, list(exc.errors)
    except AccessDenied as exc:
        return None, [Issue(services.imports.ERROR, str(exc))]


def deposit_mode(view: View) -> bool:
    """Whether this principal's saves become deposits « à valider » (the préfecture validates its
    services' files and this principal may not validate): the buttons and messages say so."""
    return services.deposits.validation(actor(), view.prefecture.id or 0) and not principal().can("validate_imports")


def deposited_text(outcome: ImportOutcome) -> str:
    return (f"{outcome.plan.file_name} : déposé pour validation (dépôt n° {outcome.deposit_id}) — "
            f"{outcome.plan.summary()}. Ces chiffres ne comptent nulle part tant que le référent qualité ne les a "
            "pas validés ; vous suivez le dépôt plus bas, dans « Vos dépôts ».")


def save_uploads(view: View, files: Sequence[tuple[str, bytes]]) -> None:
    """Save each file (one transaction each), leave the outcome for the next run and rerun."""
    for name, content in files:
        outcome, errors = save_upload(view, name, content)
        if outcome is None:
            flash("error", f"{name} : refusé à l'enregistrement, rien n'a été enregistré.", errors)
        elif outcome.deposit_id is not None:
            flash("success", deposited_text(outcome))
        elif outcome.batch is None:
            already = outcome.plan.already_imported
            flash("info", f"{name} : " + already_imported_text(already) if already else outcome.plan.summary())
        else:
            flash("success", f"Enregistré (lot n° {outcome.batch.id}) — {outcome.plan.summary()}")
            flash_alerts(outcome)
    after_write()
    st.rerun()


def show_plan(view: View, name: str, content: bytes, plan: ImportPlan, indicators: dict[str, IndicatorDef],
              expanded: bool) -> None:
    """Everything the file would change, and its save button when it is accepted."""
    icon, state = plan_headline(plan)
    key = plan.sha256[:16] or file_digest(content)[:16]
    with st.expander(f"{plain(name)} — {state}", expanded=expanded, icon=icon):
        if plan.already_imported is not None:
            st.info(plain(already_imported_text(plan.already_imported)))
            return
        if not plan.ok:
            st.error(rejected_text(plan))
            if plan.coverage:
                st.caption(f"Lu dans le fichier : {plain(plan.coverage)}")
            show_issues(plan.errors, key=f"errors-{key}")
            mapping_ui.mapping_offer(view, plan.unknown, key)
            if plan.warnings:
                st.markdown("**Avertissements**")
                show_issues(plan.warnings, key=f"warnings-{key}")
            return
        layout = format_label(plan.layout)
        if plan.layout.startswith("journal:"):
            kind = plan.layout.removeprefix("journal:")
            layout = plain(f"journal « {kind} » ({LOG_KIND_LABELS.get(kind, kind)}, délais en jours ouvrés)")
        st.markdown(f"**Forme détectée :** {layout} · **Période :** {plan.period_text()} · "
                    f"**{count_text(plan.rows, 'valeur')}** pour {count_text(len(plan.indicators), 'indicateur')}")
        if plan.coverage:
            st.caption(f"Lu dans le fichier : {plain(plan.coverage)}")
        if len(plan.items):
            pending = int((plan.items["status"] == ItemStatus.PENDING).sum())
            late = int(plan.items["status"].isin(LATE_STATUSES).sum())
            st.caption(f"{count_text(len(plan.items), 'élément')} dans le journal : {late} en retard, {pending} en attente "
                       "(délai encore en cours, non comptés) ; le détail des retards sera consultable depuis la page "
                       "Indicateurs.")
        if plan.new_perimetres:
            st.info("Nouveaux périmètres créés à l'enregistrement : " + ", ".join(f"« {plain(p)} »" for p in plan.new_perimetres))
        if len(plan.replacements):
            n = len(plan.replacements)
            st.warning(f"{count_text(n, 'valeur déjà enregistrée', 'valeurs déjà enregistrées')} "
                       f"{plural(n, 'sera remplacée', 'seront remplacées')} "
                       "(l'ancienne valeur reste dans l'historique et revient si le lot est annulé).")
        if plan.unchanged:
            st.caption(f"{count_text(plan.unchanged, 'valeur identique', 'valeurs identiques')} à celles déjà enregistrées.")
        mapping_ui.mapping_offer(view, plan.unknown, key)
        labels = ["Indicateurs", "Valeurs", f"Remplacements ({len(plan.replacements)})",
                  f"Avertissements ({len(plan.warnings)})"]
        tab_ind, tab_values, tab_repl, tab_warn = st.tabs(labels)
        with tab_ind:
            st.dataframe(indicators_table(plan, indicators), hide_index=True, width="stretch", key=f"ind-{key}")
        with tab_values:
            preview = preview_table(plan, indicators)
            if plan.rows > len(preview):
                st.caption(f"Aperçu des {len(preview)} premières valeurs sur {plan.rows}.")
            st.dataframe(preview, hide_index=True, width="stretch", key=f"preview-{key}",
                         column_config={"Numérateur": st.column_config.NumberColumn(format="localized"),
                                        "Dénominateur": st.column_config.NumberColumn(format="localized"),
                                        "Ligne": st.column_config.NumberColumn(format="%d")})
        with tab_repl:
            if len(plan.replacements):
                st.dataframe(replacements_table(plan, indicators), hide_index=True, width="stretch", key=f"repl-{key}")
            else:
                st.caption("Aucune valeur enregistrée ne serait remplacée.")
        with tab_warn:
            if plan.warnings:
                show_issues(plan.warnings, key=f"warnings-{key}")
            else:
                st.caption("Aucun avertissement.")
        depositing = deposit_mode(view)
        if st.button("Déposer pour validation" if depositing else "Enregistrer", key=f"save-{key}", type="primary",
                     icon=":material/outbox:" if depositing else ":material/save:",
                     help="Relit le fichier et le garde « à valider » : il ne comptera qu'une fois validé par le "
                          "référent qualité." if depositing else
                          "Relit le fichier et l'enregistre en une seule transaction."):
            with st.spinner(f"Enregistrement de « {name} »…"):
                save_uploads(view, [(name, content)])


def uploads_section(view: View, uploaded: Sequence[Any] | None) -> None:
    """Analysis, preview and saving of the files in the uploader."""
    if not uploaded:
        button = "Déposer pour validation" if deposit_mode(view) else "Enregistrer"
        st.caption(f"Déposez un ou plusieurs tableaux de suivi ou fichiers au format long ({services.imports.FORMATS_TEXT}). "
                   f"Chaque fichier est d'abord analysé : rien n'est enregistré avant de cliquer sur « {button} ».")
        return
    files = [(f.name, f.getvalue()) for f in uploaded]
    plans = analyze_uploads(view, files)
    indicators = {d.code: d for d in data.referentiel(view)[0]}
    ready = [(name, content) for name, content, plan in plans if plan.ok and plan.already_imported is None]
    if len(ready) > 1:
        refused = sum(not plan.ok for _, _, plan in plans)
        note = (f" ({count_text(refused, 'fichier refusé', 'fichiers refusés')} "
                f"{plural(refused, 'ne le sera pas', 'ne le seront pas')})" if refused else "")
        verb = "Tout déposer pour validation" if deposit_mode(view) else "Tout enregistrer"
        if st.button(f"{verb} ({len(ready)} fichiers){note}", key="save-all", type="primary",
                     icon=":material/save:"):
            with st.spinner("Enregistrement des fichiers…"):
                save_uploads(view, ready)
    for name, content, plan in plans:
        show_plan(view, name, content, plan, indicators, expanded=len(plans) == 1 or not plan.ok)


# --- history and undo ----------------------------------------------------------------------------

def batches_table(batches: Sequence[BatchSummary]) -> pd.DataFrame:
    columns = ["N°", "Date", "Fichier", "Type", "Auteur", "Valeurs", "Remplacées", "Avertissements", "Statut"]
    return pd.DataFrame.from_records(
        [(b.id, paris_time(b.imported_at), b.file_name, format_label(b.kind), b.imported_by, b.rows,
          b.replaced, len(b.warnings), BATCH_STATUS_LABELS.get(b.status, b.status)) for b in batches],
        columns=columns,
    )


def batch_history(view: View, batch_id: int) -> pd.DataFrame:
    """Values the batch replaced (those of the user's périmètres), dates in Paris time."""
    return services.imports.batch_replaced_values(actor(), view.prefecture.id or 0, batch_id)


def undo(view: View, batch_id: int) -> int:
    """Undo a batch in one write transaction; UndoError or AccessDenied (French) when it cannot be."""
    return services.imports.undo_import(actor(), view.prefecture.id or 0, batch_id)


def history_section(view: View) -> None:
    batches = services.imports.import_history(actor(), view.prefecture.id or 0)
    if not batches:
        st.caption("Aucun import pour cette préfecture.")
        return
    table = batches_table(batches)
    st.dataframe(table, hide_index=True, width="stretch", key="history-table",
                 column_config={"N°": st.column_config.NumberColumn(format="%d")})
    by_id = {b.id: b for b in batches}
    chosen = st.selectbox("Lot à consulter ou annuler", list(by_id), key=HISTORY_KEY,
                          format_func=lambda i: f"n° {i} — {by_id[i].file_name} ({paris_time(by_id[i].imported_at)})")
    batch = by_id.get(chosen)
    if batch is None:
        return
    with st.expander(f"Avertissements du lot n° {batch.id} ({len(batch.warnings)})"):
        if batch.warnings:
            show_issues(batch.warnings, key="history-warnings")
        else:
            st.caption("Aucun avertissement.")
    with st.expander(f"Valeurs remplacées par le lot n° {batch.id} ({batch.replaced})"):
        replaced = batch_history(view, batch.id)
        if replaced.empty:
            st.caption("Ce lot n'a remplacé aucune valeur encore en historique.")
        else:
            st.dataframe(replaced, hide_index=True, width="stretch", key="history-replaced")
    if batch.status != "imported":
        st.caption(f"Le lot n° {batch.id} a été annulé.")
        return
    if deposit_mode(view):
        st.caption("La préfecture valide les fichiers des services : demandez au référent qualité d'annuler ce lot.")
        return
    confirmed = st.checkbox(f"Je confirme l'annulation du lot n° {batch.id} : "
                            f"{plural(batch.rows, 'sa valeur sera retirée', f'ses {batch.rows} valeurs seront retirées')} et les valeurs qu'il avait remplacées rétablies.", key=f"undo-confirm-{batch.id}")
    if st.button("Annuler ce lot", key="undo-batch", disabled=not confirmed, icon=":material/undo:"):
        try:
            restored = undo(view, batch.id)
        except UndoError as exc:
            st.error(f"Annulation impossible : {plain(exc)}.")
            return
        except AccessDenied as exc:
            st.error(plain(exc))
            return
        flash("success", f"Lot n° {batch.id} annulé : ses valeurs sont retirées, "
                         f"{count_text(restored, 'valeur antérieure rétablie', 'valeurs antérieures rétablies')}.")
        after_write()
        st.rerun()


# --- template ------------------------------------------------------------------------------------

def template_section(view: View) -> None:
    today = dt.date.today()
    allowed = window_years(today)
    years = sorted({y for y in range(today.year + 1, today.year - 6, -1) if y in allowed} | {view.period.end.year},
                   reverse=True)
    year = st.selectbox("Année du modèle", years, index=years.index(view.period.end.year), key="template-year")
    who = actor()  # the download runs after the script: take the actor now

    def workbook() -> bytes:
        return services.imports.template_workbook(who, view.prefecture.id or 0, year).data

    st.download_button(
        f"Télécharger le modèle {year} (Excel)", workbook, f"modele-suivi-{view.prefecture.code}-{year}.xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        key="template-download", icon=":material/download:", on_click="ignore",
        help="Une feuille par canal (mois en colonnes), indicateurs trimestriels et annuels à part ; "
             "rempli, il se réimporte tel quel.",
    )


# --- typed entry ("Saisie") ----------------------------------------------------------------------

GRID_COLUMNS = ["Code", "Saisie 1", "Saisie 2", "Valeur enregistrée"]  # what is stored, as the boxes show it


def month_options(view: View, today: dt.date | None = None) -> list[dt.date]:
    """Months offered for entry, newest first: at least three years back, up to this month."""
    today = today or dt.date.today()
    low, high = period_window(today)
    last = min(max(view.period.end, dt.date(today.year, today.month, 1), view.last_month or view.period.end), high)
    first = max(min(add_months(last, -35), view.first_month or last, view.period.end), low)
    months, month = [], last
    while month >= first:
        months.append(month)
        month = add_months(month, -1)
    return months


def month_picker(view: View) -> dt.date:
    options = month_options(view)
    chosen = st.selectbox("Mois", options, index=options.index(view.period.end),
                          key=f"saisie-mois-{view.prefecture.code}-{view.period.end:%Y-%m}",
                          format_func=lambda m: month_label_fr(m).capitalize())
    return chosen or view.period.end


def perimetre_picker(view: View) -> str | None:
    """The périmètre's name (a new one may be typed by those who may enter everywhere); None when
    the user may enter for no périmètre of this préfecture."""
    choices = services.entry.entry_perimetres(actor(), view.prefecture.id or 0)
    if not choices:
        st.info("Votre compte ne couvre aucun périmètre de cette préfecture : rien à saisir ici.")
        return None
    may_create = principal().perimetre_ids is None
    help_text = ("« Préfecture (ensemble) » pour un chiffre global ; sinon un service, une boîte fonctionnelle ou une "
                 "sous-préfecture. Tapez un nom pour créer un nouveau périmètre." if may_create
                 else "Les périmètres de votre compte.")
    return st.selectbox("Périmètre", [c.name for c in choices], key=f"saisie-perimetre-{view.prefecture.code}",
                        accept_new_options=may_create, help=help_text)


def _spec_label(ind: IndicatorDef, role: str) -> str:
    spec = ind.counts.get(role)
    return spec.label if spec is not None else ROLE_LABELS[role].capitalize()


def _by_module(indicators: Sequence[IndicatorDef]) -> list[tuple[str, list[IndicatorDef]]]:
    groups: dict[str, list[IndicatorDef]] = {}
    for ind in indicators:
        groups.setdefault(module_label(ind.module_code), []).append(ind)
    return list(groups.items())


def entry_labels(ind: IndicatorDef) -> list[tuple[str, str]]:
    """Each count the indicator is made of, asked for by its own name (« Appels aboutis »), with
    the part it plays as help: one box for a count, two for a rate or a mean delay."""
    if ind.kind == "count":
        return [(_spec_label(ind, "value"), "Le nombre du mois.")]
    if ind.kind == "mean_delay":
        mean = _spec_label(ind, "value")
        return [(mean if "jour" in mean.lower() else f"{mean} (jours)", "Le délai moyen du mois, en jours ouvrés."),
                (_spec_label(ind, "count"), "Le nombre de réponses sur lequel porte ce délai moyen.")]
    return [(_spec_label(ind, "numerator"), "Le numérateur du taux (ce qui est compté dans le délai, abouti…)."),
            (_spec_label(ind, "denominator"), "Le dénominateur du taux (tout ce qui a été reçu, traité…).")]


def _field_key(key: str, code: str, part: int) -> str:
    return f"{key}-{code}-{part}"


def entry_fields(ind: IndicatorDef, stored: pd.Series, key: str) -> None:
    """One indicator's boxes, its full label above them and what is stored beside."""
    with st.container(border=True):
        cols = st.columns([5, 2, 2])
        cols[0].markdown(f"{plain(ind.label)}  \n:gray[{plain(ind.code)} · enregistré : "
                         f"{plain(stored['Valeur enregistrée'])}]")
        for part, (label, help_text) in enumerate(entry_labels(ind), start=1):
            value = None if pd.isna(stored[f"Saisie {part}"]) else float(stored[f"Saisie {part}"])
            delay = ind.kind == "mean_delay" and part == 1  # a mean delay has decimals; counts are whole
            decimal = delay or (value is not None and not value.is_integer())  # Streamlit wants one number type
            cols[part].number_input(
                plain(label), min_value=0.0 if decimal else 0,
                value=value if decimal or value is None else int(value), step=0.1 if delay else 1.0 if decimal else 1,
                format="%.1f" if delay else None, key=_field_key(key, ind.code, part), help=help_text,
                placeholder="–")


def typed_grid(original: pd.DataFrame, key: str) -> pd.DataFrame:
    """The grid with what the boxes hold (as the form last sent them)."""
    edited = original.copy()
    for i, code in enumerate(original["Code"]):
        for part in (1, 2):
            field = _field_key(key, str(code), part)
            if field in st.session_state:
                value = st.session_state[field]
                edited.loc[edited.index[i], f"Saisie {part}"] = math.nan if value is None else float(value)
    return edited


def entry_values(ind: IndicatorDef, numerator: float, denominator: float | None) -> tuple[float, float]:
    """Stored counts → the two entry cells (a mean delay shows its mean and its count)."""
    nan = math.nan
    if ind.kind == "count":
        return float(numerator), nan
    if denominator is None:
        return float(numerator), nan
    if ind.kind == "mean_delay":
        mean = numerator / denominator if denominator else (0.0 if numerator == 0 else nan)
        return mean, float(denominator)
    return float(numerator), float(denominator)


def saisie_grid(indicators: Sequence[IndicatorDef], stored: dict[str, tuple[float, float | None]]) -> pd.DataFrame:
    records = []
    for ind in indicators:
        num, den = stored.get(ind.code, (None, None))
        one, two = entry_values(ind, num, den) if num is not None else (math.nan, math.nan)
        value = value_from_counts(ind, num, den) if num is not None else None
        records.append((ind.code, one, two, format_value(value, ind.unit)))
    frame = pd.DataFrame.from_records(records, columns=GRID_COLUMNS)
    return frame.astype({"Saisie 1": float, "Saisie 2": float})


def _blank(value: object) -> bool:
    return value is None or bool(pd.isna(value))


def _same(a: object, b: object) -> bool:
    if _blank(a) or _blank(b):
        return _blank(a) and _blank(b)
    return math.isclose(float(a), float(b), rel_tol=1e-12, abs_tol=1e-9)  # type: ignore[arg-type]


def changed_codes(original: pd.DataFrame, edited: pd.DataFrame, indicators: dict[str, IndicatorDef]) -> list[str]:
    """Indicators whose entry differs from what is stored (the unused cell of a count is ignored)."""
    out = []
    for (_, old), (_, new) in zip(original.iterrows(), edited.iterrows(), strict=True):
        ind = indicators[str(old["Code"])]
        cells = ["Saisie 1"] if ind.kind == "count" else ["Saisie 1", "Saisie 2"]
        if not all(_same(old[c], new[c]) for c in cells):
            out.append(str(old["Code"]))
    return out


def saisie_rows(edited: pd.DataFrame, indicators: dict[str, IndicatorDef]) -> tuple[list[EntryRow], list[str]]:
    """Rows with values (empty rows are left out) and the incomplete ones, in French."""
    rows: list[EntryRow] = []
    problems: list[str] = []
    for _, line in edited.iterrows():
        ind = indicators[str(line["Code"])]
        one, two = line["Saisie 1"], line["Saisie 2"]
        if ind.kind == "count":
            if not _blank(one):
                rows.append(EntryRow(ind.code, float(one), None))
            continue
        if _blank(one) and _blank(two):
            continue
        if _blank(one) or _blank(two):
            what = "le délai moyen et l'effectif" if ind.kind == "mean_delay" else "le numérateur et le dénominateur"
            problems.append(f"{ind.code} ({ind.label}) : saisissez {what}, ou laissez les deux cases vides.")
            continue
        rows.append(EntryRow(ind.code, float(one), float(two)))
    return rows, problems


def saisie_issues_table(errors: Sequence[Issue], rows: Sequence[EntryRow], indicators: dict[str, IndicatorDef]
                        ) -> pd.DataFrame:
    """Import errors located by indicator rather than by line of the generated file."""
    code_at = {services.entry.SAISIE_FIRST_ROW + i: r.code for i, r in enumerate(rows)}
    records = []
    for issue in errors:
        code = code_at.get(issue.row or 0)
        column = issue.column or ""
        if "(" in column and column.endswith(")"):
            column = column[column.index("(") + 1:-1]
        label = f"{code} — {indicators[code].label}" if code in indicators else "–"
        records.append((label, column, issue.message))
    return pd.DataFrame.from_records(records, columns=["Indicateur", "Champ", "Message"])


def saisie_outcome_text(outcome: ImportOutcome, month: dt.date, where: str) -> str:
    if outcome.deposit_id is not None:
        return (f"Saisie de {month_label_fr(month)}, {where}, déposée pour validation (dépôt n° {outcome.deposit_id}) : "
                "elle ne comptera qu'une fois validée par le référent qualité (page Import, « Vos dépôts »).")
    if outcome.batch is None:
        already = outcome.plan.already_imported
        return already_imported_text(already) if already else outcome.plan.summary()
    unchanged = outcome.plan.unchanged
    added = outcome.inserted - outcome.replaced - unchanged
    return (f"Saisie enregistrée (lot n° {outcome.batch.id}) pour {month_label_fr(month)}, {where} : "
            f"{count_text(added, 'nouvelle valeur', 'nouvelles valeurs')}, {count_text(outcome.replaced, 'modifiée')}, "
            f"{count_text(unchanged, 'inchangée')}.")


def grid_key(pref_code: str, month: dt.date, perimetre: PerimetreChoice) -> str:
    generation = st.session_state.get(GENERATION_KEY, 0)
    return f"saisie-grid-{pref_code}-{month:%Y-%m}-{services.imports.perimetre_key(perimetre.name) or 'ensemble'}-{generation}"


def saisie_form(view: View, month: dt.date, perimetre_name: str | None) -> None:
    """The entry grid of one month and périmètre, and its save."""
    try:
        grid = services.entry.entry_grid(actor(), view.prefecture.id or 0, month, perimetre_name)
    except AccessDenied as exc:
        st.error(plain(exc))
        return
    perimetre, indicators = grid.perimetre, grid.indicators
    if not indicators:
        st.info("Aucun indicateur mensuel pour les modules de cette préfecture.")
        return
    by_code = {d.code: d for d in indicators}
    original = saisie_grid(indicators, grid.stored)
    where = "la préfecture dans son ensemble" if perimetre.whole else f"« {perimetre.name} »"  # raw: flashed too
    st.subheader(f"{month_label_fr(month).capitalize()} — {plain(where)}")
    if perimetre.is_new:
        st.info(f"Nouveau périmètre « {plain(perimetre.name)} » : il sera créé à l'enregistrement.")
    st.caption("Saisissez les comptes, pas les taux : le tableau de bord calcule les taux et les délais moyens. "
               "Un indicateur laissé vide n'est pas enregistré ; « enregistré » montre ce qui l'est déjà.")
    key = grid_key(view.prefecture.code, month, perimetre)
    with st.form(f"{key}-form", border=False, enter_to_submit=False):
        for module, group in _by_module(indicators):
            st.markdown(f"**{plain(module)}**")
            for ind in group:
                entry_fields(ind, original.loc[original["Code"] == ind.code].iloc[0], key)
        depositing = deposit_mode(view)
        submitted = st.form_submit_button("Déposer pour validation" if depositing else "Enregistrer", key="saisie-save",
                                          type="primary", icon=":material/outbox:" if depositing else ":material/save:")
    edited = typed_grid(original, key)
    changes = changed_codes(original, edited, by_code)
    if not submitted:
        return
    rows, problems = saisie_rows(edited, by_code)
    if problems:
        st.error("Saisie incomplète, rien n'a été enregistré :\n\n" + "\n".join(f"- {plain(p)}" for p in problems))
        return
    if not rows:
        st.warning("Aucune valeur saisie : rien à enregistrer.")
        return
    if not changes and not perimetre.is_new:
        st.info("Aucune modification par rapport aux valeurs enregistrées : rien à enregistrer.")
        return
    try:
        with st.spinner("Enregistrement…"):
            outcome = services.entry.save_entries(actor(), view.prefecture.id or 0, month, perimetre.name, rows)
    except AccessDenied as exc:
        st.error(f"Saisie refusée : {plain(exc)}")
        return
    except ImportRejected as exc:
        st.error(f"Saisie refusée : {count_text(len(exc.errors), 'erreur')}, rien n'a été enregistré. Corrigez les valeurs "
                 "ci-dessous puis enregistrez à nouveau.\n\n" + "\n".join(f"- {plain(e.message)}" for e in exc.errors[:5]))
        st.dataframe(saisie_issues_table(exc.errors, rows, by_code), hide_index=True, width="stretch",
                     key="saisie-errors")
        return
    flash("success", saisie_outcome_text(outcome, month, where), outcome.plan.warnings)
    flash_alerts(outcome)
    st.session_state[GENERATION_KEY] = st.session_state.get(GENERATION_KEY, 0) + 1
    after_write()
    st.rerun()
