#!/usr/bin/env python3
"""Draws the MathSketch app icons (static/icons/*.png) with the standard library only.

A hand-drawn-looking "7" in white on an indigo tile. The "any" icons are rounded tiles with
transparent corners; the maskable one fills the whole square and keeps the glyph inside
the central 80% safe zone, since launchers crop it to their own shape.
Run once after changing the design; the PNGs are committed.
"""
import math
import os
import struct
import zlib

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "static", "icons")

TOP = (76, 110, 245)      # gradient, top-left
BOTTOM = (54, 79, 199)    # gradient, bottom-right
INK = (255, 255, 255)
# The "7" and an underline, in unit coordinates (0..1 of the glyph box), as pen strokes.
STROKES = [
    [(0.18, 0.16), (0.80, 0.14), (0.44, 0.90)],
    [(0.36, 0.52), (0.70, 0.52)],
]


def seg_dist(px, py, a, b):
    ax, ay = a
    bx, by = b
    dx, dy = bx - ax, by - ay
    t = max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy)))
    return math.hypot(px - (ax + t * dx), py - (ay + t * dy))


def render(size, maskable):
    pen = 0.085  # half stroke width, in glyph units
    glyph = 0.56 if maskable else 0.62  # glyph box as a fraction of the icon
    g0 = (1 - glyph) / 2
    radius = 0.0 if maskable else 0.2  # tile corner radius, fraction of size
    rows = []
    for y in range(size):
        row = bytearray([0])  # filter byte: none
        for x in range(size):
            # 4x4 supersampling for smooth edges.
            cover_tile = 0.0
            cover_ink = 0.0
            for sy in range(4):
                for sx in range(4):
                    u = (x + (sx + 0.5) / 4) / size
                    v = (y + (sy + 0.5) / 4) / size
                    inside = True
                    if radius > 0:
                        cx = min(max(u, radius), 1 - radius)
                        cy = min(max(v, radius), 1 - radius)
                        inside = math.hypot(u - cx, v - cy) <= radius
                    if inside:
                        cover_tile += 1
                        gu, gv = (u - g0) / glyph, (v - g0) / glyph
                        if any(seg_dist(gu, gv, s[i], s[i + 1]) <= pen
                               for s in STROKES for i in range(len(s) - 1)):
                            cover_ink += 1
            a_tile = cover_tile / 16
            a_ink = cover_ink / 16
            t = (x + y) / (2 * size)
            bg = [TOP[i] + (BOTTOM[i] - TOP[i]) * t for i in range(3)]
            rgb = [bg[i] * (1 - a_ink / max(a_tile, 1e-9)) + INK[i] * (a_ink / max(a_tile, 1e-9))
                   for i in range(3)] if a_tile > 0 else [0, 0, 0]
            row += bytes([round(c) for c in rgb] + [round(a_tile * 255)])
        rows.append(bytes(row))
    return png(size, size, b"".join(rows))


def png(w, h, raw):
    def chunk(tag, data):
        return (struct.pack(">I", len(data)) + tag + data
                + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF))
    return (b"\x89PNG\r\n\x1a\n"
            + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 6, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw, 9))
            + chunk(b"IEND", b""))


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    for name, size, maskable in [
        ("icon-192.png", 192, False),
        ("icon-512.png", 512, False),
        ("icon-maskable-512.png", 512, True),
    ]:
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(render(size, maskable))
        print("wrote", os.path.join("static/icons", name))
