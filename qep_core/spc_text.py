"""The two sentences a COPIL member reads beside a control chart: what the latest month's
variation means, and whether the target will be met if nothing changes.

Why sentences: « variation commune », « p′ » or « 3 sigmas » mean nothing to most of a COPIL;
« 7 mois de suite au-dessus de la moyenne habituelle » does. They describe the latest month,
the one the meeting decides on.
"""

from __future__ import annotations

from qep_core.spc import (
    ALEATOIRE,
    ATTEINTE,
    BEYOND_LIMIT,
    COMMUNE,
    MANQUEE,
    RUN,
    SIGNAL_ORDER,
    TREND,
    TWO_OF_THREE,
    SpcChart,
    SpcPoint,
)

ASSURANCE_SENTENCES = {
    ATTEINTE: "La cible sera atteinte chaque mois si rien ne change.",
    MANQUEE: "La cible ne sera atteinte aucun mois si rien ne change : il faut changer la façon de faire.",
    ALEATOIRE: "La cible sera atteinte certains mois et manquée d'autres, au hasard, si rien ne change.",
}


def _above(point: SpcPoint) -> bool:
    return point.value > point.centre


def _run_length(points: tuple[SpcPoint, ...], above: bool) -> int:
    """How many of the last points are part of the run, on the last one's side."""
    count = 0
    for p in reversed(points):
        if RUN not in p.signals or _above(p) != above:
            break
        count += 1
    return count


def _trend_length(points: tuple[SpcPoint, ...], rising: bool) -> int:
    """How many of the last points are part of the trend, going the last one's way."""
    count = 1
    for before, after in zip(reversed(points[:-1]), reversed(points), strict=False):
        if TREND not in before.signals or (after.value > before.value) != rising:
            break
        count += 1
    return count


def variation_sentence(chart: SpcChart) -> str:
    """The latest month's variation, e.g. « Amélioration : 7 mois de suite au-dessus de la
    moyenne habituelle. »"""
    if not chart.points:
        return "Pas de donnée : aucun mois à lire."
    points, last = chart.points, chart.points[-1]
    signal = next((s for s in SIGNAL_ORDER if s in last.signals), None)
    if signal is None or last.variation == COMMUNE:
        return "Variation commune : le dernier mois reste dans la variation habituelle, sans signal."
    head = last.variation.capitalize()
    if signal == BEYOND_LIMIT:
        where = "au-dessus de la limite haute" if _above(last) else "au-dessous de la limite basse"
        return f"{head} : le dernier mois est {where} de la variation habituelle."
    if signal == TREND:
        rising = len(points) > 1 and last.value > points[-2].value
        return f"{head} : {_trend_length(points, rising)} mois de suite en {'hausse' if rising else 'baisse'}."
    if signal == TWO_OF_THREE:
        return f"{head} : 2 des 3 derniers mois sont près de la limite {'haute' if _above(last) else 'basse'}."
    where = "au-dessus" if _above(last) else "au-dessous"
    return f"{head} : {_run_length(points, _above(last))} mois de suite {where} de la moyenne habituelle."


def assurance_sentence(chart: SpcChart) -> str:
    """Whether the target will be met, e.g. « La cible sera atteinte chaque mois si rien ne change. »"""
    if chart.target is None:
        return "Pas de cible : rien à garantir."
    if chart.assurance is None:
        return "Trop peu de mois pour dire si la cible sera atteinte."
    return ASSURANCE_SENTENCES[chart.assurance]


def method_sentence(chart: SpcChart, baseline: int) -> str:
    """How the chart was drawn, in words a COPIL member follows (the « comment lire » of the page)."""
    what = ("carte p′ de Laney : pour un taux, la moyenne habituelle est Σ numérateurs / Σ dénominateurs et "
            "les limites s'écartent davantage les mois de faible volume" if chart.method == "p'" else
            "carte XmR : la moyenne habituelle est celle des valeurs et les limites viennent de l'écart moyen "
            "d'un mois au suivant")
    return (f"Méthode : {what}. Moyenne et limites sont calculées sur les {baseline} premiers mois montrés, puis "
            "de nouveau après chaque changement de fonctionnement daté. Sont des signaux : un mois hors des "
            "limites, 7 mois de suite d'un même côté de la moyenne, 7 mois de suite en hausse ou en baisse, "
            "2 mois sur 3 près d'une même limite. Le reste est la variation commune : réagir à un seul mois "
            "dans les limites, c'est réagir au hasard.")
