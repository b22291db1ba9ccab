"""lightbox.deid stands on its own: importing it loads no Lightbox app and no Django."""

import subprocess
import sys


def test_importing_the_package_loads_no_app_and_no_django():
    code = (
        "import sys, lightbox.deid, lightbox.deid.conformance\n"
        "print('\\n'.join(sorted(sys.modules)))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    loaded = done.stdout.split()
    assert not [name for name in loaded if name == "django" or name.startswith("django.")]
    ours = {name for name in loaded if name.startswith("lightbox.")}
    assert ours == {n for n in ours if n.startswith("lightbox.deid")}
