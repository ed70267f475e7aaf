"""The channel an indicator is shown under (dashboard groups, template sheets, exports).

The channel is its engagement's. An indicator tied to a module only (no engagement, or an
engagement without a channel) falls back on its module: module 2's indicators are about the
délivrance des titres (the référentiel's « titres » channel); anything else is « general », the
first channel of module 1. The dashboard used to put every such indicator under « titres » and
the CLI under « general »: this is the one rule both follow now.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

GENERAL = "general"
MODULE_CHANNELS = {"M2": "titres"}


def fallback_channel(module_code: str) -> str:
    return MODULE_CHANNELS.get(module_code, GENERAL)


def indicator_channel(indicator: Any, engagement_channels: Mapping[str, str | None]) -> str:
    """The channel code of *indicator* (an IndicatorDef) given engagement key → channel code."""
    return engagement_channels.get(indicator.engagement_key or "") or fallback_channel(indicator.module_code)


def channel_mapping(indicators: Iterable[Any], engagements: Iterable[Any]) -> dict[str, str]:
    """Indicator code → channel code, for engagements with ``key`` and ``channel_code``."""
    channels = {e.key: e.channel_code for e in engagements}
    return {d.code: indicator_channel(d, channels) for d in indicators}
