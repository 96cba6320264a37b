"""The QR code of a join link, drawn on the server as SVG (segno: no network, no images)."""

from __future__ import annotations

import io

import segno


def qr_svg(url: str, title: str = "") -> bytes:
    """An SVG of ``url`` as a QR code (error correction M: readable off a projector), black
    on white with the standard quiet zone."""
    qr = segno.make(url, error="m", micro=False)
    out = io.BytesIO()
    qr.save(out, kind="svg", scale=8, border=4, dark="#000", light="#fff",
            title=title or None, xmldecl=False, svgns=True)
    return out.getvalue()
