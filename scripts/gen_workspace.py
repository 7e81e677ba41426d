#!/usr/bin/env python3
"""Generate a realistic handoff workspace of N leads, reproducibly (seeded).

Used by scripts/bench. Mix: 80 % closed (spread over the past year), the rest open across
intake/assigned/accepted (the last two weeks), 3-12 history events, multi-line notes,
some overdue next actions, repeated phone numbers. Files follow the shape handoff writes
(field order, plain or single-quoted scalars, block-scalar notes) and pass `handoff validate`.

usage: gen_workspace.py DIR N [--seed S] [--handoff BIN]
"""
import argparse
import datetime as dt
import os
import random
import re
import subprocess
import sys
from zoneinfo import ZoneInfo

TZ = ZoneInfo("America/Chicago")
NOW = dt.datetime(2026, 11, 24, 12, 0, tzinfo=TZ)
ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"
STAFF = ["ana", "dev", "olive", "sam"]
OWNERS = ["dev", "olive", "sam"]
URGENCY = ["emergency", "active-loss", "urgent", "standard", "standard", "standard", "low"]
FIT = [None, None, "premium", "standard", "poor"]
SOURCE = ["phone", "phone", "web-form", "referral", "missed-call-recovered", "repeat-customer", "ads"]
SERVICE = ["repair", "repair", "maintenance", "install", "inspection", "estimate", "consult"]
OUTCOME = ["booked", "estimate-sent", "won", "lost", "no-response", "not-a-fit", "duplicate"]
FIRST = ["Maria", "Tom", "Priya", "Chen", "Lena", "Sam", "Ahmed", "Olga", "Luis", "Grace", "Kofi", "Ines"]
LAST = ["Lopez", "Becker", "Shah", "Wei", "Ortiz", "Patel", "Khan", "Novak", "Garcia", "Kim", "Mensah", "Costa"]
STREETS = ["Elm St", "Oak Ave", "Lake Shore Dr", "Birch Ln", "Pine Rd", "Maple Ct", "Cedar Blvd"]
PROBLEMS = [
    "Water heater leaking into the basement",
    "No hot water since last night",
    "Furnace makes a banging noise at start-up",
    "Kitchen sink drains slowly",
    "Wants a quote for a whole-house repipe",
    "AC not cooling upstairs",
    "Sump pump runs constantly",
]
DETAILS = [
    "Customer prefers calls after 3pm.",
    "Gate code 4471; dog in the yard.",
    "Tenant occupied, landlord approves work.",
    "Second visit: first tech could not find the shut-off.",
    "Has photos, will text them.",
]
PLAIN = re.compile(r"^[A-Za-z][A-Za-z0-9 ,.()/-]*$")
KEYWORDS = {"yes", "no", "true", "false", "null", "on", "off", "y", "n", "~"}


def scalar(s):
    if PLAIN.match(s) and s.lower() not in KEYWORDS and ": " not in s and not s.endswith(":"):
        return s
    return "'" + s.replace("'", "''") + "'"


def stamp(t):
    t = t.astimezone(TZ).replace(microsecond=0)
    off = t.utcoffset()
    mins = int(off.total_seconds() // 60)
    sign = "-" if mins < 0 else "+"
    mins = abs(mins)
    return t.strftime("%Y-%m-%dT%H:%M:%S") + f"{sign}{mins // 60:02d}:{mins % 60:02d}"


def event(t, by, kind, **fields):
    lines = [f"- at: {stamp(t)}", f"  by: {by}", f"  event: {kind}"]
    for key in ["to", "from", "rule", "reason", "missing", "changed", "action", "due", "clock", "outcome", "text"]:
        v = fields.get(key)
        if v is None:
            continue
        if isinstance(v, list):
            lines.append(f"  {key}:")
            lines.extend(f"  - {x}" for x in v)
        elif isinstance(v, dt.datetime):
            lines.append(f"  {key}: {stamp(v)}")
        else:
            lines.append(f"  {key}: {scalar(v)}")
    return lines


def lead(rng, n):
    closed = rng.random() < 0.8
    if closed:
        created = NOW - dt.timedelta(days=rng.uniform(14, 365))
    else:
        created = NOW - dt.timedelta(days=rng.uniform(0, 14))
    # Arithmetic in UTC: Python adds timedeltas to zoned times on the wall clock, which
    # runs backwards across the November DST change.
    created = created.replace(second=0, microsecond=0).astimezone(dt.timezone.utc)
    lid = created.astimezone(TZ).strftime("%Y%m%d") + "-" + "".join(rng.choice(ALPHABET) for _ in range(9))
    urgency, fit, source, service = rng.choice(URGENCY), rng.choice(FIT), rng.choice(SOURCE), rng.choice(SERVICE)
    phone = "+1312555" + f"{rng.randrange(10000 if rng.random() < 0.9 else 300):04d}"
    name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
    notes = rng.choice(PROBLEMS) + "\n" + "\n".join(rng.sample(DETAILS, rng.randint(1, 3)))
    owner = rng.choice(OWNERS)
    t = created
    hist = event(t, "ana", "captured")
    status = "intake"
    action, due, follow = None, None, None
    if closed:
        target = rng.choice(["assigned", "accepted", "closed"])
        target = "closed"
    else:
        target = rng.choice(["intake", "assigned", "accepted", "accepted"])
    steps = 0
    if target != "intake":
        t += dt.timedelta(minutes=rng.randint(1, 10))
        action = rng.choice(["Call the customer to schedule", "Call to book the estimate visit", "Dispatch a crew"])
        due = t + dt.timedelta(hours=rng.choice([1, 2, 4, 24, 48]))
        hist += event(t, "ana", "assigned", to=owner, rule="default", changed=["owner", "next_action", "next_action_due"], action=action, due=due)
        status = "assigned"
        if rng.random() < 0.15:
            t += dt.timedelta(minutes=rng.randint(5, 30))
            hist += event(t, owner, "rejected", **{"from": owner}, reason="Missing the unit number", missing=["service_address"])
            t += dt.timedelta(minutes=rng.randint(5, 30))
            hist += event(t, "ana", "updated", changed=["service_address"])
            t += dt.timedelta(minutes=1)
            hist += event(t, "ana", "assigned", to=owner, changed=["owner"], action=action, due=due)
        if target in ("accepted", "closed"):
            t += dt.timedelta(minutes=rng.randint(1, 40))
            hist += event(t, owner, "accepted", to=owner)
            status = "accepted"
            for _ in range(rng.randint(0, 6)):
                t += dt.timedelta(hours=rng.uniform(0.5, 30))
                if rng.random() < 0.5:
                    hist += event(t, owner, "noted", text=rng.choice(DETAILS))
                else:
                    action = rng.choice(["Send the estimate", "Call back", "Confirm the visit"])
                    due = t + dt.timedelta(hours=rng.choice([2, 24, 72]))
                    hist += event(t, owner, "next", changed=["next_action", "next_action_due"], action=action, due=due)
                steps += 1
        if target == "closed":
            t += dt.timedelta(hours=rng.uniform(1, 48))
            hist += event(t, owner, "closed", outcome=rng.choice(OUTCOME))
            status = "closed"
    if t > NOW:
        return lead(rng, n)
    if service in ("estimate", "consult") and status != "intake":
        follow = (created + dt.timedelta(days=2)).astimezone(TZ).strftime("%Y-%m-%d")
    out = [
        f"id: {lid}",
        f"status: {status}",
        f"created_at: {stamp(created)}",
        "captured_by: ana",
        f"full_name: {scalar(name)}",
        f"primary_phone: '{phone}'",
        f"service_address: {scalar(str(rng.randint(1, 999)) + ' ' + rng.choice(STREETS))}",
        f"service_type: {service}",
        f"urgency: {urgency}",
    ]
    if fit:
        out.append(f"fit: {fit}")
    out.append(f"source: {source}")
    if source == "referral":
        out.append(f"referral: {scalar('Neighbour ' + rng.choice(FIRST))}")
    out.append("notes: |-")
    out.extend("  " + line for line in notes.split("\n"))
    if action:
        out.append(f"next_action: {scalar(action)}")
        out.append(f"next_action_due: {stamp(due)}")
    if follow:
        out.append(f"follow_up_on: {follow}")
    if status != "intake":
        out.append(f"owner: {owner}")
    out.append("history:")
    out.extend(hist)
    return lid, "\n".join(out) + "\n"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("dir")
    p.add_argument("n", type=int)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--handoff", default="handoff", help="binary used for `init`")
    a = p.parse_args()
    os.makedirs(a.dir, exist_ok=True)
    if not os.path.exists(os.path.join(a.dir, "rules.yaml")):
        subprocess.run([a.handoff, "init", a.dir, "--timezone", "America/Chicago"], check=True, capture_output=True)
        rules = os.path.join(a.dir, "rules.yaml")
        text = open(rules).read().replace("git: true", "git: false")
        open(rules, "w").write(text)
    rng = random.Random(a.seed)
    leads = os.path.join(a.dir, "leads")
    seen = set()
    for i in range(a.n):
        lid, text = lead(rng, i)
        while lid in seen:
            lid, text = lead(rng, i)
        seen.add(lid)
        with open(os.path.join(leads, lid + ".yaml"), "w") as f:
            f.write(text)
    print(f"{a.n} leads in {leads}", file=sys.stderr)


if __name__ == "__main__":
    main()
