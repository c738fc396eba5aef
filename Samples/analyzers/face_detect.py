#!/usr/bin/env python3
"""An intake analyzer: counts faces with the Haar cascades that opencv-python-headless ships
inside its package, so it runs offline with no model to download.

intake runs it once per image (analysis.command), with a JSON request on standard input:
    {"path": "...", "mimeType": "image/jpeg", "bytes": 12345, "sha256": "..."}
and reads one JSON answer from standard output:
    {"labels": ["faces:2", "face:120,80,64,64", ...], "embedding": [...]}
`labels` says how many faces were found and where (x,y,width,height in the image's pixels);
`embedding` is a 16-bin grey histogram of the image, a stand-in for a real model's vector.
Errors go to standard error with a non-zero exit status, which intake reports.
"""
import json
import sys

import cv2
import numpy


def main() -> int:
    request = json.load(sys.stdin)
    image = cv2.imread(request["path"], cv2.IMREAD_COLOR)
    if image is None:
        print(f"cannot decode {request['path']} ({request.get('mimeType')})", file=sys.stderr)
        return 2
    grey = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    # Haar cascades work at a few hundred pixels; larger images only cost time.
    scale = min(1.0, 800.0 / max(grey.shape))
    small = cv2.resize(grey, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    small = cv2.equalizeHist(small)
    cascade = cv2.CascadeClassifier(cv2.data.haarcascades + "haarcascade_frontalface_default.xml")
    if cascade.empty():
        print("haarcascade_frontalface_default.xml not found in the cv2 package", file=sys.stderr)
        return 3
    found = cascade.detectMultiScale(small, scaleFactor=1.1, minNeighbors=6, minSize=(24, 24))
    labels = [f"faces:{len(found)}"]
    for x, y, w, h in found:
        box = [int(round(v / scale)) for v in (x, y, w, h)]
        labels.append("face:" + ",".join(str(v) for v in box))
    histogram = numpy.histogram(grey, bins=16, range=(0, 256))[0].astype(float)
    embedding = (histogram / max(histogram.sum(), 1.0)).round(6).tolist()
    json.dump({"labels": labels, "embedding": embedding}, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
