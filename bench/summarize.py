#!/usr/bin/env python3
"""Turns the benchmark JSON into summary.json and summary.md (ratios pair by pair).

usage: summarize.py OUT_DIR
reads  OUT_DIR/micro.json (Google Benchmark), OUT_DIR/driver.json (pipecheck_bench),
       OUT_DIR/ctest.json (ci/bench), whichever exist; writes OUT_DIR/summary.{json,md}.
"""
import json
import math
import statistics
import sys
from pathlib import Path


def stats(samples):
    if not samples:
        return None
    return {"median": statistics.median(samples), "min": min(samples), "max": max(samples),
            "samples": samples}


def fmt(s, unit="", digits=3):
    if s is None or s.get("median") is None:
        return "n/a"
    g = lambda v: f"{v:.{digits}g}"
    return f"{g(s['median'])}{unit} ({g(s['min'])}–{g(s['max'])})"


def micro(path):
    """Per benchmark name: items/s per repetition, in run order; ratios vs raw by repetition."""
    doc = json.loads(path.read_text())
    runs = {}
    for b in doc["benchmarks"]:
        if b.get("run_type") != "iteration" or b.get("error_occurred"):
            continue
        runs.setdefault(b["run_name"], {})[b.get("repetition_index", 0)] = b["items_per_second"]
    rows = []
    for name, by_rep in sorted(runs.items()):
        handshake = "handshake:1" in name
        raw = runs.get(f"BM_RawAccept/handshake:{1 if handshake else 0}/real_time", {})
        ratios = [by_rep[i] / raw[i] for i in sorted(by_rep) if i in raw]
        rows.append({"benchmark": name, "connections_per_s": stats([by_rep[i] for i in sorted(by_rep)]),
                     "over_raw": stats(ratios)})
    return {"context": doc.get("context", {}), "rows": rows}


def growth(sizes, key):
    """Exponent k in time ~ N^k between consecutive sizes (1 = linear)."""
    out = []
    for a, b in zip(sizes, sizes[1:]):
        ta, tb = a[key]["median"], b[key]["median"]
        na, nb = a["endpoints"], b["endpoints"]
        out.append({"from": na, "to": nb, "exponent": math.log(tb / ta) / math.log(nb / na)})
    return out


def main():
    out = Path(sys.argv[1])
    summary, md = {}, ["# pipecheck benchmark summary", ""]
    driver = json.loads((out / "driver.json").read_text()) if (out / "driver.json").exists() else {}
    if driver:
        summary["date"], summary["machine"] = driver["date"], driver["machine"]
        md += [f"Date {driver['date']}, {driver['machine']['hardware_threads']} hardware threads, "
               f"{driver['machine']['system']} {driver['machine']['release']}; "
               f"{driver['repetitions']} repetitions; figures are median (min–max).", ""]
        if driver["skipped"]:
            md += ["Skipped implementations: " + ", ".join(
                f"{s['implementation']} ({s['reason']})" for s in driver["skipped"]), ""]

    if (out / "micro.json").exists():
        m = summary["micro"] = micro(out / "micro.json")
        md += ["## Accept throughput, in process (reference listener vs raw loop)", "",
               "| benchmark | connections/s | ratio to raw |", "|---|---|---|"]
        md += [f"| {r['benchmark']} | {fmt(r['connections_per_s'])} | {fmt(r['over_raw'])} |"
               for r in m["rows"]]
        md.append("")

    # A section whose run failed holds only its error (pipecheck_bench went on with the rest).
    for name in ("discovery", "busy", "overhead"):
        if "error" in driver.get(name, {}):
            md += [f"## {name}: FAILED", "", f"    {driver[name]['error']}", ""]
            summary.setdefault("failed_sections", {})[name] = driver[name]["error"]
            del driver[name]

    if "discovery" in driver:
        d = driver["discovery"]
        summary["discovery"] = d
        md += ["## Discovery: listing vs legacy probing", "",
               "| other endpoints | server processes | legacy probes | listing ms | legacy ms | legacy/listing |",
               "|---|---|---|---|---|---|"]
        for s in d["sizes"]:
            md.append(f"| {s['other_endpoints']} | {s['server_processes']} | {s['legacy_probes']} | "
                      f"{fmt(s['listing_ms'])} | {fmt(s['legacy_ms'])} | {fmt(s['legacy_over_listing'])} |")
        for key in ("listing_ms", "legacy_ms"):
            g = growth(d["sizes"], key)
            summary.setdefault("discovery_growth", {})[key] = g
            md.append(f"\nGrowth of {key} (time ∝ N^k): " + ", ".join(
                f"{x['from']}→{x['to']}: k={x['exponent']:.2f}" for x in g))
        md.append("")

    if "busy" in driver:
        t = driver["busy"]["accept_throughput"]
        md += ["## Accept throughput across processes (server implementation; clients: the "
               "reference implementation of the server's platform)", "",
               f"queue {t['queue_size']} ({t.get('windows_queue_size', t['queue_size'])} on windows, "
               f"WIN-6), {t['client_threads']} client threads × "
               f"{t['attempts_per_thread']} closed-loop connections with handshake. Ratios only "
               "within a platform, to its reference (Linux sockets and Windows pipes under Wine "
               "are different OS layers).", "",
               "| implementation | platform | accept workers | connections/s | ratio to | ratio |",
               "|---|---|---|---|---|---|"]
        for r in t["rows"]:
            if "error" in r and "connections_per_s" not in r:
                md.append(f"| {r['implementation']} | {r.get('platform', '?')} | "
                          f"{r['accept_workers']} | FAILED: {r['error']} | — | — |")
                continue
            failed = (f" (FAILED after {len(r['connections_per_s']['samples'])} repetition(s): "
                      f"{r['error']})") if "error" in r else ""
            ratio = r.get("over_baseline", r.get("over_reference"))
            baseline = r.get("baseline", "reference" if "over_reference" in r else None)
            md.append(f"| {r['implementation']} | {r.get('platform', 'linux')} | {r['accept_workers']} | "
                      f"{fmt(r['connections_per_s'])}{failed} | {baseline or '—'} | "
                      f"{fmt(ratio) if baseline else '—'} |")
        if t.get("seconds_per_server"):
            md.append("\nSeconds per server: " + ", ".join(
                f"{k} {v:.1f}" for k, v in t["seconds_per_server"].items()))
        busy = driver["busy"]["busy"]
        cells = busy["cells"]
        errors = busy.get("errors", [])
        queues = sorted({c["queue_size"] for c in cells})
        md += ["", "## Busy-rate curves (1 accept worker)", "",
               "Clients: " + busy.get("clients", "reference agents") + ". "
               "Each cell: busy rate median (min–max) over the repetitions; then connect latency "
               "p50 / p99 in µs (medians). Open loop: connect and close at once; closed loop: "
               "connect, handshake, close. " + busy["latency_method"] + ".", ""]
        for e in errors:
            done = f" ({e['cells_done']} cells done before it)" if "cells_done" in e else ""
            md += [f"FAILED: {e['implementation']}: {e['error']}{done}", ""]
        if busy.get("seconds_per_server"):
            md += ["Seconds per server: " + ", ".join(
                f"{k} {v:.1f}" for k, v in busy["seconds_per_server"].items()) +
                "; client pools started in (s): " + ", ".join(
                f"{k} {v:.1f}" for k, v in busy.get("client_pool_start_s", {}).items()), ""]

        def cell_text(c):
            if c is None:
                return ""
            if "skipped" in c:
                return "skipped"
            mark = "*" if "queue_size_used" in c else ""
            return (f"{fmt(c['busy_rate'], digits=2)}{mark}<br>{c['connect_p50_us']['median']:.0f} / "
                    f"{c['connect_p99_us']['median']:.0f}")

        order = {name: i for i, name in enumerate(driver.get("implementations", []))}
        groups = {}
        for c in cells:
            groups.setdefault((c["loop"], c["clients_as"], c["implementation"]), []).append(c)
        for (loop, clients_as, impl), group in sorted(
                groups.items(), key=lambda g: (g[0][0], g[0][1], order.get(g[0][2], 99))):
            client = group[0].get("client_implementation", "reference")
            md += [f"**{impl} ({group[0].get('platform', 'linux')}), {loop} loop, clients as "
                   f"{clients_as} ({client})**", "",
                   "| clients \\ queue | " + " | ".join(str(q) for q in queues) + " |",
                   "|---" * (len(queues) + 1) + "|"]
            for n in sorted({c["clients"] for c in group}):
                row = {c["queue_size"]: c for c in group if c["clients"] == n}
                md.append(f"| {n} | " + " | ".join(cell_text(row.get(q)) for q in queues) + " |")
            notes = sorted({c["note"] for c in group if "note" in c})
            skipped = sorted({c["skipped"] for c in group if "skipped" in c})
            md += [""] + [f"\\* {n}" for n in notes] + [f"skipped: {s}" for s in skipped]
            if notes or skipped:
                md.append("")

        # POSIX vs Windows: the reference implementation of each platform, busy medians side by side.
        pairs = [(p, w) for p in ("reference",) for w in ("reference-windows",)
                 if any(c["implementation"] == p for c in cells)
                 and any(c["implementation"] == w for c in cells)]
        for posix, windows in pairs:
            md += [f"### Busy rate, POSIX vs Windows backend ({posix} / {windows}, medians)", ""]
            for loop in ("closed", "open"):
                for clients_as in ("processes", "threads"):
                    by = {(c["implementation"], c["clients"], c["queue_size"]): c for c in cells
                          if c["loop"] == loop and c["clients_as"] == clients_as}
                    counts = sorted({k[1] for k in by})
                    md += [f"**{loop} loop, clients as {clients_as}** (linux / windows)", "",
                           "| clients \\ queue | " + " | ".join(str(q) for q in queues) + " |",
                           "|---" * (len(queues) + 1) + "|"]

                    def med(c):
                        if c is None:
                            return "?"
                        if "skipped" in c:
                            return "skip"
                        return f"{c['busy_rate']['median']:.2f}" + ("*" if "queue_size_used" in c else "")
                    for n in counts:
                        md.append(f"| {n} | " + " | ".join(
                            f"{med(by.get((posix, n, q)))} / {med(by.get((windows, n, q)))}"
                            for q in queues) + " |")
                    md.append("")
            mine = [c for c in cells if c["implementation"] == windows]
            if any("queue_size_used" in c for c in mine):
                md += ["\\* windows: queue 64 runs as 63 (WIN-6)."]
            if any("skipped" in c for c in mine):
                md += ["skip: not run, see the cell's reason above."]
            md.append("")
        summary["busy"] = driver["busy"]

    if "overhead" in driver or (out / "ctest.json").exists():
        md += ["## Harness overhead", ""]
        o = driver.get("overhead", {})
        for a in o.get("agent_start", []):
            md.append(f"- start + hello, {a['implementation']} agent: {fmt(a['start_and_hello_ms'], ' ms')}")
        if "geometry" in o:
            g = o["geometry"]
            md.append(f"- geometry {g['name']} ({g['agents']} agents, {g['attempts']} connections): "
                      f"{fmt(g['wall_ms'], ' ms')}, agent errors {g['agent_errors']}")
        if (out / "ctest.json").exists():
            c = json.loads((out / "ctest.json").read_text())
            summary["ctest"] = c
            md.append(f"- `ctest -L conformance`: {c['wall_s']:.1f} s wall, exit code {c['exit_code']}")
        summary["overhead"] = o
        md.append("")

    if (out / "timing.json").exists():
        timing = summary["timing"] = json.loads((out / "timing.json").read_text())
        md += ["## ci/bench wall time", "",
               f"{timing['total_s']:.0f} s in all; phases (s): " + ", ".join(
                   f"{k} {v:.1f}" for k, v in timing["phases_s"].items()), ""]

    (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    (out / "summary.md").write_text("\n".join(md) + "\n")
    print("\n".join(md))


if __name__ == "__main__":
    main()
