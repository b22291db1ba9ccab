"""Every environment variable the code reads is documented in docs/configuration.md."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
READS = re.compile(
    r"(?:env(?:str|bool|int|list|map|weights)\(|environ\.get\(|environ\.setdefault\(|environ\[|getenv\(|_secret\()"
    r"""\s*["']([A-Z][A-Z0-9_]+)["']"""
)
NOT_OURS = {"DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE"}  # Django's own


def _variables_read() -> set[str]:
    names = set()
    sources = [*ROOT.glob("lightbox/**/*.py"), ROOT / "manage.py", ROOT / "conftest.py"]
    for path in sources:
        names.update(READS.findall(path.read_text()))
    return names - NOT_OURS


def test_every_variable_read_is_documented():
    docs = (ROOT / "docs" / "configuration.md").read_text()
    documented = set(re.findall(r"^\| `([A-Z][A-Z0-9_]+)` \|", docs, re.MULTILINE))
    missing = _variables_read() - documented
    assert not missing, f"document these in docs/configuration.md: {sorted(missing)}"


def test_no_documented_variable_is_stale():
    docs = (ROOT / "docs" / "configuration.md").read_text()
    documented = set(re.findall(r"^\| `([A-Z][A-Z0-9_]+)` \|", docs, re.MULTILINE))
    stale = documented - _variables_read()
    assert not stale, f"docs/configuration.md describes variables nothing reads: {sorted(stale)}"


def test_the_scan_finds_the_basics():
    # Guards the regular expression itself: a scan that finds nothing would pass above.
    assert {"LIGHTBOX_DATA_DIR", "DATABASE_URL", "LIGHTBOX_SECRET_KEY"} <= _variables_read()
