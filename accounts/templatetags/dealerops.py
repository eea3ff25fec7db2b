"""Small presentation helpers shared by portal and mini-site templates."""

from django import template
from django.utils.html import format_html
from django.utils.translation import gettext as _

from accounts.labels import (
    UNKNOWN_ACTION, actor_label, audit_action_label, audit_data_items, audit_object_label, person_name, source_label,
)
from accounts.models import User
from accounts.portal.mixins import may_open as portal_may_open
from accounts.validators import mask_mobile

register = template.Library()


@register.filter
def bs(field):
    """Render a bound field's widget with Bootstrap classes (and is-invalid)."""
    input_type = getattr(field.field.widget, "input_type", None)
    if input_type == "select" or field.field.widget.__class__.__name__.endswith("Select"):
        css = "form-select"
    elif input_type in ("checkbox", "radio"):
        css = "form-check-input"
    else:
        css = "form-control"
    if field.errors:
        css += " is-invalid"
    existing = field.field.widget.attrs.get("class", "")
    return field.as_widget(attrs={"class": f"{existing} {css}".strip()})


@register.filter
def masked(mobile):
    return mask_mobile(mobile or "")


@register.simple_tag(takes_context=True)
def may_open(context, url_name):
    """``{% may_open "portal:membership:points-adjust" as can_adjust %}``: show a
    link only to the roles its page lets in (the view's own ``roles``)."""
    request = context.get("request")
    return portal_may_open(getattr(request, "user", None), url_name)


# --- labels a person reads instead of codes (accounts.labels) ------------------------------------


@register.filter
def person(user):
    """A staff member's name, an owner's member name; never a username."""
    return person_name(user)


@register.filter
def actor(user):
    """Who did it: a staff name, "车主 李娜", or "系统"."""
    return actor_label(user)


@register.filter
def person_by_username(username):
    """For data that kept a username (older lead events): the person's name."""
    if not username:
        return ""
    user = User.objects.filter(username=username).select_related("member").first()
    return person_name(user) if user is not None else _("已删除的账号")


@register.filter
def source(code):
    """A source / channel code as its label; an unknown code reads "其他" with the code as a tooltip."""
    if not code:
        return ""
    label = source_label(code)
    return label if label is not None else format_html('<span title="{}">{}</span>', code, _("其他"))


@register.filter
def audit_action(action):
    label = audit_action_label(action)
    return format_html('<span title="{}">{}</span>', action, label if label is not None else UNKNOWN_ACTION)


@register.filter
def audit_object(object_type):
    return audit_object_label(object_type)


@register.filter
def audit_data(entry):
    """The audit row's data as (label, text) pairs."""
    return audit_data_items(entry.action, entry.data)
