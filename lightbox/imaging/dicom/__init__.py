"""DICOM for Lightbox, kept free of Django so it can be used and tested on its own."""

from lightbox.imaging.dicom.render import frame_count, render_frame, render_png

__all__ = ["frame_count", "render_frame", "render_png"]
