#!/usr/bin/env python3
"""Writes MNIST test digit N (default 0, a 7) as a 28x28 grayscale PNG: the benchmark's
/api/predict body. Standard library only. Usage: mnist-png.py MNIST_DIR OUT.png [N]"""
import gzip
import os
import struct
import sys
import zlib

mnist, out = sys.argv[1], sys.argv[2]
n = int(sys.argv[3]) if len(sys.argv) > 3 else 0
with gzip.open(os.path.join(mnist, "t10k-images-idx3-ubyte.gz"), "rb") as f:
    magic, count, rows, cols = struct.unpack(">IIII", f.read(16))
    assert magic == 2051 and rows == cols == 28 and n < count
    f.read(n * 784)
    pixels = f.read(784)


def chunk(tag, data):
    return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)


raw = b"".join(b"\0" + pixels[r * 28:(r + 1) * 28] for r in range(28))
with open(out, "wb") as f:
    f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 28, 28, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))
