"""The rules every screen, export, report and the CLI share, each with exactly one home.

Why a package of small modules: the same rule (a status's symbol, how a change reads, which
channel an indicator belongs to…) used to be re-implemented wherever it was shown, and the copies
drifted apart. Each module below holds one rule; everything else imports it.

* :mod:`.status` — the five statuses: word, symbol, colours, chart marker, rank;
* :mod:`.kinds` — indicator kinds (unit, scale) and directions (higher or lower is better);
* :mod:`.formatting` — how a value, a change and a target read in French;
* :mod:`.items` — the statuses and kinds of log items (e-mails, letters, complaints…);
* :mod:`.file_formats` — the French name of each form of imported file;
* :mod:`.headings` — "Module N — titre";
* :mod:`.channels` — the channel an indicator is shown under;
* :mod:`.bounds` — the period window, the largest counts and the longest texts a value may have
  (:mod:`.row_bounds` applies them to every row written through the ORM).
* :mod:`.public_names` — the name a périmètre goes by in public documents.
* :mod:`.signals` — how a month's variation and an indicator's assurance (control charts) are shown.

Periods (:mod:`qep_core.periods`) and personal-data masking (:mod:`qep_core.privacy`) have their
own modules.

The package re-exports every rule, so that screens import ``from qep_core.rules import …``.
"""

from qep_core.rules.bounds import (
    MAX_MEAN_DELAY_DAYS,
    MAX_MONTHLY_COUNT,
    ValueOutOfBounds,
    bounded_years,
    check_month,
    check_year,
    clamp_month,
    period_window,
    window_years,
)
from qep_core.rules.channels import (
    GENERAL,
    MODULE_CHANNELS,
    channel_mapping,
    fallback_channel,
    indicator_channel,
)
from qep_core.rules.file_formats import BATCH_STATUS_LABELS, FORMAT_LABELS, format_label
from qep_core.rules.formatting import (
    DISPLAY_DECIMALS,
    NO_VALUE,
    STABLE,
    change_unit,
    delta_colour,
    format_amount,
    format_change,
    format_target,
    format_value,
    is_stable,
    round_value,
)
from qep_core.rules.headings import (
    module_heading,
    module_number,
)
from qep_core.rules.items import (
    ANSWERED_STATUSES,
    LATE_STATUSES,
    LOG_KIND_LABELS,
    LOG_KINDS,
    ItemStatus,
    LogKind,
)
from qep_core.rules.kinds import (
    Direction,
    IndicatorKind,
    direction_of,
    direction_sign,
    kind_of,
)
from qep_core.rules.public_names import (
    MISSING_PUBLIC_NAME,
    clean_public_name,
    looks_like_full_name,
    public_name,
    public_name_problem,
)
from qep_core.rules.signals import (
    ASSURANCE_STYLES,
    VARIATION_STYLES,
    SignalStyle,
    assurance_style,
    variation_style,
)
from qep_core.rules.status import (
    A_SURVEILLER,
    ATTEINT,
    NON_ATTEINT,
    PAS_DE_DONNEE,
    RATED_STATUSES,
    SANS_OBJECTIF,
    STATUS_RANK,
    STATUS_SYMBOL,
    STATUS_TABLE,
    STATUSES,
    StatusStyle,
    chart_legend,
    status_count,
    status_counts_text,
    status_text,
    style_of,
)

__all__ = [
    "ANSWERED_STATUSES",
    "ASSURANCE_STYLES",
    "ATTEINT",
    "A_SURVEILLER",
    "BATCH_STATUS_LABELS",
    "DISPLAY_DECIMALS",
    "FORMAT_LABELS",
    "GENERAL",
    "LATE_STATUSES",
    "LOG_KINDS",
    "LOG_KIND_LABELS",
    "MAX_MEAN_DELAY_DAYS",
    "MAX_MONTHLY_COUNT",
    "MISSING_PUBLIC_NAME",
    "MODULE_CHANNELS",
    "NON_ATTEINT",
    "NO_VALUE",
    "PAS_DE_DONNEE",
    "RATED_STATUSES",
    "SANS_OBJECTIF",
    "STABLE",
    "STATUSES",
    "STATUS_RANK",
    "STATUS_SYMBOL",
    "STATUS_TABLE",
    "VARIATION_STYLES",
    "Direction",
    "IndicatorKind",
    "ItemStatus",
    "LogKind",
    "SignalStyle",
    "StatusStyle",
    "ValueOutOfBounds",
    "assurance_style",
    "bounded_years",
    "change_unit",
    "channel_mapping",
    "chart_legend",
    "check_month",
    "check_year",
    "clamp_month",
    "clean_public_name",
    "delta_colour",
    "direction_of",
    "direction_sign",
    "fallback_channel",
    "format_amount",
    "format_change",
    "format_label",
    "format_target",
    "format_value",
    "indicator_channel",
    "is_stable",
    "kind_of",
    "looks_like_full_name",
    "module_heading",
    "module_number",
    "period_window",
    "public_name",
    "public_name_problem",
    "round_value",
    "status_count",
    "status_counts_text",
    "status_text",
    "style_of",
    "variation_style",
    "window_years",
]
