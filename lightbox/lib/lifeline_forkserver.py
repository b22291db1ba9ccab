"""Imported by a multiprocessing fork server (a preload module) to tie it to its parent.

:class:`lightbox.lib.isolation.Isolated` preloads this module into its fork server. The
fork server is started by the process that first uses the pool; it would outlive that
process (it waits for all its children to go, and they wait for work that never comes).
Importing this module, in the fork server:

- ties the fork server to its parent when that parent asked for it
  (:func:`lightbox.lib.lifeline.parent_of`: the task worker does, from its main thread),
  and
- names the fork server as the parent of the pool processes it forks, which tie
  themselves to it in the pool's initializer.

So a ``kill -9`` of the task worker ends its fork server, and that ends the pool.
Django-free; not meant to be imported anywhere else.
"""

from __future__ import annotations

import os

from lightbox.lib import lifeline

# Imported by the very process that named itself (by mistake: nothing does), it must not
# take itself for its own child.
if os.environ.get(lifeline.PARENT_VARIABLE) != str(os.getpid()):
    lifeline.die_with_named_parent()
    lifeline.name_as_parent()
