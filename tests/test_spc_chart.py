"""The control chart as drawn (qep_core.spc_chart): each variation by colour and shape, the limits
and the target in view, labels from data shown literally."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.engine import Engine

from qep_core.db import session_scope
from qep_core.models import Prefecture
from qep_core.periods import add_months
from qep_core.referentiel import IndicatorDef, indicators_for
from qep_core.rules.signals import VARIATION_STYLES
from qep_core.spc import AMELIORATION, COMMUNE, PREOCCUPATION, p_prime_chart
from qep_core.spc_chart import VARIATION_MARKERS, spc_figure


def _rate(engine: Engine, prefecture: Prefecture) -> IndicatorDef:
    with session_scope(engine) as session:
        return next(d for d in indicators_for(session, prefecture.id or 0) if d.code == "COURRIEL_5J")


def test_each_variation_has_its_colour_its_shape_and_its_words(engine: Engine, prefecture: Prefecture) -> None:
    months = [add_months(dt.date(2024, 1, 1), i) for i in range(14)]
    # twelve months near 90 %, then one far below (concern) and one far above (improvement)
    nums = [90, 91, 89, 90, 92, 88, 90, 91, 89, 90, 91, 89, 60, 99]
    chart = p_prime_chart(months, nums, [100] * 14, ">=", 90.0)
    assert [p.variation for p in chart.points[-2:]] == [PREOCCUPATION, AMELIORATION]
    fig = spc_figure(_rate(engine, prefecture), chart, "Courriels <b>5 j</b>")
    by_name = {t.name: t for t in fig.data}
    for variation in (COMMUNE, PREOCCUPATION, AMELIORATION):
        trace = by_name[VARIATION_STYLES[variation].text]
        assert trace.marker.symbol == VARIATION_MARKERS[variation]
        assert trace.marker.color == f"#{VARIATION_STYLES[variation].colour}"
    assert list(by_name[VARIATION_STYLES[PREOCCUPATION].text].y) == [60.0]
    assert {"limites de la variation habituelle", "moyenne habituelle", "cible (≥ 90,0 %)"} <= set(by_name)
    low, high = fig.layout.yaxis.range
    limits = [x for p in chart.points for x in (p.lower, p.upper) if x is not None]
    assert low <= min([60.0, *limits]) and high >= max([99.0, *limits]) and high <= 100 + 10
    assert fig.layout.title.text == "Courriels &lt;b&gt;5 j&lt;/b&gt;"
