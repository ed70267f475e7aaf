"""The rules every screen, export, report and the CLI share, each with exactly one home.

Why a package of small modules: the same rule (a status's symbol, how a change reads, which
channel an indicator belongs to…) used to be re-implemented wherever it was shown, and the copies
drifted apart. Each module below holds one rule; everything else imports it.

* :mod:`.status` — the five statuses: word, symbol, colours, chart marker, rank;
* :mod:`.kinds` — indicator kinds (unit, scale) and directions (higher or lower is better);
* :mod:`.formatting` — how a value, a change and a target read in French;
* :mod:`.items` — the statuses and kinds of log items (e-mails, letters, complaints…);
* :mod:`.headings` — "Module N — titre";
* :mod:`.channels` — the channel an indicator is shown under.

Periods (:mod:`qep_core.periods`) and personal-data masking (:mod:`qep_core.privacy`) have their
own modules.
"""
