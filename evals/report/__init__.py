"""The HTML report of an eval run: one self-contained page (inline CSS, inline SVG charts)."""
