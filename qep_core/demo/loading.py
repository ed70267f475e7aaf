"""Loading the whole demo préfecture: indicators, then pilotage, the COPIL's reviews and surveys.

The order matters: the action plan is loaded before the reviews whose decisions join it.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from qep_core.db import create_schema, session_scope
from qep_core.demo.collection import declare_demo_sources
from qep_core.demo.events import seed_demo_events
from qep_core.demo.indicators import (
    DEMO_CODE,
    DEMO_DIR,
    DEMO_MODULES,
    DEMO_NAME,
    DEMO_USER,
    LOG_AS_OF,
    PUBLIC_NAMES,
    DemoLoadError,
    demo_files,
    write_demo_files,
)
from qep_core.demo.pilotage import load_pilotage_demo, write_pilotage_demo_files
from qep_core.demo.surveys import load_demo_surveys, write_survey_demo_files
from qep_core.frenchforms import count_text, plural
from qep_core.importing import ImportRejected, import_file
from qep_core.models import Perimetre, Prefecture
from qep_core.prefectures import create_prefecture
from qep_core.referentiel import seed_referentiel
from qep_core.review.workflow import seed_demo_reviews
from qep_core.settings import set_public_name
from qep_core.signals.alerts import raise_alerts, recent_months


def load_demo(engine: Engine, directory: Path = DEMO_DIR) -> str:
    """Create the demo préfecture (if absent) and import every demo file; a French one-line summary.

    Importing goes through the real importer, so the demo also proves that the files services
    keep are read. Files already imported are recognised by their SHA-256: running this again
    changes nothing. A refused file means the generator and the importer disagree: that is a
    bug, so it raises :class:`DemoLoadError` with the importer's errors.
    """
    files = demo_files(directory)
    if not files:
        raise DemoLoadError(f"aucun fichier de démonstration dans {directory} "
                            "(lancez « python -m qep_core demo-data »)")
    create_schema(engine)
    with session_scope(engine, write=True) as session:
        seed_referentiel(session)
        pref = session.exec(select(Prefecture).where(Prefecture.code == DEMO_CODE)).first()
        if pref is None:
            pref = create_prefecture(session, DEMO_CODE, DEMO_NAME, DEMO_MODULES)
        elif pref.name != DEMO_NAME:
            raise DemoLoadError(f"la préfecture {DEMO_CODE} existe déjà (« {pref.name} ») : la démonstration ne se "
                                "charge pas dans une vraie préfecture")
        prefecture_id = pref.id or 0
    imported = skipped = values = replaced = warnings = 0
    for path in files:
        try:
            as_of = LOG_AS_OF if path.name.startswith("journal-") else None  # logs: as of the files' date
            outcome = import_file(engine, prefecture_id, path.name, path.read_bytes(), user=DEMO_USER, as_of=as_of)
        except ImportRejected as exc:
            details = "; ".join(str(issue) for issue in exc.errors)
            raise DemoLoadError(f"fichier de démonstration refusé : {path.name} : {details}") from exc
        if outcome.changed:
            imported += 1
            values += outcome.inserted
            replaced += outcome.replaced
            warnings += len(outcome.plan.warnings)
        else:
            skipped += 1
    with session_scope(engine, write=True) as session:
        _set_public_names(session, prefecture_id)
        seed_demo_events(session, prefecture_id)  # the voice server of October 2022 (read by the alerts), a staff change
        # the Signaux list of the demo: the crossings of its last 12 months, e-mailed to nobody
        raise_alerts(session, prefecture_id, recent_months(session, prefecture_id))
        declare_demo_sources(session, prefecture_id)  # who supplies what: the collection board
    # action plan, audit, trainings (data/demo/pilotage), before the reviews whose decisions join the plan
    pilotage = load_pilotage_demo(engine, prefecture_id)
    with session_scope(engine, write=True) as session:  # the COPIL's quarterly reviews of 2024
        seed_demo_reviews(session, prefecture_id)
    pilotage += "\n" + load_demo_surveys(engine)  # satisfaction surveys and mystery checks (data/demo/enquetes)
    if not imported:
        return (f"{DEMO_NAME} ({DEMO_CODE}) : les {skipped} fichiers de démonstration sont déjà importés, "
                f"rien n'a changé\n{pilotage}")
    already = f", {skipped} déjà {plural(skipped, 'importé', 'importés')}" if skipped else ""
    return (f"{DEMO_NAME} ({DEMO_CODE}) : {count_text(imported, 'fichier importé', 'fichiers importés')}{already}, "
            f"{count_text(values, 'valeur enregistrée', 'valeurs enregistrées')}, "
            f"{count_text(replaced, 'remplacée')}, "
            f"{count_text(warnings, 'avertissement')} (voir l'historique des imports)\n{pilotage}")


def _set_public_names(session: Session, prefecture_id: int) -> None:
    """The demo périmètres' public names, unless someone already typed one (loading twice changes nothing)."""
    for row in session.exec(select(Perimetre).where(Perimetre.prefecture_id == prefecture_id)):
        if row.public_name is None and row.name in PUBLIC_NAMES:
            set_public_name(session, prefecture_id, row.id or 0, PUBLIC_NAMES[row.name])


def write_all_demo_files(out_dir: Path) -> tuple[list[Path], list[Path]]:
    """Every demo file: the services' tracking files and logs (with pilotage under ``pilotage/``),
    and the survey exports (under ``enquetes/``)."""
    files = write_demo_files(out_dir)
    files += write_pilotage_demo_files(out_dir / "pilotage")
    return files, write_survey_demo_files(out_dir / "enquetes")
