"""The must-show through the ZMQ flowgraph pair: 1000 ota-test frames from semcom_zmq_tx to
semcom_zmq_rx with every impairment at 20 dB (the RX flowgraph's channel emulator + GNU Radio's
channels blocks), once with receiver tracking and once without. Both runs see the same samples
(the TX, the channel and the impairment blocks are seeded; ZMQ message boundaries do not change
the sample stream). Writes zmq_pair.json. From the repository root, after grcc:

    .venv/bin/python sim/ota_impairments/zmq_pair.py --fg out/fg [--frames 1000]
"""
import argparse
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
IMPAIRMENTS = ["--snr", "20", "--cfo", "1.5", "--sco-ppm", "40", "--cfo-std", "100", "--cfo-max", "1.5",
               "--linewidth", "100", "--iq-gain", "1", "--iq-phase", "5", "--dc-i", "0.05", "--dc-q", "0.03",
               "--delay-spread", "300e-9", "--doppler", "5", "--max-cfo", "3.5"]


def run(fg, frames, tracking, port, out):
    env = dict(os.environ, PYTHONUNBUFFERED="1", OMP_NUM_THREADS="1")
    image = str(REPO / "data" / "demo" / "astronaut.png")
    rx = subprocess.Popen([sys.executable, str(fg / "semcom_zmq_rx.py"), "--port", str(port), "--out-dir", str(out),
                           "--reference", image, "--size", "64", "--tracking", str(int(tracking))] + IMPAIRMENTS,
                          env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, cwd=REPO)
    time.sleep(3)
    t0 = time.time()
    tx = subprocess.run([sys.executable, str(fg / "semcom_zmq_tx.py"), "--port", str(port), "--images", image,
                         "--size", "64", "--repeat", str(frames), "--interval", "0", "--samp-rate", "2e6",
                         "--scheme", "ota-test:factor=2"], env=env, stdout=subprocess.DEVNULL,
                        stderr=subprocess.STDOUT, cwd=REPO, timeout=3600)
    last, stable = None, 0
    while stable < 5 and time.time() - t0 < 3600:     # until the receiver's counters stop moving
        time.sleep(2)
        try:
            st = json.loads((out / "stats.json").read_text())["receiver"]
        except (OSError, ValueError, KeyError):
            continue
        key = (st["samples"], st["decoded"], st.get("codec_failures"))
        stable = stable + 1 if key == last else 0
        last = key
    rx.send_signal(signal.SIGTERM)
    rx.wait(timeout=60)
    st = json.loads((out / "stats.json").read_text())
    r = st["receiver"]
    zs = json.loads((out / "zmq_stats.json").read_text())
    ok = r["decoded"] - r.get("codec_failures", 0) - r.get("decode_errors", 0)
    return dict(tracking=tracking, frames=frames, tx_rc=tx.returncode, samples=r["samples"], detected=r["detected"],
                decoded=r["decoded"], codec_failures=r.get("codec_failures"), success=ok, success_rate=ok / frames,
                header_failed=r["header_failed"], lost=r["lost"], false_alarms=r["false_alarms"],
                mean_psnr=st.get("mean_psnr"), zmq_messages=zs["messages"], zmq_skipped=zs["skipped"],
                seconds=round(time.time() - t0, 1))


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--fg", required=True, help="folder of the grcc-generated flowgraphs")
    ap.add_argument("--frames", type=int, default=1000)
    ap.add_argument("--work", default="out/zmq_pair")
    args = ap.parse_args()
    res = dict(command="sim/ota_impairments/zmq_pair.py --frames %d" % args.frames, impairments=IMPAIRMENTS,
               date=time.strftime("%Y-%m-%d"), runs=[])
    for k, tracking in enumerate((True, False)):
        out = Path(args.work) / ("tracking" if tracking else "no_tracking")
        if out.exists():
            import shutil
            shutil.rmtree(out)
        res["runs"].append(run(Path(args.fg), args.frames, tracking, 5600 + k, out))
        print(json.dumps(res["runs"][-1]), flush=True)
    (HERE / "zmq_pair.json").write_text(json.dumps(res, indent=1))


if __name__ == "__main__":
    main()
