"""Recording incidents, the follow-up steps, and closing; the lists the pages and dashboards show.

Every change validates everything first (nothing half-saved), writes its audit entry
with the row before and after in the same transaction, and commits. Refusals raise
`Refused` (field → message id). Nothing here deletes an incident.

Who reads which incident is `rules.may_read` (a suspected abuse only the director, the
health officer and its reporter; a caregiver their rooms' children): `readable_incident`
for one, `_visible_to` for the lists. `family_incidents` is what a guardian may see.
"""

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import and_, false, or_
from sqlmodel import Session, col, select

from nursery_ops import audit
from nursery_ops.auth.models import STAFF_ROLES, Person, PersonRole, Role
from nursery_ops.auth.service import CurrentPerson
from nursery_ops.children.access import cares_for_child, own_children, own_room_ids, reads_every_health_record
from nursery_ops.children.models import Child
from nursery_ops.clock import local_date
from nursery_ops.enrolment.models import Enrolment, EnrolmentStatus
from nursery_ops.errors import Forbidden, NotFound
from nursery_ops.forms import Refused
from nursery_ops.i18n import N_
from nursery_ops.incidents import rules
from nursery_ops.incidents.forms import (
    IncidentDetailsForm,
    IncidentFilters,
    NewIncidentForm,
    NotificationForm,
    PoliceReportForm,
    SignOffForm,
)
from nursery_ops.incidents.models import Incident, IncidentCategory, IncidentStaff
from nursery_ops.rooms.models import Room
from nursery_ops.settings import get_settings

CLOSED = N_("This incident is closed: it can no longer be changed.")
SIGN_OFF_CLEARED = "incident_sign_off_cleared"
NOT_YOUR_ROOM = N_("You may record incidents only for children of your own room.")
CHOOSE = N_("Choose one of the options.")


# ---------------------------------------------------------------- who may record for which child


def may_record_for(session: Session, me: CurrentPerson, child_id: int, room_id: int | None = None) -> bool:
    """The director and the health officer record for any child; caregivers for their rooms' children."""
    return cares_for_child(session, me, child_id, room_id)


def child_options(session: Session, me: CurrentPerson) -> list[tuple[int, str]]:
    """Enrolled children this person may record for, "name · room", by room then name."""
    query = (
        select(Child.id, Child.full_name, Room.name)
        .join(Enrolment, Enrolment.child_id == Child.id)
        .join(Room, Room.id == Enrolment.room_id)
        .where(Enrolment.status == EnrolmentStatus.enrolled)
        .order_by(Room.name, Child.full_name)
    )
    if not reads_every_health_record(me):
        query = query.where(col(Enrolment.room_id).in_(own_room_ids(me.id)))
    return [(child_id, f"{name} · {room}") for child_id, name, room in session.exec(query).all()]


def staff_options(session: Session) -> list[tuple[int, str]]:
    """Active staff who may have been present, by name."""
    query = (
        select(Person.id, Person.full_name)
        .where(
            Person.active.is_(True),
            col(Person.id).in_(select(PersonRole.person_id).where(col(PersonRole.role).in_(list(STAFF_ROLES)))),
        )
        .order_by(Person.full_name)
    )
    return [(person_id, name) for person_id, name in session.exec(query).all()]


def _current_room_id(session: Session, child_id: int) -> int | None:
    return session.exec(
        select(Enrolment.room_id).where(Enrolment.child_id == child_id, Enrolment.status == EnrolmentStatus.enrolled)
    ).first()


# ---------------------------------------------------------------- reading


def may_read_incident(session: Session, me: CurrentPerson, incident: Incident) -> bool:
    every = reads_every_health_record(me)
    return rules.may_read(
        incident.category,
        reads_every_record=every,
        reported_it=incident.recorded_by_id == me.id,
        cares_for_child=every or cares_for_child(session, me, incident.child_id, incident.room_id),
    )


def readable_incident(session: Session, me: CurrentPerson, incident_id: int) -> Incident:
    """The incident, if this person may read it; NotFound otherwise (also for unknown ids).

    Not 403: a refusal would tell a caregiver that an incident they may not read exists —
    for their own room's child, that it is a suspected abuse.
    """
    incident = session.get(Incident, incident_id)
    if incident is None or not may_read_incident(session, me, incident):
        raise NotFound()
    return incident


def _visible_to(me: CurrentPerson):
    """`rules.may_read` as a WHERE clause (None: every incident), for lists in one query."""
    if reads_every_health_record(me):
        return None
    own = false()
    if me.has(Role.caregiver):
        own = or_(col(Incident.room_id).in_(own_room_ids(me.id)), col(Incident.child_id).in_(own_children(me.id)))
    return or_(
        Incident.recorded_by_id == me.id,
        and_(col(Incident.category).not_in(list(rules.RESTRICTED_CATEGORIES)), own),
    )


def open_incidents(session: Session, me: CurrentPerson | None = None) -> list["IncidentRow"]:
    """Incidents not yet closed with their child, newest first, in one query (the /health page)."""
    return list_incidents(session, IncidentFilters(status="open"), me)


def child_incidents(session: Session, child_id: int, me: CurrentPerson) -> list[Incident]:
    """One child's incidents that this member of staff may read, newest first."""
    query = select(Incident).where(Incident.child_id == child_id)
    if (visible := _visible_to(me)) is not None:
        query = query.where(visible)
    return list(session.exec(query.order_by(col(Incident.occurred_at).desc(), col(Incident.id).desc())).all())


@dataclass(frozen=True)
class FamilyIncident:
    """What a guardian reads about their child's incident: what happened and what was done.

    Never a suspected abuse, never the police report, nor the names of the staff involved.
    """

    id: int
    category: IncidentCategory
    occurred_at: datetime
    on_date: date
    place: str
    body_parts: list[str]
    description: str
    first_aid: str
    hospital_referral: bool
    hospital: str
    cause: str
    corrective_action: str
    guardian_notified_at: datetime | None
    closed: bool


FAMILY_COLUMNS = (
    Incident.id, Incident.category, Incident.occurred_at, Incident.on_date, Incident.place, Incident.body_parts,
    Incident.description, Incident.first_aid, Incident.hospital_referral, Incident.hospital, Incident.cause,
    Incident.corrective_action, Incident.guardian_notified_at,
)


def family_incidents(session: Session, child_id: int) -> list[FamilyIncident]:
    """One child's incidents for the family page, newest first, in one query (only the columns shown)."""
    rows = session.exec(
        select(*FAMILY_COLUMNS, col(Incident.closed_at).is_not(None))
        .where(Incident.child_id == child_id, col(Incident.category).not_in(list(rules.RESTRICTED_CATEGORIES)))
        .order_by(col(Incident.occurred_at).desc(), col(Incident.id).desc())
    ).all()
    return [FamilyIncident(*row[:-1], closed=bool(row[-1])) for row in rows]


@dataclass
class IncidentRow:
    incident: Incident
    child_name: str
    room_name: str | None
    missing: list[rules.Step]


def blockers_for(incident: Incident) -> list[rules.Step]:
    return rules.close_blockers(
        incident.category,
        guardian_notified=incident.guardian_notified_at is not None,
        cause=incident.cause,
        corrective_action=incident.corrective_action,
        police_reported=incident.police_reported_at is not None,
        signed_off=incident.signed_off_at is not None,
    )


def list_incidents(session: Session, filters: IncidentFilters, me: CurrentPerson | None = None) -> list[IncidentRow]:
    """The incidents `me` may read (None: every one, for the director's dashboard), in one query:
    open ones first, then newest first."""
    query = (
        select(Incident, Child.full_name, Room.name)
        .join(Child, Child.id == Incident.child_id)
        .outerjoin(Room, Room.id == Incident.room_id)
        .order_by(col(Incident.closed_at).is_not(None), col(Incident.occurred_at).desc(), col(Incident.id).desc())
    )
    if filters.status == "open":
        query = query.where(col(Incident.closed_at).is_(None))
    elif filters.status == "closed":
        query = query.where(col(Incident.closed_at).is_not(None))
    if filters.category is not None:
        query = query.where(Incident.category == filters.category)
    if me is not None and (visible := _visible_to(me)) is not None:
        query = query.where(visible)
    return [
        IncidentRow(incident, child_name, room_name, [] if incident.is_closed else blockers_for(incident))
        for incident, child_name, room_name in session.exec(query).all()
    ]


@dataclass
class IncidentView:
    """An incident with the names of everyone it mentions and what still blocks closing."""

    incident: Incident
    child: Child
    room: Room | None
    names: dict[int, str]
    staff_present: list[int]
    missing: list[rules.Step] = field(default_factory=list)
    history: list[tuple[datetime, str, str]] = field(default_factory=list)  # (when, action, who)

    def name(self, person_id: int | None) -> str:
        return self.names.get(person_id, "") if person_id is not None else ""

    @property
    def sign_off_cleared(self) -> bool:
        """Changed after the director signed off, and not signed again since."""
        return self.incident.signed_off_at is None and any(action == SIGN_OFF_CLEARED for _at, action, _who in self.history)


def incident_view(session: Session, incident: Incident) -> IncidentView:
    staff_ids = list(
        session.exec(select(IncidentStaff.person_id).where(IncidentStaff.incident_id == incident.id).order_by(IncidentStaff.id)).all()
    )
    people = {
        incident.recorded_by_id,
        incident.guardian_notified_by_id,
        incident.police_recorded_by_id,
        incident.signed_off_by_id,
        incident.closed_by_id,
        *staff_ids,
    } - {None}
    names = dict(session.exec(select(Person.id, Person.full_name).where(col(Person.id).in_(people))).all()) if people else {}
    child = session.get(Child, incident.child_id)
    room = session.get(Room, incident.room_id) if incident.room_id is not None else None
    history = session.exec(
        select(audit.AuditEntry.at, audit.AuditEntry.action, Person.full_name)
        .outerjoin(Person, Person.id == audit.AuditEntry.actor_id)
        .where(audit.AuditEntry.entity == Incident.__tablename__, audit.AuditEntry.entity_id == incident.id)
        .order_by(audit.AuditEntry.id)
    ).all()
    missing = [] if incident.is_closed else blockers_for(incident)
    return IncidentView(incident, child, room, names, staff_ids, missing, [(at, action, who or "") for at, action, who in history])


def details_form_values(view: IncidentView) -> dict:
    """The edit form filled with the incident as it stands."""
    incident = view.incident
    local = incident.occurred_at.astimezone(get_settings().zone)
    return {
        "category": incident.category.value,
        "occurred_on": local.date().isoformat(),
        "occurred_time": local.strftime("%H:%M"),
        "place": incident.place,
        "body_parts": list(incident.body_parts),
        "description": incident.description,
        "first_aid": incident.first_aid,
        "staff_present": [str(person_id) for person_id in view.staff_present],
        "hospital_referral": incident.hospital_referral,
        "hospital": incident.hospital,
        "cause": incident.cause,
        "corrective_action": incident.corrective_action,
    }


# ---------------------------------------------------------------- changes


def _staff_ids(session: Session, incident_id: int) -> list[int]:
    return sorted(session.exec(select(IncidentStaff.person_id).where(IncidentStaff.incident_id == incident_id)).all())


def _snapshot(session: Session, incident: Incident) -> dict:
    return {**audit.snapshot(incident, exclude={"form_token"}), "staff_present": _staff_ids(session, incident.id)}


def _check_details(session: Session, data: IncidentDetailsForm, now: datetime) -> datetime:
    """The incident's time, once every detail is valid; Refused with every problem otherwise."""
    occurred_at = rules.local_moment(data.occurred_on, data.occurred_time, get_settings().zone)
    errors = {}
    if message := rules.occurred_error(occurred_at, now):
        errors["occurred_time"] = message
    if message := rules.hospital_error(data.hospital_referral, data.hospital):
        errors["hospital"] = message
    if set(data.staff_present) - {person_id for person_id, _name in staff_options(session)}:
        errors["staff_present"] = CHOOSE
    if errors:
        raise Refused(errors)
    return occurred_at


def _apply_details(incident: Incident, data: IncidentDetailsForm, occurred_at: datetime) -> None:
    incident.category = data.category
    incident.occurred_at = occurred_at
    incident.on_date = local_date(occurred_at)
    incident.place = data.place
    incident.body_parts = list(data.body_parts)
    incident.description = data.description
    incident.first_aid = data.first_aid
    incident.hospital_referral = data.hospital_referral
    incident.hospital = data.hospital if data.hospital_referral else ""
    incident.cause = data.cause
    incident.corrective_action = data.corrective_action


def _set_staff(session: Session, incident: Incident, person_ids: list[int]) -> None:
    wanted = set(person_ids)
    present = {row.person_id: row for row in session.exec(select(IncidentStaff).where(IncidentStaff.incident_id == incident.id))}
    # The link rows are a set of names, not a record of their own: the audit entry keeps the history.
    for person_id, row in present.items():
        if person_id not in wanted:
            session.delete(row)
    for person_id in sorted(wanted - present.keys()):
        session.add(IncidentStaff(incident_id=incident.id, person_id=person_id))
    session.flush()


def record_incident(
    session: Session, me: CurrentPerson, data: NewIncidentForm, now: datetime, acting_id: int | None = None
) -> Incident:
    """A new incident by the signed-in person, or on a room tablet by whoever unlocked it (`acting_id`)."""
    recorded_by_id = acting_id or me.id
    if data.form_token:
        earlier = session.exec(select(Incident).where(Incident.form_token == data.form_token)).first()
        if earlier is not None:
            return earlier
    child = session.get(Child, data.child_id)
    if child is None:
        raise Refused({"child_id": CHOOSE})
    if not may_record_for(session, me, child.id):
        raise Forbidden()
    occurred_at = _check_details(session, data, now)
    incident = Incident(
        child_id=child.id,
        room_id=_current_room_id(session, child.id),
        recorded_by_id=recorded_by_id,
        recorded_at=now,
        form_token=data.form_token,
        # Filled by _apply_details; the constructor needs values for the required columns.
        category=data.category,
        occurred_at=occurred_at,
        on_date=local_date(occurred_at),
        place=data.place,
        description=data.description,
    )
    _apply_details(incident, data, occurred_at)
    session.add(incident)
    session.flush()
    _set_staff(session, incident, data.staff_present)
    audit.record(session, recorded_by_id, "incident_recorded", incident, after=_snapshot(session, incident), child_id=child.id)
    session.commit()
    return incident


def _may_change(session: Session, me: CurrentPerson, incident: Incident) -> None:
    if not may_read_incident(session, me, incident):
        raise NotFound()
    if not may_record_for(session, me, incident.child_id, incident.room_id):
        raise Forbidden()
    if incident.is_closed:
        raise Refused({"__all__": CLOSED})


def _clear_sign_off(session: Session, me: CurrentPerson, incident: Incident) -> None:
    """The director's sign-off covers the record as it was: a correction after it asks for it again (audited).

    Called after the correction's own audit entry, in the same transaction. Recording a step
    still missing (the first notification, the first police report) completes the record the
    director signed and does not clear it.
    """
    if incident.signed_off_at is None:
        return
    before = _snapshot(session, incident)
    incident.signed_off_by_id, incident.signed_off_at, incident.sign_off_remarks = None, None, ""
    session.add(incident)
    audit.record(session, me.id, SIGN_OFF_CLEARED, incident, before=before, after=_snapshot(session, incident),
                 child_id=incident.child_id)


def update_incident(session: Session, me: CurrentPerson, incident: Incident, data: IncidentDetailsForm, now: datetime) -> None:
    """A correction of what was recorded: the audit entry keeps the row before and after."""
    _may_change(session, me, incident)
    occurred_at = _check_details(session, data, now)
    before = _snapshot(session, incident)
    _apply_details(incident, data, occurred_at)
    session.add(incident)
    _set_staff(session, incident, data.staff_present)
    audit.record(session, me.id, "incident_updated", incident, before=before, after=_snapshot(session, incident), child_id=incident.child_id)
    _clear_sign_off(session, me, incident)
    session.commit()


def record_notification(session: Session, me: CurrentPerson, incident: Incident, data: NotificationForm, now: datetime) -> None:
    _may_change(session, me, incident)
    notified_at = rules.local_moment(data.notified_on, data.notified_time, get_settings().zone)
    if message := rules.follow_up_error(notified_at, incident.occurred_at, now):
        raise Refused({"notified_time": message})
    before = _snapshot(session, incident)
    correction = incident.guardian_notified_at is not None
    incident.guardian_notified_at = notified_at
    incident.guardian_notified_how = data.how
    incident.guardian_notified_by_id = me.id
    session.add(incident)
    audit.record(
        session, me.id, "incident_guardian_notified", incident, before=before, after=_snapshot(session, incident), child_id=incident.child_id
    )
    if correction:
        _clear_sign_off(session, me, incident)
    session.commit()


def record_police_report(session: Session, me: CurrentPerson, incident: Incident, data: PoliceReportForm, now: datetime) -> None:
    _may_change(session, me, incident)
    reported_at = rules.local_moment(data.reported_on, data.reported_time, get_settings().zone)
    if message := rules.follow_up_error(reported_at, incident.occurred_at, now):
        raise Refused({"reported_time": message})
    before = _snapshot(session, incident)
    correction = incident.police_reported_at is not None
    incident.police_reported_at = reported_at
    incident.police_station = data.station
    incident.police_reference = data.reference
    incident.police_recorded_by_id = me.id
    session.add(incident)
    audit.record(
        session, me.id, "incident_police_report", incident, before=before, after=_snapshot(session, incident), child_id=incident.child_id
    )
    if correction:
        _clear_sign_off(session, me, incident)
    session.commit()


def sign_off(session: Session, me: CurrentPerson, incident: Incident, data: SignOffForm, now: datetime) -> None:
    """负责人签字 — the director has read the record (the route admits directors only)."""
    if incident.is_closed:
        raise Refused({"__all__": CLOSED})
    if incident.signed_off_at is not None:
        raise Refused({"__all__": N_("The director has already signed off this incident.")})
    before = _snapshot(session, incident)
    incident.signed_off_by_id = me.id
    incident.signed_off_at = now
    incident.sign_off_remarks = data.remarks
    session.add(incident)
    audit.record(session, me.id, "incident_signed_off", incident, before=before, after=_snapshot(session, incident), child_id=incident.child_id)
    session.commit()


def close_incident(session: Session, me: CurrentPerson, incident: Incident, now: datetime) -> None:
    if incident.is_closed:
        raise Refused({"__all__": CLOSED})
    if blockers_for(incident):
        raise Refused({"__all__": N_("This incident cannot be closed yet: complete the missing steps first.")})
    before = _snapshot(session, incident)
    incident.closed_at = now
    incident.closed_by_id = me.id
    session.add(incident)
    audit.record(session, me.id, "incident_closed", incident, before=before, after=_snapshot(session, incident), child_id=incident.child_id)
    session.commit()
