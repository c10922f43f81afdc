#!/usr/bin/env python3
"""Figures of docs/detection.md from `validate --json` (standard library only; PNG through headless Chromium).

    dotnet run --project src/Somnis.Hub -- validate --data ../shared/data/walch2019-dev --json /tmp/folds.json
    python3 docs/figures/detection_figures.py /tmp/folds.json docs/figures

Writes reliability.svg/.png (calibration of p(sleep) per outer fold) and bland-altman.svg/.png (night-level TST and
WASO against polysomnography). Needs /usr/bin/chromium for the PNGs (the SVGs are written regardless).
"""
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile

W, H = 560, 420
L, R, T, B = 64, 20, 40, 52


def frame(title, xlabel, ylabel, xs, ys, xticks, yticks, fx, fy):
    out = [f'<rect x="0" y="0" width="{W}" height="{H}" fill="white"/>',
           f'<text x="{W / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">{title}</text>',
           f'<text x="{L + (W - L - R) / 2}" y="{H - 12}" text-anchor="middle" font-size="13">{xlabel}</text>',
           f'<text x="16" y="{T + (H - T - B) / 2}" text-anchor="middle" font-size="13" transform="rotate(-90 16 {T + (H - T - B) / 2})">{ylabel}</text>',
           f'<rect x="{L}" y="{T}" width="{W - L - R}" height="{H - T - B}" fill="none" stroke="#444"/>']
    for v in xticks:
        x = fx(v)
        out.append(f'<line x1="{x:.1f}" y1="{T}" x2="{x:.1f}" y2="{H - B}" stroke="#eee"/>')
        out.append(f'<text x="{x:.1f}" y="{H - B + 16}" text-anchor="middle" font-size="11">{v:g}</text>')
    for v in yticks:
        y = fy(v)
        out.append(f'<line x1="{L}" y1="{y:.1f}" x2="{W - R}" y2="{y:.1f}" stroke="#eee"/>')
        out.append(f'<text x="{L - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11">{v:g}</text>')
    return out


def svg(parts, width=W, height=H):
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="DejaVu Sans, sans-serif">'
            + "".join(parts) + "</svg>\n")


def reliability(folds):
    fx = lambda v: L + v * (W - L - R)
    fy = lambda v: H - B - v * (H - T - B)
    brier = sum(f["brier"] * sum(b["count"] for b in f["reliability"]) for f in folds if f["brier"] is not None)
    n = sum(sum(b["count"] for b in f["reliability"]) for f in folds)
    out = frame("Calibration of p(sleep) on held-out nights", "predicted p(sleep)", "observed share of sleep epochs (PSG)",
                None, None, [0, 0.2, 0.4, 0.6, 0.8, 1], [0, 0.2, 0.4, 0.6, 0.8, 1], fx, fy)
    out.append(f'<line x1="{fx(0)}" y1="{fy(0)}" x2="{fx(1)}" y2="{fy(1)}" stroke="#999" stroke-dasharray="4 3"/>')
    for f in folds:
        pts = [(b["mean_p"], b["sleep_fraction"]) for b in f["reliability"] if b["count"] >= 20]
        if len(pts) > 1:
            d = " ".join(f'{"M" if i == 0 else "L"}{fx(x):.1f},{fy(y):.1f}' for i, (x, y) in enumerate(pts))
            out.append(f'<path d="{d}" fill="none" stroke="#7aa6d6" stroke-width="1" opacity="0.7"/>')
    pooled = []
    for i in range(10):
        c = sum(f["reliability"][i]["count"] for f in folds)
        if c:
            p = sum(f["reliability"][i]["count"] * (f["reliability"][i]["mean_p"] or 0) for f in folds) / c
            s = sum(f["reliability"][i]["count"] * (f["reliability"][i]["sleep_fraction"] or 0) for f in folds) / c
            pooled.append((p, s, c))
    d = " ".join(f'{"M" if i == 0 else "L"}{fx(x):.1f},{fy(y):.1f}' for i, (x, y, _) in enumerate(pooled))
    out.append(f'<path d="{d}" fill="none" stroke="#c0392b" stroke-width="2.5"/>')
    for x, y, c in pooled:
        r = 2 + 2.5 * math.log10(c)
        out.append(f'<circle cx="{fx(x):.1f}" cy="{fy(y):.1f}" r="{r:.1f}" fill="#c0392b" opacity="0.8"/>')
    out.append(f'<text x="{L + 12}" y="{T + 20}" font-size="12">pooled over {len(folds)} outer folds (dots: size ~ log epochs)</text>')
    out.append(f'<text x="{L + 12}" y="{T + 36}" font-size="12" fill="#3d6fa6">thin lines: each held-out night (bins of ≥ 20 epochs)</text>')
    out.append(f'<text x="{L + 12}" y="{T + 52}" font-size="12">Brier score pooled {brier / n:.3f}</text>')
    return svg(out)


def bland_altman(folds):
    covered = [f for f in folds if f["coverage"] >= 0.9]
    panels = []
    for k, (title, truth, est) in enumerate([("TST: expected (Σ p) − PSG", "psg_tst_min", "expected_tst_min"),
                                             ("WASO: estimate (Σ p(wake), epochs called wake) − PSG", "psg_waso_min", "expected_waso_min")]):
        pts = [((f[truth] + f[est]) / 2, f[est] - f[truth]) for f in covered]
        diffs = [d for _, d in pts]
        mean = sum(diffs) / len(diffs)
        sd = math.sqrt(sum((d - mean) ** 2 for d in diffs) / (len(diffs) - 1))
        xmax = max(x for x, _ in pts) * 1.08 if k == 0 else max(80, max(x for x, _ in pts) * 1.15)
        xmin = min(x for x, _ in pts) * 0.9 if k == 0 else 0
        ylim = max(60, max(abs(d) for d in diffs) * 1.15)
        fx = lambda v, a=xmin, b=xmax: L + (v - a) / (b - a) * (W - L - R)
        fy = lambda v, y=ylim: T + (y - v) / (2 * y) * (H - T - B)
        step = 50 if k == 0 else 20
        xt = [v for v in range(int(xmin // step * step + step), int(xmax), step)]
        yt = [v for v in range(-int(ylim // 20 * 20), int(ylim) + 1, 20)]
        out = frame(title, "mean of the two (min)", "difference (min)", None, None, xt, yt, fx, fy)
        for y, style, label in [(0, "#999", ""), (mean, "#c0392b", f"bias {mean:+.1f}"),
                                (mean + 1.96 * sd, "#c0392b", f"+1.96 SD {mean + 1.96 * sd:+.0f}"),
                                (mean - 1.96 * sd, "#c0392b", f"−1.96 SD {mean - 1.96 * sd:+.0f}")]:
            out.append(f'<line x1="{L}" y1="{fy(y):.1f}" x2="{W - R}" y2="{fy(y):.1f}" stroke="{style}" stroke-dasharray="{"" if y == mean else "5 3"}"/>')
            if label:
                out.append(f'<text x="{W - R - 4}" y="{fy(y) - 4:.1f}" text-anchor="end" font-size="11" fill="{style}">{label}</text>')
        for f, (x, d) in zip(covered, pts):
            color = "#e67e22" if f["psg_short"] else "#2c7fb8"
            out.append(f'<circle cx="{fx(x):.1f}" cy="{fy(d):.1f}" r="4.5" fill="{color}"><title>{f["subject"]}</title></circle>')
        mae = sum(abs(d) for d in diffs) / len(diffs)
        out.append(f'<text x="{L + 10}" y="{T + 18}" font-size="12">{len(covered)} held-out nights with signal; MAE {mae:.1f} min</text>')
        out.append(f'<text x="{L + 10}" y="{T + 34}" font-size="12"><tspan fill="#e67e22">●</tspan> PSG TST &lt; 7 h  <tspan fill="#2c7fb8">●</tspan> ≥ 7 h</text>')
        panels.append(f'<g transform="translate({k * W},0)">' + "".join(out) + "</g>")
    return svg(panels, width=2 * W)


def png(svg_path, png_path, width, height):
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    if not os.path.exists(chromium):
        print(f"no chromium: {png_path} not made (the SVG is there)")
        return
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", f"--user-data-dir={profile}",
                        "--hide-scrollbars", f"--window-size={width},{height}", f"--screenshot={os.path.abspath(png_path)}",
                        "file://" + os.path.abspath(svg_path)], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def main():
    data = json.load(open(sys.argv[1]))["folds"]
    out = sys.argv[2]
    for name, text, width in [("reliability", reliability(data), W), ("bland-altman", bland_altman(data), 2 * W)]:
        path = os.path.join(out, name + ".svg")
        with open(path, "w") as f:
            f.write(text)
        png(path, os.path.join(out, name + ".png"), width, H)
        print("wrote", path)


if __name__ == "__main__":
    main()
