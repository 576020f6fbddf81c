"""`{% panels "slot" %}`: the fragments other apps' panels add to this slot of the page
(customers/panels.py), each rendered as an include would, with its own context on top."""

from django import template
from django.utils.safestring import mark_safe

register = template.Library()


@register.simple_tag(takes_context=True)
def panels(context, slot: str):
    fragments = (context.get("panels") or {}).get(slot, ())
    engine = context.template.engine
    parts = []
    for fragment in fragments:
        with context.push(**fragment.context):
            parts.append(engine.get_template(fragment.template).render(context))
    return mark_safe("".join(parts))
