"""Rendering pages and their htmx fragments from one template.

`render(request, "children/detail.html", {...})` renders the whole page; an htmx
request naming a block (`block="guardians"`) gets just that block, from the same
markup (jinja2-fragments).
"""

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from jinja2_fragments import render_block

from nursery_ops.auth import csrf
from nursery_ops.clock import local_today
from nursery_ops.dailylog.rules import summary_text
from nursery_ops.i18n import LANGUAGE_NAMES, Translator, negotiate
from nursery_ops.labels import label_id
from nursery_ops.settings import PROJECT_ROOT, get_settings

TEMPLATES_DIR = PROJECT_ROOT / "templates"
LOCALE_COOKIE = "nursery_lang"

environment = Environment(
    loader=FileSystemLoader(TEMPLATES_DIR),
    autoescape=select_autoescape(["html"]),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    # Checking each template file's time on every page costs more than it is worth outside development.
    auto_reload=get_settings().debug,
)


def locale_for(request: Request) -> str:
    """The person's saved choice, else the language cookie, else the browser's."""
    me = getattr(request.state, "me", None)
    if me is not None and me.person.locale:
        return me.person.locale
    return request.cookies.get(LOCALE_COOKIE) or negotiate(request.headers.get("accept-language"))


def translator_for(request: Request) -> Translator:
    translator = getattr(request.state, "translator", None)
    if translator is None:
        translator = Translator.of(locale_for(request))
        request.state.translator = translator
    return translator


def is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true" and request.headers.get("hx-history-restore-request") != "true"


def render(
    request: Request,
    template: str,
    context: dict | None = None,
    *,
    status_code: int = 200,
    block: str | None = None,
    headers: dict | None = None,
) -> HTMLResponse:
    translator = translator_for(request)
    values = {
        "request": request,
        "me": getattr(request.state, "me", None),
        "t": translator,
        "_": translator.gettext,
        "ngettext": translator.ngettext,
        "label": lambda kind, value: translator.gettext(label_id(kind, value)),
        "entry_line": lambda entry: summary_text(entry, translator.gettext),
        "locale": translator.locale,
        "languages": LANGUAGE_NAMES,
        "csrf_token": csrf.token_for(request),
        "today": local_today(),
        "errors": {},
        "form": {},
        **(context or {}),
    }
    if block and is_htmx(request):
        html = render_block(environment, template, block, values)
    else:
        html = environment.get_template(template).render(values)
    response = HTMLResponse(html, status_code=status_code, headers=headers)
    csrf.set_cookie_if_new(request, response)
    return response
