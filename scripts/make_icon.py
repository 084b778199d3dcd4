"""Draw icon.png (the bundle icon): an optical disc on a rounded square. Stdlib only, so it is reproducible.

Usage: python scripts/make_icon.py [path]
"""

from __future__ import annotations

import math
import struct
import sys
import zlib
from pathlib import Path

SIZE = 512
BACKGROUND = (18, 52, 110)  # deep blue
DISC = (214, 222, 232)
RING = (64, 160, 255)
HOLE_EDGE = (120, 130, 145)


def inside_rounded_square(x: float, y: float, radius: float) -> bool:
    cx = min(max(x, radius), SIZE - radius)
    cy = min(max(y, radius), SIZE - radius)
    return (x - cx) ** 2 + (y - cy) ** 2 <= radius**2


def pixel(x: int, y: int) -> tuple[int, int, int, int]:
    px, py = x + 0.5, y + 0.5
    if not inside_rounded_square(px, py, SIZE * 0.18):
        return (0, 0, 0, 0)
    r = math.hypot(px - SIZE / 2, py - SIZE / 2) / (SIZE / 2)
    if r > 0.80 or r < 0.12:
        return (*BACKGROUND, 255)
    if r < 0.20:
        return (*HOLE_EDGE, 255)
    if 0.42 < r < 0.50:
        return (*RING, 255)
    shine = 1.0 - 0.12 * math.cos(2 * math.atan2(py - SIZE / 2, px - SIZE / 2))
    return (*(min(255, int(c * shine)) for c in DISC), 255)


def png(width: int, height: int, rows: list[bytes]) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    raw = b"".join(b"\x00" + row for row in rows)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


def main() -> None:
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent / "icon.png"
    rows = [b"".join(bytes(pixel(x, y)) for x in range(SIZE)) for y in range(SIZE)]
    target.write_bytes(png(SIZE, SIZE, rows))
    print(f"wrote {target} ({target.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
