#!/usr/bin/env python3
"""The Python peer of `intake inspect --json`: pHash and dHash of every file with the
`imagehash` package (on Pillow), upright per EXIF orientation like intake's, one JSON array
on standard output. A file that fails gets an error entry and the others go on."""
import json
import sys

import imagehash
from PIL import Image, ImageOps


def main() -> int:
    results = []
    for path in sys.argv[1:]:
        try:
            with Image.open(path) as image:
                upright = ImageOps.exif_transpose(image)
                results.append({
                    "path": path,
                    "phash": str(imagehash.phash(upright)),
                    "dhash": str(imagehash.dhash(upright)),
                })
        except Exception as error:  # a bad file is reported, never fatal
            results.append({"path": path, "error": str(error)})
    json.dump(results, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
