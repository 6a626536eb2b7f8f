"""/audit: the director's audit viewer, its CSV, and the list of BLOCK overrides (director only)."""

from urllib.parse import urlencode

from fastapi import APIRouter, Request
from starlette.datastructures import MultiDict

from nursery_ops.auditlog import rules, service
from nursery_ops.auth.access import DbSession, Director
from nursery_ops.forms import parse_form
from nursery_ops.templating import render, translator_for
from nursery_ops.spreadsheet import csv_download, csv_refused

router = APIRouter()


def _filter(request: Request, session):
    """(filter or None, field errors, choices, the values to show in the form again)."""
    form = {key: value for key, value in request.query_params.items() if key != "page"}
    known = service.choices(session)
    data, errors = parse_form(service.AuditFilter, MultiDict(form))
    if data is not None:
        errors = service.filter_errors(session, data, known)
    return (None if errors else data), errors, known, form


def _options(request: Request, known: service.Choices, form: dict) -> dict:
    """Select lists in the person's language; a value typed into the address that no label names stays shown."""
    _ = translator_for(request).gettext

    def labelled(name: str, labels: dict[str, str]) -> list[tuple[str, str]]:
        options = sorted(((key, _(text)) for key, text in labels.items()), key=lambda option: option[1])
        chosen = form.get(name)
        return options + [(chosen, chosen)] if chosen and chosen not in labels else options

    return {"person_options": known.people, "child_options": known.children,
            "action_options": labelled("action", rules.ACTION_LABELS), "entity_options": labelled("entity", rules.ENTITY_LABELS)}


@router.get("/audit")
def audit_page(request: Request, session: DbSession, me: Director):
    data, errors, known, form = _filter(request, session)
    page = service.entries_page(session, data, rules.page_number(request.query_params.get("page")), known) if data else None
    query = urlencode([(key, value) for key, value in request.query_params.multi_items() if key != "page" and value])
    context = {"page": page, "known": known, "form": form, "errors": errors, "query": query, "rules": rules,
               **_options(request, known, form)}
    return render(request, "auditlog/list.html", context, status_code=400 if errors else 200)


@router.get("/audit.csv")
def audit_csv(request: Request, session: DbSession, me: Director):
    data, errors, known, _form = _filter(request, session)
    if errors:
        t = translator_for(request)
        return csv_refused("\n".join(f"{name}: {t.gettext(message)}" for name, message in errors.items()))
    return csv_download(service.csv_rows(session, data, known, translator_for(request).gettext), "audit.csv")


@router.get("/audit/overrides")
def overrides_page(request: Request, session: DbSession, me: Director):
    return render(request, "auditlog/overrides.html", {"rows": service.overrides(session), "rules": rules})
