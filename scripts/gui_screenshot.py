#!/usr/bin/env python
"""Screenshot of the Qt GUI flowgraph (grc/semcom_gui_demo.grc) while it runs: compiles it with
grcc, runs it for ``--seconds``, changes the scheme and the impairments from the script halfway
(what the GUI's widgets do), then saves the window as a PNG (Qt's own grab of the window).

Under a virtual X display (Debian's ``xvfb``, installed by scripts/setup.sh):

    xvfb-run -s "-screen 0 1600x1200x24" .venv/bin/python scripts/gui_screenshot.py \\
        --out docs/gui_demo.png

(also runs with QT_QPA_PLATFORM=offscreen, without any display).
"""
from __future__ import annotations

import argparse
import importlib.util
import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=str(REPO / "docs" / "gui_demo.png"))
    ap.add_argument("--seconds", type=float, default=50.0)
    ap.add_argument("--work", default=str(REPO / "out" / "gui_screenshot"))
    args = ap.parse_args()
    from flowgraphs import compile_all, env
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    os.environ.update({k: v for k, v in env().items() if k.startswith(("GRC_", "GR_CONF"))})
    os.chdir(REPO)
    generated = compile_all(work)["semcom_gui_demo"]
    spec = importlib.util.spec_from_file_location("semcom_gui_demo", generated)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)

    from PyQt5 import Qt, QtCore
    app = Qt.QApplication(sys.argv)
    tb = mod.semcom_gui_demo()
    tb.resize(1400, 1050)
    tb.start()
    tb.show()
    t0 = time.time()
    state = {"changed": False}

    def tick():
        el = time.time() - t0
        if not state["changed"] and el > args.seconds / 2:
            # what a user does with the widgets: another scheme, the impairments on (through the
            # widgets themselves, which call the flowgraph's setters)
            box = tb._scheme_combo_box
            box.setCurrentIndex(box.findText("ota-test (thumbnail / 2)"))
            for name, value in (("sco_ppm", 40), ("linewidth", 100), ("iq_gain", 1), ("iq_phase", 5), ("dc", 0.05)):
                getattr(tb, f"_{name}_win").d_widget.setValue(value)
            state["changed"] = True
        if el > args.seconds:
            pix = tb.grab()
            Path(args.out).parent.mkdir(parents=True, exist_ok=True)
            pix.save(args.out, "PNG")
            st = tb.semcom_semantic_rx_0.stats
            print(f"settings: scheme {tb.scheme}, sco {tb.sco_ppm} ppm, linewidth {tb.linewidth} Hz, "
                  f"IQ {tb.iq_gain} dB / {tb.iq_phase} deg, DC {tb.dc}", flush=True)
            print(f"saved {args.out} ({pix.width()}x{pix.height()}); receiver: detected {st['detected']}, "
                  f"decoded {st['decoded']}, images {st['images']}, lost {st['lost']}, "
                  f"dropped_busy {st['dropped_busy']}; monitor showed {tb.semcom_rx_monitor_0.images} images",
                  flush=True)
            tb.stop()
            tb.wait()
            app.quit()

    timer = QtCore.QTimer()
    timer.timeout.connect(tick)
    timer.start(250)
    app.exec_()
    os._exit(0)      # Qt/GNU Radio teardown order can crash at interpreter exit; the PNG is saved


if __name__ == "__main__":
    main()
