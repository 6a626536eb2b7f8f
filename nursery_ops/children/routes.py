"""Children pages: the list (staff), registration and edits (director), the child record (staff).

Each edit is a small form: GET renders the page (or, for htmx, just its `form`
block to open inline on the record); POST saves and redirects to the record
(303), or shows the form again with messages next to the fields (400).
"""

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse

from nursery_ops import audit
from nursery_ops.auth.access import DbSession, Director, HealthStaff, Staff
from nursery_ops.auth.models import Role
from nursery_ops.children import service
from nursery_ops.children.access import cares_for_child
from nursery_ops.children.forms import (
    RELATIONS,
    ChildDetailsForm,
    ChildFilters,
    ConsentForm,
    EndReasonForm,
    GuardianForm,
    GuardianLinkForm,
    NewChildForm,
    TrustedAdultForm,
    VaccinationForm,
)
from nursery_ops.children.models import Child
from nursery_ops.clock import local_today
from nursery_ops.enrolment.service import child_enrolment_panel
from nursery_ops.forms import Refused, parse_form
from nursery_ops.growth.service import latest_flags
from nursery_ops.health.rules import DUE_KIND_LABELS
from nursery_ops.pagecache import kept_page
from nursery_ops.photos.service import PhotoRefused, form_status, is_file, read_photo
from nursery_ops.policy import load_policy
from nursery_ops.templating import render

router = APIRouter()


def to_record(child: Child, section: str = "") -> RedirectResponse:
    return RedirectResponse(f"/children/{child.id}" + (f"#{section}" if section else ""), status_code=303)


def form_page(request: Request, template: str, child: Child | None, context: dict, status_code: int = 200):
    return render(request, template, {"child": child, "relations": RELATIONS, **context}, status_code=status_code, block="form")


def read_filters(request: Request) -> ChildFilters:
    """The list's filters; a filter that cannot be read (a stale bookmark) is dropped, not an error page."""
    filters, errors = parse_form(ChildFilters, request.query_params)
    if errors:
        values = {key: value for key, value in request.query_params.items() if key not in errors}
        filters = ChildFilters.model_validate({key: values.get(key) for key in ChildFilters.model_fields})
    return filters


# ---------------------------------------------------------------- list and registration


@router.get("/children")
def children_list(request: Request, session: DbSession, me: Staff):
    filters = read_filters(request)
    rows = service.list_children(session, filters, local_today(), load_policy(session))
    context = {
        "rows": rows,
        "filters": filters,
        "form": filters.model_dump(mode="json"),
        "rooms": service.room_options(session),
        "filtered": any(value is not None for value in filters.model_dump().values()),
    }
    return render(request, "children/list.html", context, block="results")


@router.get("/children/new")
def new_child_page(request: Request, me: Director):
    return render(request, "children/new.html", {"form": {"g1_may_pick_up": True, "g1_may_view": True}, "relations": RELATIONS})


@router.post("/children/new")
async def new_child(request: Request, session: DbSession, me: Director):
    form = await request.form()
    data, errors = parse_form(NewChildForm, form)
    if not errors:
        try:
            child = service.create_child(session, me, data, local_today(), load_policy(session))
            return to_record(child)
        except Refused as refused:
            errors = refused.errors
    return render(request, "children/new.html", {"form": dict(form), "errors": errors, "relations": RELATIONS}, status_code=400)


# ---------------------------------------------------------------- the record


@router.get("/children/{child_id}")
@kept_page
def child_record(request: Request, session: DbSession, me: Staff, child_id: int):
    today, policy = local_today(), load_policy(session)
    record = service.load_record(session, child_id, today, policy)
    child = record.child
    # The record's rows serve the admission checklist and the exam schedule too: each is read once.
    panel = child_enrolment_panel(session, child, today, policy, can_edit=me.has(Role.director),
                                  facts=record.admission_facts)
    reads_health = cares_for_child(session, me, child.id)
    if reads_health:
        # The record then shows health exams and growth warnings: a read of the child's health record.
        audit.record_read(request.app.state.engine, me.person.id, "child_record", child.id)
    context = {
        "child": child, "record": record, "panel": panel, "policy": policy, "reads_health": reads_health,
        "growth_flags": latest_flags(session, [child.id]).get(child.id, []) if reads_health else [],
        "contract_id": panel["contract_id"] if me.has(Role.director) else None,
    }
    if reads_health:
        context.update(exam_schedule=service.record_exam_schedule(record, panel["current"], today, policy),
                       due_labels=DUE_KIND_LABELS, anaemia_below=policy.anaemia_below_g_l)
    return render(request, "children/detail.html", context)


@router.get("/children/{child_id}/edit")
def edit_child_page(request: Request, session: DbSession, me: Director, child_id: int):
    child = service.get_child(session, child_id)
    return form_page(request, "children/edit.html", child, {"form": service.details_form_values(child)})


@router.post("/children/{child_id}/edit")
async def edit_child(request: Request, session: DbSession, me: Director, child_id: int):
    child = service.get_child(session, child_id)
    form = await request.form()
    data, errors = parse_form(ChildDetailsForm, form)
    if not errors:
        try:
            service.update_child(session, me, child, data, local_today(), load_policy(session))
            return to_record(child, "details")
        except Refused as refused:
            errors = refused.errors
    return form_page(request, "children/edit.html", child, {"form": dict(form), "errors": errors}, 400)


# ---------------------------------------------------------------- guardians


@router.get("/children/{child_id}/guardians/new")
def new_guardian_page(request: Request, session: DbSession, me: Director, child_id: int):
    child = service.get_child(session, child_id)
    return form_page(request, "children/guardian_form.html", child, {"link": None, "form": {"may_pick_up": True, "may_view": True}})


@router.post("/children/{child_id}/guardians/new")
async def new_guardian(request: Request, session: DbSession, me: Director, child_id: int):
    child = service.get_child(session, child_id)
    form = await request.form()
    data, errors = parse_form(GuardianForm, form)
    if not errors:
        try:
            service.add_guardian(session, me, child, data)
            return to_record(child, "guardians")
        except Refused as refused:
            errors = refused.errors
    return form_page(request, "children/guardian_form.html", child, {"link": None, "form": dict(form), "errors": errors}, 400)


@router.get("/children/{child_id}/guardians/{guardian_id}/edit")
def edit_guardian_page(request: Request, session: DbSession, me: Director, child_id: int, guardian_id: int):
    child = service.get_child(session, child_id)
    item = service.guardian_link(session, child, guardian_id)
    return form_page(request, "children/guardian_form.html", child, {"link": item, "form": service.guardian_form_values(item)})


@router.post("/children/{child_id}/guardians/{guardian_id}/edit")
async def edit_guardian(request: Request, session: DbSession, me: Director, child_id: int, guardian_id: int):
    child = service.get_child(session, child_id)
    item = service.guardian_link(session, child, guardian_id)
    form = await request.form()
    data, errors = parse_form(GuardianLinkForm, form)
    if errors:
        values = {**dict(form), "full_name": item.guardian.full_name}
        return form_page(request, "children/guardian_form.html", child, {"link": item, "form": values, "errors": errors}, 400)
    service.update_guardian_link(session, me, child, item, data)
    return to_record(child, "guardians")


@router.get("/children/{child_id}/guardians/{guardian_id}/end")
def end_guardian_page(request: Request, session: DbSession, me: Director, child_id: int, guardian_id: int):
    child = service.get_child(session, child_id)
    item = service.guardian_link(session, child, guardian_id)
    return form_page(request, "children/reason_form.html", child, end_guardian_context(item))


@router.post("/children/{child_id}/guardians/{guardian_id}/end")
async def end_guardian(request: Request, session: DbSession, me: Director, child_id: int, guardian_id: int):
    child = service.get_child(session, child_id)
    item = service.guardian_link(session, child, guardian_id)
    form = await request.form()
    data, errors = parse_form(EndReasonForm, form)
    if errors:
        context = {**end_guardian_context(item), "form": dict(form), "errors": errors}
        return form_page(request, "children/reason_form.html", child, context, 400)
    service.end_guardian_link(session, me, child, item, data.reason)
    return to_record(child, "guardians")


def end_guardian_context(item: service.GuardianLink) -> dict:
    return {
        "kind": "end_guardian",
        "subject": item.guardian.full_name,
        "action": f"/children/{item.link.child_id}/guardians/{item.guardian.id}/end",
    }


# ---------------------------------------------------------------- trusted adults (pick-up list, emergency contacts)


@router.get("/children/{child_id}/adults/new")
def new_adult_page(request: Request, session: DbSession, me: Director, child_id: int):
    child = service.get_child(session, child_id)
    return form_page(request, "children/adult_form.html", child, {"adult": None, "form": {"may_pick_up": True}})


@router.post("/children/{child_id}/adults/new")
async def new_adult(request: Request, session: DbSession, me: Director, child_id: int):
    child = service.get_child(session, child_id)
    form = await request.form()
    data, errors = parse_form(TrustedAdultForm, form)
    photo, errors = await optional_photo(form, errors)
    if errors:
        return form_page(request, "children/adult_form.html", child, {"adult": None, "form": form_text(form), "errors": errors},
                         form_status(errors))
    service.add_trusted_adult(session, me, child, data, photo)
    return to_record(child, "pickup")


@router.get("/children/{child_id}/adults/{adult_id}/edit")
def edit_adult_page(request: Request, session: DbSession, me: Director, child_id: int, adult_id: int):
    child = service.get_child(session, child_id)
    adult = service.trusted_adult(session, child, adult_id)
    return form_page(request, "children/adult_form.html", child, {"adult": adult, "form": service.adult_form_values(adult)})


@router.post("/children/{child_id}/adults/{adult_id}/edit")
async def edit_adult(request: Request, session: DbSession, me: Director, child_id: int, adult_id: int):
    child = service.get_child(session, child_id)
    adult = service.trusted_adult(session, child, adult_id)
    form = await request.form()
    data, errors = parse_form(TrustedAdultForm, form)
    photo, errors = await optional_photo(form, errors)
    if errors:
        return form_page(request, "children/adult_form.html", child, {"adult": adult, "form": form_text(form), "errors": errors},
                         form_status(errors))
    service.update_trusted_adult(session, me, adult, data, photo)
    return to_record(child, "pickup")


async def optional_photo(form, errors: dict) -> tuple:
    """The adult's photo, if one was chosen; a bad file is one more field error (nothing is saved)."""
    upload = form.get("photo")
    if not is_file(upload):
        return None, errors
    try:
        return await read_photo(upload), errors
    except PhotoRefused as refused:
        return None, {**errors, "photo": refused.message}


def form_text(form) -> dict:
    return {key: value for key, value in form.items() if isinstance(value, str)}


@router.get("/children/{child_id}/adults/{adult_id}/remove")
def remove_adult_page(request: Request, session: DbSession, me: Director, child_id: int, adult_id: int):
    child = service.get_child(session, child_id)
    adult = service.trusted_adult(session, child, adult_id)
    return form_page(request, "children/reason_form.html", child, remove_adult_context(adult))


@router.post("/children/{child_id}/adults/{adult_id}/remove")
async def remove_adult(request: Request, session: DbSession, me: Director, child_id: int, adult_id: int):
    child = service.get_child(session, child_id)
    adult = service.trusted_adult(session, child, adult_id)
    form = await request.form()
    data, errors = parse_form(EndReasonForm, form)
    if errors:
        context = {**remove_adult_context(adult), "form": dict(form), "errors": errors}
        return form_page(request, "children/reason_form.html", child, context, 400)
    service.remove_trusted_adult(session, me, adult, data.reason)
    return to_record(child, "pickup")


def remove_adult_context(adult) -> dict:
    return {"kind": "remove_adult", "subject": adult.full_name, "action": f"/children/{adult.child_id}/adults/{adult.id}/remove"}


# ---------------------------------------------------------------- consent and vaccination check


@router.get("/children/{child_id}/consent")
def consent_page(request: Request, session: DbSession, me: Director, child_id: int):
    child = service.get_child(session, child_id)
    form = {"consent_on": child.consent_on or local_today(), "guardian_id": child.consent_guardian_id}
    return form_page(request, "children/consent.html", child, {"form": form, "guardians": guardian_options(session, child)})


@router.post("/children/{child_id}/consent")
async def record_consent(request: Request, session: DbSession, me: Director, child_id: int):
    child = service.get_child(session, child_id)
    form = await request.form()
    data, errors = parse_form(ConsentForm, form)
    if not errors:
        try:
            service.record_consent(session, me, child, data)
            return to_record(child, "admission")
        except Refused as refused:
            errors = refused.errors
    context = {"form": dict(form), "errors": errors, "guardians": guardian_options(session, child)}
    return form_page(request, "children/consent.html", child, context, 400)


def guardian_options(session, child: Child) -> list[tuple[int, str]]:
    return [(item.guardian.id, f"{item.guardian.full_name} ({item.link.relation})") for item in service.active_guardians(session, child)]


@router.get("/children/{child_id}/vaccination")
def vaccination_page(request: Request, session: DbSession, me: HealthStaff, child_id: int):
    child = service.get_child(session, child_id)
    default_due = service.vaccination_default_due(session, child, local_today(), load_policy(session))
    form = {
        "status": "pending" if child.vaccination_status == "pending" else "sighted",
        "checked_on": child.vaccination_checked_on or local_today(),
        "due_on": child.vaccination_due_on or default_due,
    }
    context = {"form": form, "default_due": default_due, "pending_days": load_policy(session).vaccination_pending_days}
    return form_page(request, "children/vaccination.html", child, context)


@router.post("/children/{child_id}/vaccination")
async def record_vaccination(request: Request, session: DbSession, me: HealthStaff, child_id: int):
    child = service.get_child(session, child_id)
    form = await request.form()
    data, errors = parse_form(VaccinationForm, form)
    today, policy = local_today(), load_policy(session)
    if not errors:
        try:
            service.record_vaccination(session, me, child, data, today, policy)
            return to_record(child, "admission")
        except Refused as refused:
            errors = refused.errors
    default_due = service.vaccination_default_due(session, child, today, policy)
    context = {"form": dict(form), "errors": errors, "default_due": default_due, "pending_days": policy.vaccination_pending_days}
    return form_page(request, "children/vaccination.html", child, context, 400)
