"""The rules page: every number DOMAIN.md sets, its source, and the director's overrides."""

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse

from nursery_ops.auth.access import DbSession, Director
from nursery_ops.errors import NotFound
from nursery_ops.policy import ITEMS_BY_KEY
from nursery_ops.policy.service import change_rule, reset_rule, rule_rows
from nursery_ops.templating import render

router = APIRouter()


@router.get("/settings/rules")
def rules_page(request: Request, session: DbSession, me: Director):
    return render(request, "policy/rules.html", {"rows": rule_rows(session), "failed_key": None})


@router.post("/settings/rules/{key}")
async def change(request: Request, key: str, session: DbSession, me: Director):
    if key not in ITEMS_BY_KEY:
        raise NotFound()
    form = await request.form()
    action = reset_rule if form.get("reset") else change_rule
    arguments = (str(form.get("reason", "")),) if form.get("reset") else (str(form.get("value", "")), str(form.get("reason", "")))
    errors = action(session, me, key, *arguments)
    if errors:
        session.rollback()
        context = {"rows": rule_rows(session), "failed_key": key, "errors": errors, "form": dict(form)}
        return render(request, "policy/rules.html", context, status_code=400)
    session.commit()
    return RedirectResponse(f"/settings/rules#rule-{key}", status_code=303)
