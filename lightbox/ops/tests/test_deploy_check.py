"""`manage.py check --deploy` is clean with production settings, and catches bad ones."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
PRODUCTION = {
    "LIGHTBOX_HTTPS": "true",
    "LIGHTBOX_SECRET_KEY": "a-long-random-production-key-" + "k9Qz" * 12,
    "LIGHTBOX_ALLOWED_HOSTS": "teaching.example.org",
    "LIGHTBOX_SMTP_HOST": "smtp.example.org",
}


def _check(tmp_path, **env):
    environment = {**os.environ, "LIGHTBOX_DATA_DIR": str(tmp_path), **env}
    environment.pop("DATABASE_URL", None)
    environment.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # set by the browser tests' fixture
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_settings_pass_the_deploy_check(tmp_path):
    result = _check(tmp_path, **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_the_deploy_check_fails_without_https(tmp_path):
    result = _check(tmp_path, **{**PRODUCTION, "LIGHTBOX_HTTPS": "false"})
    assert result.returncode != 0
    assert "lightbox.E003" in result.stderr


def test_the_deploy_check_fails_with_debug_on(tmp_path):
    result = _check(tmp_path, **PRODUCTION, LIGHTBOX_DEBUG="true")
    assert result.returncode != 0
    assert "lightbox.E002" in result.stderr


def test_without_an_smtp_host_the_deploy_check_says_mail_is_not_sent(tmp_path):
    production = {k: v for k, v in PRODUCTION.items() if k != "LIGHTBOX_SMTP_HOST"}
    result = _check(tmp_path, **production)
    assert result.returncode != 0
    assert "development-only email backend" in result.stdout + result.stderr
