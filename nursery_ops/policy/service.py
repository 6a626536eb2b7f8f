"""Changing a rule's number: the director's override with a reason, audited."""

from sqlmodel import Session, select

from nursery_ops import audit
from nursery_ops.auth.service import CurrentPerson
from nursery_ops.clock import utcnow
from nursery_ops.i18n import N_
from nursery_ops.policy import (
    ITEMS_BY_KEY,
    Policy,
    PolicyOverride,
    inconsistencies,
    load_policy,
    parse_value,
    value_hint,
)


def rule_rows(session: Session) -> list[dict]:
    """Every rule with its default, source and the value in force (one query)."""
    policy = load_policy(session)
    overrides = {row.key: row for row in session.exec(select(PolicyOverride)).all()}
    return [
        {"item": item, "value": getattr(policy, item.key), "override": overrides.get(item.key)}
        for item in ITEMS_BY_KEY.values()
    ]


def change_rule(session: Session, me: CurrentPerson, key: str, raw: str, reason: str) -> dict[str, str]:
    """Store a new value for one rule; returns field errors (nothing saved) or {}."""
    item = ITEMS_BY_KEY[key]
    errors = {}
    if not reason.strip():
        errors["reason"] = N_("Write why this rule changes (for example the local regulation).")
    try:
        value = parse_value(item, raw)
    except ValueError:
        errors["value"] = value_hint(item)
        return errors
    current = load_policy(session)
    problems = inconsistencies(current.with_values(**{key: value}))
    if problems:
        errors["value"] = problems[0]
    if errors:
        return errors
    row = session.get(PolicyOverride, key)
    # The rule's name goes into the entry: the override row is keyed by it, not by an id.
    before = {"key": key, "value": str(getattr(current, key))}
    if row is None:
        row = PolicyOverride(key=key, value=raw.strip(), reason=reason.strip(), changed_by_id=me.id)
    else:
        row.value, row.reason, row.changed_by_id, row.changed_at = raw.strip(), reason.strip(), me.id, utcnow()
    session.add(row)
    audit.record(session, me.id, "rule_changed", row, before=before, after={"key": key, "value": str(value)}, reason=reason.strip())
    return {}


def reset_rule(session: Session, me: CurrentPerson, key: str, reason: str) -> dict[str, str]:
    """Back to the default (the audit log keeps the old value)."""
    if not reason.strip():
        return {"reason": N_("Write why this rule changes (for example the local regulation).")}
    row = session.get(PolicyOverride, key)
    if row is None:
        return {}
    default = Policy()
    problems = inconsistencies(load_policy(session).with_values(**{key: getattr(default, key)}))
    if problems:
        return {"value": problems[0]}
    audit.record(
        session, me.id, "rule_reset", row, before={"key": key, "value": row.value},
        after={"key": key, "value": str(getattr(default, key))},
        reason=reason.strip(),
    )
    session.delete(row)
    return {}
