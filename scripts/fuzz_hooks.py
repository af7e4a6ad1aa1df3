"""Rules the API document states in words because JSON Schema cannot: they relate one
field to another or to the clock. For the requests the fuzzer means to be valid, these
hooks keep to them, so that positive_data_acceptance tests everything else the document
promises; requests meant to be invalid are left as generated.

- A consent (`POST /api/v1/seekers/{id}/consents`): `signed_at` not in the future,
  `expires_at` in the future and after `signed_at`.
- A report (`GET /api/v1/reports`): `to` not before `from`, at most 1,096 days in all.
- A matching policy (`PUT /api/v1/matching-policy`): `lifecycle.urgent_answer_within_hours`
  not above `answer_within_hours` (each 72 and 24 when left out).
- Accepting a cohort plan (`POST /api/v1/cohort-assignment/accept`): each seeker once.
- A roster (`POST /api/v1/sponsors/import`) is CSV whose rows are checked as profiles
  are (docs/case-managers.md): the text a fuzzer writes is not one, so a file meant to be
  valid is sent as the header row alone.
"""

import datetime as dt

import schemathesis

ROSTER_HEADER = (
    "external_id,email,display_name,alias,fellowships,sobriety_date,gender,sponsors,"
    "age_band,languages,time_zone,availability,meeting,meeting.in_person.latitude,"
    "meeting.in_person.longitude,meeting.in_person.radius_km,capacity,attributes,status,"
    "contact.email,contact.phone\n"
)


def _meant_valid(case):
    meta = case.meta
    return meta is not None and meta.generation.mode.is_positive


def _instant(text):
    try:
        return dt.datetime.fromisoformat(str(text).replace("z", "Z"))
    except ValueError:
        return None


def _day(text):
    try:
        return dt.date.fromisoformat(str(text))
    except ValueError:
        return None


def _consent(body):
    now = dt.datetime.now(dt.timezone.utc)
    signed = _instant(body.get("signed_at"))
    if signed is None or signed.tzinfo is None or signed > now:
        signed = now - dt.timedelta(hours=1)
        body["signed_at"] = signed.isoformat()
    expires = _instant(body.get("expires_at"))
    soon = max(now, signed) + dt.timedelta(minutes=5)
    if expires is None or expires.tzinfo is None or expires <= soon:
        body["expires_at"] = (now + dt.timedelta(days=180)).isoformat()


def _report(query):
    first, last = _day(query.get("from")), _day(query.get("to"))
    if first is not None and last is not None and not 0 <= (last - first).days < 1096:
        query["to"] = query["from"]


def _policy(body):
    lifecycle = body.get("lifecycle")
    if not isinstance(lifecycle, dict):
        return
    answer = lifecycle.get("answer_within_hours", 72)
    urgent = lifecycle.get("urgent_answer_within_hours", 24)
    if isinstance(answer, (int, float)) and isinstance(urgent, (int, float)) and urgent > answer:
        lifecycle["urgent_answer_within_hours"] = answer


def _cohort(body):
    pairs, seen, kept = body.get("pairs"), set(), []
    if not isinstance(pairs, list):
        return
    for pair in pairs:
        seeker = pair.get("seeker_id") if isinstance(pair, dict) else None
        if seeker not in seen:
            kept.append(pair)
            seen.add(seeker)
    body["pairs"] = kept


@schemathesis.hook
def map_case(context, case):
    if not _meant_valid(case):
        return case
    label = f"{case.method.upper()} {case.operation.path}"
    body = case.body if isinstance(case.body, dict) else None
    if label == "POST /api/v1/seekers/{id}/consents" and body is not None:
        _consent(body)
    elif label == "GET /api/v1/reports" and isinstance(case.query, dict):
        _report(case.query)
    elif label == "PUT /api/v1/matching-policy" and body is not None:
        _policy(body)
    elif label == "POST /api/v1/cohort-assignment/accept" and body is not None:
        _cohort(body)
    elif label == "POST /api/v1/sponsors/import":
        case.body = ROSTER_HEADER
    return case
