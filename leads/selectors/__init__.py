"""Every read of the leads app, always scoped through accounts.scoping.stores_for.

One module per topic, like services: ``leads`` (leads, events, tasks),
``calls`` (calls, transcripts, competitors), ``reports`` (funnel, timeliness,
CPL/CPQL, defeats), ``pool`` (the public pool: list, pending
confirmations, rules, HQ overview); ``showroom`` (free test-drive slots, appointments,
calendars, the fleet) is imported from ``leads.selectors.showroom``."""

from leads.selectors.calls import *  # noqa: F401,F403
from leads.selectors.leads import *  # noqa: F401,F403
from leads.selectors.pool import *  # noqa: F401,F403
from leads.selectors.reports import *  # noqa: F401,F403
