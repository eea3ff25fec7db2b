"""Small presentation helpers shared by portal and mini-site templates."""

from django import template

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
