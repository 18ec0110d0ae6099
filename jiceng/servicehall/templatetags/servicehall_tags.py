from django import template

register = template.Library()


@register.filter
def sh_item(d, key):
    """d[key] in a template (a dict keyed by material id)."""
    return d.get(key) if hasattr(d, "get") else None
