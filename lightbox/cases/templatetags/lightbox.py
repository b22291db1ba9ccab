from django import template
from django.utils.safestring import SafeString, mark_safe

from lightbox.lib import markdown as md

register = template.Library()


@register.filter
def markdown(text: str) -> SafeString:
    """Markdown through nh3: safe to mark safe because nh3 has already cleaned it."""
    return mark_safe(md.render(text or ""))  # noqa: S308


@register.filter
def main_image(images):  # type: ignore[no-untyped-def]
    """The main image from a prefetched list, or the first one."""
    images = list(images)
    return next((i for i in images if i.is_main), images[0] if images else None)


@register.filter
def stack_of(stacks, image):  # type: ignore[no-untyped-def]
    """The stack of frames shown for ``image`` on the case page, if it has one."""
    return (stacks or {}).get(image.pk)


@register.filter
def authors_line(authors) -> str:  # type: ignore[no-untyped-def]
    """ "Ed Grishaw, M.D. and Henry Royal, M.D." — commas, then "and" before the last."""
    names = [str(a) for a in authors]
    if len(names) <= 2:
        return " and ".join(names)
    return "; ".join(names[:-1]) + " and " + names[-1]
