"""The learned score: naive-Bayes predictive lead scoring from the group's own
history, shown beside the rule score (``Lead.learned_score``, 0..1).

Training data: every lead that ended — *won* (ordered or delivered) or *lost*
(defeated or silent).  Features of a lead:

- categorical: first channel, brand, model of interest (normalised), linked
  member or not, name given or not, how many behaviour events (0, 1-2, 3-5, 6+);
- Bernoulli: each behaviour event kind seen or not (only events before the lead
  closed count, so a reactivation after a defeat does not teach the model).

Probabilities use Laplace (add-one) smoothing, with an "unseen" slot per
categorical feature so a new channel or model gets a neutral likelihood.
``learned_score_train`` stores the counts as one ``LearnedScoreModel`` row per
day (re-running the job the same day replaces that row: idempotent) and writes
the predicted probability of winning to every open lead in bulk.
"""

from __future__ import annotations

import math
from collections import defaultdict

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from leads.models import BEHAVIOUR_EVENTS, LeadEvent, LearnedScoreModel, Lead, Stage

WON = (Stage.ORDERED, Stage.DELIVERED)
LOST = (Stage.DEFEATED, Stage.SILENT)
MIN_PER_CLASS = 5  # fewer won or lost leads than this: no model, learned_score stays empty
ALPHA = 1.0
CATEGORICAL = ("channel", "brand", "model", "member", "named", "engagement")
EVENT_KINDS = sorted(str(k) for k in BEHAVIOUR_EVENTS)
BATCH = 2000


def _engagement(n: int) -> str:
    return "0" if n == 0 else "1-2" if n <= 2 else "3-5" if n <= 5 else "6+"


def _features(rows, events_by_lead) -> dict[int, dict]:
    """rows: (pk, channel code, brand code, model_interest, member_id, name)."""
    out = {}
    for pk, channel, brand, model, member_id, name in rows:
        kinds = events_by_lead.get(pk, {})
        out[pk] = {
            "channel": channel or "",
            "brand": brand or "",
            "model": (model or "").strip().lower().replace(" ", ""),
            "member": "yes" if member_id else "no",
            "named": "yes" if name else "no",
            "engagement": _engagement(sum(kinds.values())),
            "events": sorted(kinds),
        }
    return out


def lead_features(leads) -> dict[int, dict]:
    """Features of the given leads (a queryset), two queries per call."""
    rows = list(leads.values_list("pk", "channel__code", "brand__code", "model_interest", "member_id", "name"))
    ids = [r[0] for r in rows]
    events: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    qs = (
        LeadEvent.objects.filter(lead_id__in=ids, kind__in=BEHAVIOUR_EVENTS)
        .filter(Q(lead__closed_at__isnull=True) | Q(occurred_at__lte=F("lead__closed_at")))
        .values_list("lead_id", "kind")
    )
    for lead_id, kind in qs.iterator(chunk_size=5000):
        events[lead_id][kind] += 1
    return _features(rows, events)


def learned_model_fit(samples: list[tuple[dict, bool]]) -> dict:
    """Counts for naive Bayes from (features, won) pairs."""
    params = {"classes": {"won": 0, "lost": 0}, "categorical": {}, "events": {"won": {}, "lost": {}}, "alpha": ALPHA}
    cats = {f: {"won": defaultdict(int), "lost": defaultdict(int)} for f in CATEGORICAL}
    for features, won in samples:
        label = "won" if won else "lost"
        params["classes"][label] += 1
        for f in CATEGORICAL:
            cats[f][label][features[f]] += 1
        for kind in features["events"]:
            params["events"][label][kind] = params["events"][label].get(kind, 0) + 1
    params["categorical"] = {f: {c: dict(v) for c, v in by_class.items()} for f, by_class in cats.items()}
    return params


def learned_model_predict(params: dict, features: dict) -> float:
    """P(won | features) under the model, with Laplace smoothing."""
    alpha = params.get("alpha", ALPHA)
    n = params["classes"]
    total = n["won"] + n["lost"]
    log = {}
    for label in ("won", "lost"):
        value = math.log((n[label] + alpha) / (total + 2 * alpha))
        for f in CATEGORICAL:
            counts = params["categorical"][f]
            seen = set(counts["won"]) | set(counts["lost"])
            levels = len(seen) + 1  # +1: the slot for a value never seen
            value += math.log((counts[label].get(features[f], 0) + alpha) / (n[label] + alpha * levels))
        present = set(features["events"])
        for kind in EVENT_KINDS:
            p = (params["events"][label].get(kind, 0) + alpha) / (n[label] + 2 * alpha)
            value += math.log(p if kind in present else 1 - p)
        log[label] = value
    top = max(log.values())
    won, lost = math.exp(log["won"] - top), math.exp(log["lost"] - top)
    return won / (won + lost)


def learned_model_current() -> LearnedScoreModel | None:
    return LearnedScoreModel.objects.order_by("-trained_on").first()


def learned_score_train(*, today=None) -> LearnedScoreModel | None:
    """Scheduled daily: fit the model on closed history, store it (one row per
    day), and write ``learned_score`` for every open lead.  Idempotent: a
    second run the same day replaces the day's row with the same numbers."""
    today = today or timezone.localdate()
    closed = Lead.objects.filter(stage__in=(*WON, *LOST))
    samples = []
    ids = list(closed.order_by("pk").values_list("pk", "stage"))
    for start in range(0, len(ids), BATCH):
        chunk = dict(ids[start:start + BATCH])
        for pk, features in lead_features(Lead.objects.filter(pk__in=list(chunk))).items():
            samples.append((features, chunk[pk] in WON))
    params = learned_model_fit(samples)
    if min(params["classes"].values()) < MIN_PER_CLASS:
        return None
    with transaction.atomic():
        model, _ = LearnedScoreModel.objects.update_or_create(
            trained_on=today,
            defaults={"trained_at": timezone.now(), "won": params["classes"]["won"],
                      "lost": params["classes"]["lost"], "params": params},
        )
    learned_scores_write(params=params)
    return model


def learned_scores_write(*, params: dict) -> int:
    """Predict for every open, not yet won lead and bulk_update in batches."""
    open_ids = list(
        Lead.objects.filter(is_open=True).exclude(stage__in=WON).order_by("pk").values_list("pk", flat=True)
    )
    written = 0
    for start in range(0, len(open_ids), BATCH):
        chunk = open_ids[start:start + BATCH]
        features = lead_features(Lead.objects.filter(pk__in=chunk))
        rows = [Lead(pk=pk, learned_score=round(learned_model_predict(params, f), 4)) for pk, f in features.items()]
        Lead.objects.bulk_update(rows, ["learned_score"], batch_size=500)
        written += len(rows)
    return written
