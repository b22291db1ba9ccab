"""Whatever a commenter types, nothing runs in a reader's browser."""

import re

import pytest

from lightbox.comments.models import Comment

pytestmark = pytest.mark.django_db

PAYLOADS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=https://evil.example/x.js></SCRIPT>",
    "<img src=x onerror=alert(1)>",
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x](java&#x09;script:alert(1))",
    "[x](&#106;avascript:alert(1))",
    '<a href="javascript:alert(1)">x</a>',
    '<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)">x</a>',
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    '<iframe src="javascript:alert(1)"></iframe>',
    '<object data="data:text/html,<script>alert(1)</script>"></object>',
    '<p style="background:url(javascript:alert(1))">x</p>',
    "<a href=x onclick=alert(1)>x</a>",
    "<details open ontoggle=alert(1)>",
    "<body onload=alert(1)>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "</textarea><script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    '<form action="javascript:alert(1)"><button>x</button></form>',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    "`<script>alert(1)</script>`",
]

# What would make a payload live anywhere on the page: a script or embedding element, an
# event handler attribute, or a javascript:/data: URL. (Escaped "&lt;script&gt;" is inert.)
LIVE = re.compile(
    r"<\s*(script|iframe|object|embed|svg|math|img|meta|style|body|base)\b"
    r"|<[^>]*\son[a-z]+\s*="
    r"|<[^>]*\s(href|src|action|data|formaction)\s*=\s*[\"']?\s*(javascript|data|vbscript):",
    re.IGNORECASE,
)
# Inside a comment's body (and a textarea) no element beyond the Markdown allow-list, and
# no form or disclosure of the commenter's making.
LIVE_IN_BODY = re.compile(
    LIVE.pattern + r"|<\s*(form|details|button|input|textarea|select|a\s[^>]*style)\b",
    re.IGNORECASE,
)
BODY = re.compile(r'<div class="prose comment-body">(.*?)</div>', re.DOTALL)


def _thread_body(html: str) -> str:
    """Only the comments section (the rest of the page is ours), with every comment body
    checked on the way."""
    start = html.index('<section id="comments"')
    thread = html[start : html.index("</section>", start)]
    for body in BODY.findall(thread):
        assert not LIVE_IN_BODY.search(body), body
    return thread


@pytest.mark.parametrize("payload", PAYLOADS)
def test_a_payload_in_a_comment_is_inert(client, people, case, payload):
    comment = Comment.objects.create(case=case, author=people["bob"], body=payload)
    client.force_login(people["bob"])  # the author: reply form and edit link shown too
    thread = _thread_body(client.get(f"/cases/{case.number}/comments/").content.decode())
    assert f'id="comment-{comment.pk}"' in thread
    assert not LIVE.search(thread), thread


@pytest.mark.parametrize("payload", PAYLOADS)
def test_a_payload_in_the_edit_form_is_inert(client, people, case, payload):
    comment = Comment.objects.create(case=case, author=people["bob"], body=payload)
    client.force_login(people["bob"])
    html = client.get(f"/cases/{case.number}/comments/{comment.pk}/edit/").content.decode()
    textarea = html[html.index("<textarea") : html.index("</textarea>")]
    # All of the text is escaped: not one tag of it reaches the page.
    assert "<" not in textarea.split(">", 1)[1]
    main = html[html.index("<main") : html.index("</main>")]
    assert not LIVE.search(main)


@pytest.mark.parametrize("payload", PAYLOADS[:6])
def test_a_payload_in_a_re_shown_draft_is_inert(client, people, case, payload):
    client.force_login(people["bob"])
    for n in range(10):
        Comment.objects.create(case=case, author=people["bob"], body=f"n{n}")
    client.post(f"/cases/{case.number}/comments/add/", {"body": payload})  # rate-limited
    thread = _thread_body(client.get(f"/cases/{case.number}/comments/").content.decode())
    assert not LIVE.search(thread)


def test_a_hostile_display_name_is_escaped(client, people, case):
    bob = people["bob"]
    bob.first_name = "<script>alert(1)</script>"
    bob.save()
    Comment.objects.create(case=case, author=bob, body="Hi")
    html = client.get(f"/cases/{case.number}/comments/").content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;" in html


def test_safe_markdown_still_renders(client, people, case):
    Comment.objects.create(
        case=case, author=people["bob"], body="**bold** and [PubMed](https://pubmed.gov/)"
    )
    html = client.get(f"/cases/{case.number}/comments/").content.decode()
    assert "<strong>bold</strong>" in html
    assert 'href="https://pubmed.gov/"' in html
    assert 'rel="noopener noreferrer nofollow"' in html
