"""The Markdown summary of a run: Berth/Distribution ratios next to their targets."""
from __future__ import annotations

RATE_TESTS = ["manifest_get_c1", "manifest_get_c16", "manifest_get_c64", "blob_head_c16", "blob_head_c64",
              "tags_list_c16", "tags_list_c64"]
MODES = {"open": ("no auth", 5.0), "basic": ("Basic", 20.0), "bearer": ("Bearer", 5.0)}
# Manifest GET, the request a rollout makes most, is held to more than the others.
MANIFEST_TARGETS = {"open": 10.0, "bearer": 10.0}
FLOOR = 3.0
WORKERS_TARGET = 1.8


def _check(value: float, target: float) -> str:
    return "✅" if value >= target else "❌"


def _rate_target(key: str, mode: str) -> tuple[str, float | None]:
    if key.endswith("_c1"):
        return "—", None
    target = MANIFEST_TARGETS.get(mode, MODES[mode][1]) if key.startswith("manifest_get") else MODES[mode][1]
    return f"≥ {target:g}× (floor {FLOOR:g}×)", target


def _rates(results: dict) -> list[str]:
    rates = results["rates"]
    lines = ["## Request rates", "",
             "req/s of the best round; latency p50 / p99 in ms. nginx serves a static file of the manifest's "
             "size: the machine's ceiling for a small response.", "",
             "| Test | Auth | Berth req/s | Berth p50 / p99 | Distribution req/s | Distribution p50 / p99 "
             "| Berth ÷ Distribution | Target | nginx static req/s |",
             "|---|---|---:|---:|---:|---:|---:|---|---:|"]
    for mode, (label, _) in MODES.items():
        for key in RATE_TESTS:
            row = rates.get(mode, {}).get(key)
            if not row:
                continue
            berth, dist = row["berth"], row["distribution"]
            ratio = berth["rps"] / dist["rps"] if dist["rps"] else float("inf")
            target_text, target = _rate_target(key, mode)
            mark = "" if target is None else " " + (_check(ratio, target) if ratio >= FLOOR else "❌ below floor")
            nginx = f"{row['nginx']['rps']:,.0f}" if "nginx" in row else ""
            lines.append(f"| {key} | {label} | {berth['rps']:,.0f} | {berth['p50']:.2f} / {berth['p99']:.2f} "
                         f"| {dist['rps']:,.0f} | {dist['p50']:.2f} / {dist['p99']:.2f} | {ratio:.1f}×{mark} "
                         f"| {target_text} | {nginx} |")
    return lines


def _transfers(results: dict) -> list[str]:
    t = results["transfers"]
    lines = ["## Transfers", "", "MB/s (10⁶ bytes/s), best round.", "",
             "| Test | Berth | Distribution | nginx sendfile | Berth ÷ Distribution | Berth ÷ nginx | Target |",
             "|---|---:|---:|---:|---:|---:|---|"]
    parallel = results["settings"]["parallel"]
    rows = [("push_put", "berth", "blob push, one PUT", "≥ 2× Distribution"),
            ("push_chunked", "berth", "blob push, PATCH chunks", "≥ 2× Distribution"),
            ("push_put", "berth_no_fsync", "blob push, one PUT, Berth with fsync off", "≥ 2× Distribution"),
            ("push_chunked", "berth_no_fsync", "blob push, PATCH chunks, Berth with fsync off", "≥ 2× Distribution"),
            ("blob_get_x1", "berth", "blob GET, 1 client", "≥ 0.95× nginx"),
            (f"blob_get_x{parallel}", "berth", f"blob GET, {parallel} clients", "≥ 0.95× nginx"),
            ("blob_get_x1_basic", "berth", "blob GET, 1 client, Basic", ""),
            ("blob_get_x1_bearer", "berth", "blob GET, 1 client, Bearer", "")]
    for key, side, label, target in rows:
        row = t.get(key)
        if not row or side not in row:
            continue
        berth, dist, nginx = row[side], row["distribution"], row.get("nginx")
        vs_dist = berth / dist if dist else 0.0
        vs_nginx = f"{berth / nginx:.2f}×" if nginx else ""
        if target.endswith("Distribution"):
            target += " " + _check(vs_dist, 2.0)
        elif nginx:
            target += " " + _check(berth / nginx, 0.95)
        lines.append(f"| {label} ({key}) | {berth:,.0f} | {dist:,.0f} | {f'{nginx:,.0f}' if nginx else ''} "
                     f"| {vs_dist:.2f}× | {vs_nginx} | {target} |")
    return lines


def _memory(results: dict) -> list[str]:
    memory, big = results["memory"], results["big_transfer"]
    lines = ["## Memory", "", "Resident set (MiB) of the server process and its children. Peaks are VmHWM: "
             "'start-up peak' is reached before serving (Berth's first start hashes the admin password with "
             "scrypt, a 32 MiB KDF); it is then reset, so 'peak' covers the whole workload. "
             f"The last column is the peak's rise over a {big['berth']['mib']} MiB upload and download.", "",
             "| Server | start | start-up peak | after push | after pull | peak | growth over large up+down |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for name in ("berth", "distribution"):
        m = memory[name]
        lines.append(f"| {name} | {m['start']:.1f} | {m['start_peak']:.1f} | {m['after_push']:.1f} "
                     f"| {m['after_pull']:.1f} | {m['peak']:.1f} | {big[name]['growth']:.1f} |")
    ratio = memory["berth"]["peak"] / memory["distribution"]["peak"]
    lines += ["", f"Peak RSS Berth ÷ Distribution: {ratio:.2f} (target ≤ 1) {_check(1.0, ratio)}"]
    return lines


def _versus(title: str, note: str, rows: dict, a: str, b: str, target: float | None = None) -> list[str]:
    lines = [f"## {title}", "", note, "", f"| Test | {a} req/s | {b} req/s | {b} ÷ {a} |", "|---|---:|---:|---:|"]
    for key, row in rows.items():
        ratio = row[b]["rps"] / row[a]["rps"]
        mark = f" {_check(ratio, target)}" if target else ""
        lines.append(f"| {key} | {row[a]['rps']:,.0f} | {row[b]['rps']:,.0f} | {ratio:.2f}×{mark} |")
    return lines


def _proxy(proxy: dict) -> list[str]:
    warm, layer, cold = proxy["warm_manifest"], proxy["warm_layer_mb_s"], proxy["cold_layer"]
    manifest = warm["proxy"]["rps"] / warm["local"]["rps"]
    download = layer["proxy"] / layer["local"]
    slower = cold["proxy_s"] / cold["upstream_s"]
    upstream = proxy["upstream_requests_per_1000_warm_pulls"]
    return ["## Proxy cache", "",
            "A proxy-cache project in front of CNCF Distribution on loopback (the upstream on the load generator's "
            "core), against the same image pushed into a local project.", "",
            "| Figure | Proxy | Reference | Ratio | Target |", "|---|---:|---:|---:|---|",
            f"| warm manifest GET by tag, 16 connections (req/s) | {warm['proxy']['rps']:,.0f} "
            f"| {warm['local']['rps']:,.0f} (local project) | {manifest:.2f}× | ≥ 0.9× {_check(manifest, 0.9)} |",
            f"| warm layer download (MB/s) | {layer['proxy']:,.0f} | {layer['local']:,.0f} (local project) "
            f"| {download:.2f}× | ≥ 0.9× {_check(download, 0.9)} |",
            f"| cold layer pull (s) | {cold['proxy_s']:.3f} | {cold['upstream_s']:.3f} (straight from the upstream) "
            f"| {slower:.2f}× | ≤ 1.2× {_check(1.2, slower)} |",
            f"| upstream requests during 1,000 warm tag pulls | {upstream} | | | ≤ 1 {_check(1, upstream)} |"]


def _s3(s3: dict) -> list[str]:
    rows = [("push_put", "blob push, one PUT (MB/s)"), ("blob_get", "blob GET through the registry (MB/s)"),
            ("range_get", "8 MiB Range GET from the middle (MB/s)")]
    lines = ["## S3 storage", "",
             "Both registries store blobs in one SeaweedFS (`weed server -s3`, on the load generator's core); "
             "`redirect` rows answer 307 with a signed URL and curl follows it to SeaweedFS.", "",
             "| Figure | Berth | Distribution | Berth ÷ Distribution |", "|---|---:|---:|---:|"]
    for key, label in rows:
        berth, dist = s3[key]["berth"], s3[key]["distribution"]
        lines.append(f"| {label} | {berth:,.0f} | {dist:,.0f} | {berth / dist:.2f}× |")
    push, redirect = s3["push_put"], s3["redirect_get"]
    lines.append(f"| blob push, one PUT, redirect mode (MB/s) | {push['berth_redirect']:,.0f} "
                 f"| {push['distribution_redirect']:,.0f} | {push['berth_redirect'] / push['distribution_redirect']:.2f}× |")
    lines.append(f"| blob GET by 307 redirect (MB/s) | {redirect['berth']:,.0f} | {redirect['distribution']:,.0f} "
                 f"| {redirect['berth'] / redirect['distribution']:.2f}× |")
    memory = s3["memory"]
    lines.append(f"| peak RSS rise over a {memory['berth']['mib']} MiB upload and download (MiB) "
                 f"| {memory['berth']['growth']:.1f} | {memory['distribution']['growth']:.1f} | |")
    return lines


SCALE_TARGET = 1.5


def _latency(rate: dict) -> str:
    if rate["p50"] is None:
        return "no answer within the window"
    return f"{rate['p50']:.2f} / {rate['p99']:.2f}"


def _scale(scale: dict) -> list[str]:
    """Latency at each size (the curves) and the largest ÷ smallest ratios against the 1.5× target."""
    sizes = scale["sizes"]
    heads = [f"{s['tags']:,} tags / {s['repositories']:,} repos" for s in sizes]
    lines = ["## Cost as the registry grows", "",
             f"p50 / p99 in ms at 16 connections, from a small registry (every page of 100 full) to one repository of "
             f"{sizes[-1]['tags']:,} tags, up to {sizes[-1]['repositories']:,} repositories, and at the last size "
             f"{sizes[-1]['blob_links']:,} blob links. Target: the largest size within {SCALE_TARGET:g}× of the "
             "smallest (no scan grows with the data); Distribution on the requests it has. "
             "Fuzzy `q=name=~` is reported apart.", "",
             "| Request | Server | " + " | ".join(heads) + " | largest ÷ smallest p50 / p99 |",
             "|---|---|" + "---:|" * len(sizes) + "---:|"]
    for key in sizes[0]["berth"]:
        for server in ("berth", "distribution"):
            if key not in sizes[0][server]:
                continue
            cells = [_latency(s[server][key]) for s in sizes]
            first, last = sizes[0][server][key], sizes[-1][server][key]
            if first["p50"] is None or last["p50"] is None:  # Distribution answered nothing in a window
                lines.append(f"| {key} | {server} | " + " | ".join(cells) + " | — |")
                continue
            p50, p99 = last["p50"] / first["p50"], last["p99"] / first["p99"]
            mark = "" if server != "berth" or "fuzzy" in key else " " + _check(SCALE_TARGET, max(p50, p99))
            lines.append(f"| {key} | {server} | " + " | ".join(cells) + f" | {p50:.2f}× / {p99:.2f}×{mark} |")
    lines += ["", "| Server RSS (MiB) | " + " | ".join(heads) + " |", "|---|" + "---:|" * len(sizes)]
    for server in ("berth", "distribution"):
        lines.append(f"| {server} | " + " | ".join(f"{s[server + '_rss_mib']:.1f}" for s in sizes) + " |")
    m = scale["maintenance"]
    lines += ["", f"Over the largest registry ({sizes[-1]['blob_links']:,} blob links to "
              f"{sizes[-1]['blob_links'] // 10:,} stored blobs, plus every seeded manifest):", "",
              "| Job | seconds | peak RSS MiB |", "|---|---:|---:|"]
    lines += [f"| `berth {key}{' --dry-run' if key == 'gc' else ''}` | {m[key]['seconds']:.1f} "
              f"| {m[key]['peak_rss_mib']:.1f} |" for key in ("gc", "fsck")]
    seeding = ", ".join(f"{k} {v:.0f} s" for k, v in scale["seeding_s"].items())
    lines += ["", f"Seeding times: {seeding}."]
    return lines


def markdown(results: dict) -> str:
    m, s = results["machine"], results["settings"]
    lines = ["# Berth vs CNCF Distribution", "",
             f"Machine: {m['cpu']}, {m['cores']} cores, Linux {m['kernel']}; Python {m['python']}, "
             f"aiohttp {m['aiohttp']}, {m['event_loop']}; Distribution: `{m['distribution']}`; "
             f"`{m['nginx']}`; `{m['wrk']}`.", "",
             f"Servers pinned to CPU {s['server_cpu']}, load generator (wrk, curl, Python client) to CPU "
             f"{s['load_cpus']}; {s['rounds']} alternating round(s) of {s['seconds']} s per test; "
             f"blobs of {s['blob_bytes'] >> 20} MiB, chunks of {s['chunk_bytes'] >> 20} MiB. Distribution's "
             "access log is off and so is Berth's (its cost is measured separately below). "
             f"Disk write (`dd conv=fdatasync`): {results['limits']['disk_write_mb_s']:,.0f} MB/s. "
             f"Whole run: {results['elapsed_s']:.0f} s.", ""]
    lines += _rates(results) + [""] + _transfers(results) + [""] + _memory(results) + [""]
    tokens = results["tokens"]
    lines += ["## Token issue", "", "Berth's /service/token, 4 connections (Distribution has no token service).",
              "", "| Request | tokens/s | p50 / p99 ms |", "|---|---:|---:|"]
    for key, label in (("basic_login", "admin with Basic (password KDF each time)"),
                       ("anonymous", "anonymous")):
        lines.append(f"| {label} | {tokens[key]['rps']:,.0f} | {tokens[key]['p50']:.2f} / {tokens[key]['p99']:.2f} |")
    lines += [""] + _versus("Access log", "Berth pinned, no auth, manifest GET, access log off vs on.",
                            results["access_log"], "off", "on")
    lines += [""] + _versus("Workers", "Berth unpinned on all cores (load generator too), no auth, manifest GET: "
                            f"`--workers 1` vs `--workers 2` (target ≥ {WORKERS_TARGET:g}×).",
                            results["workers"], "workers_1", "workers_2", WORKERS_TARGET)
    if "proxy" in results:
        lines += [""] + _proxy(results["proxy"])
    if "s3" in results:
        lines += [""] + _s3(results["s3"])
    if "scale" in results:
        lines += [""] + _scale(results["scale"])
    return "\n".join(lines) + "\n"
