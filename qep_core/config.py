"""Settings read from the environment: declared once, here, as data, each with its documentation.

Every ``QEP_*`` variable the application reads is a :class:`Setting` of :data:`SETTINGS`, and
only this module reads ``os.environ``. The README's table of settings is checked against this
list by a test, so that a setting cannot exist without its sentence for the préfecture's IT.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = PROJECT_ROOT / "data"


@dataclass(frozen=True)
class Setting:
    name: str
    default: str
    doc: str  # one French sentence, as in the README's table


SETTINGS: tuple[Setting, ...] = (
    Setting("QEP_DATABASE_URL", f"sqlite:///{DATA_DIR / 'qep.db'}",
            "Base de données : SQLite par défaut (data/qep.db), ou PostgreSQL "
            "(postgresql+psycopg://utilisateur:motdepasse@hôte/base)."),
    Setting("QEP_AUTH", "local",
            "« local » : un seul poste, sans connexion, tous les droits ; « accounts » : connexion obligatoire "
            "(comptes de l'application, et OpenID Connect si Streamlit le configure). Toute autre valeur vaut "
            "« accounts »."),
    Setting("QEP_PASSWORD", "",
            "Ligne de commande `user add` / `user passwd` : le mot de passe, à la place de la saisie "
            "masquée (scripts d'installation)."),
    Setting("QEP_AS", "",
            "Ligne de commande : le compte au nom duquel agir quand `--as` n'est pas donné (instance à "
            "comptes) ; sans lui, une instance « local » agit comme le poste local."),
    Setting("QEP_SIGNIN_MAX_FAILURES", "5",
            "Connexion : nombre d'échecs de mot de passe pour un compte après lequel chaque nouvel essai doit "
            "attendre un délai croissant (une connexion réussie remet le compte à zéro)."),
    Setting("QEP_SIGNIN_MAX_FAILURES_CLIENT", "20",
            "Connexion : nombre d'échecs venant d'une même adresse IP, tous comptes confondus, après lequel "
            "cette adresse doit attendre un délai croissant."),
    Setting("QEP_SIGNIN_DELAY", "30",
            "Connexion : premier délai d'attente, en secondes, une fois un seuil d'échecs atteint ; il double "
            "à chaque nouvel échec, jusqu'à une heure."),
    Setting("QEP_IMPORT_MEMORY_MB", "1024",
            "Import : mémoire permise à l'analyse d'un fichier déposé, en Mo (espace d'adresses du processus "
            "séparé qui la fait ; chargement des bibliothèques compris, environ 470 Mo) ; au-delà, le fichier "
            "est refusé et rien n'est enregistré."),
    Setting("QEP_IMPORT_SECONDS", "60",
            "Import : durée permise à l'analyse d'un fichier déposé, en secondes ; au-delà, elle est arrêtée et "
            "le fichier refusé (un journal de 200 000 lignes s'analyse en 2 à 3 s)."),
    Setting("QEP_PERIOD_FIRST_YEAR", "2000",
            "Périodes acceptées : première année qu'une valeur, une cible ou une enquête peut couvrir ; une "
            "période plus ancienne est refusée (import, saisie, ligne de commande) et les listes d'années des "
            "pages commencent au plus tôt cette année-là."),
    Setting("QEP_PERIOD_YEARS_AHEAD", "1",
            "Périodes acceptées : nombre d'années après l'année en cours qu'une période peut atteindre (1 : "
            "jusqu'à décembre de l'an prochain, pour les cibles et les périodes prévues) ; au-delà, elle est "
            "refusée."),
    Setting("QEP_SPC_BASELINE_MONTHS", "12",
            "Signaux des indicateurs : nombre de premiers mois affichés (au moins 2) sur lesquels la moyenne "
            "habituelle et les limites sont calculées, puis de nouveau après chaque changement de "
            "fonctionnement daté."),
    Setting("QEP_SMTP_HOST", "",
            "Courriel : serveur SMTP par lequel partent les alertes, la synthèse mensuelle et les relances "
            "(vide : aucun courriel ne part, les pages et la ligne de commande le disent)."),
    Setting("QEP_SMTP_PORT", "587",
            "Courriel : port du serveur SMTP (587 pour la soumission avec STARTTLS)."),
    Setting("QEP_SMTP_FROM", "",
            "Courriel : adresse d'expédition (par exemple qualite@loire-atlantique.gouv.fr) ; obligatoire dès "
            "que QEP_SMTP_HOST est donné."),
    Setting("QEP_SMTP_USER", "",
            "Courriel : identifiant de connexion au serveur SMTP (vide : envoi sans authentification)."),
    Setting("QEP_SMTP_PASSWORD", "",
            "Courriel : mot de passe de connexion au serveur SMTP, avec QEP_SMTP_USER."),
    Setting("QEP_SMTP_STARTTLS", "1",
            "Courriel : « 1 » (par défaut) chiffre la connexion par STARTTLS et refuse d'envoyer si le serveur "
            "ne le propose pas ; « 0 » envoie en clair (serveur local de la préfecture uniquement)."),
    Setting("QEP_SMTP_SECONDS", "30",
            "Courriel : délai maximal, en secondes, d'une connexion ou d'une réponse du serveur SMTP ; au-delà, "
            "l'envoi est abandonné avec un message et rien n'est noté comme envoyé."),
    Setting("QEP_LOG_FORMAT", "json",
            "Journal des opérations des processus de l'application (une ligne par opération : qui, quoi, "
            "préfecture, durée, issue), sur la sortie d'erreur (le journal systemd) : « json » (par défaut), "
            "« text » (lisible à l'écran) ou « none » (aucun)."),
)
_BY_NAME = {s.name: s for s in SETTINGS}


def setting(name: str) -> str:
    """The value of a declared setting (its default when unset or blank)."""
    declared = _BY_NAME[name]  # KeyError: an undeclared setting is a bug, not a user error
    value = os.environ.get(name, "").strip()
    return value or declared.default


def int_setting(name: str) -> int:
    """A declared whole-number setting; a value that is not a whole number falls back to the default."""
    value = setting(name)
    try:
        return int(value)
    except ValueError:
        return int(_BY_NAME[name].default)


def database_url() -> str:
    return setting("QEP_DATABASE_URL")


def auth_mode() -> str:
    """``local`` (one user on a laptop, no sign-in) or ``accounts`` (sign-in required); anything
    unexpected fails closed to ``accounts``."""
    mode = setting("QEP_AUTH").lower()
    return mode if mode in ("local", "accounts") else "accounts"
