//! `stats` and `simulate` on a seeded month of history made with the real binary, clock
//! pinned per command; the HTML page rendered in a real headless browser.
//!
//! The month (America/Chicago, November 2026, the default rules), on each of its 20
//! business days i = 0..19 (Nov 2–6, 9–13, 16–20, 23–27):
//! - 09:00 a standard repair lead, source phone / web-form / ads by i % 3, routed to dev,
//!   accepted after 4, 8, 12, 16, 20 minutes by i % 5, closed at 10:00 as booked / won /
//!   lost / no-response by i % 4; `escalate-check` runs at 09:16 on the 20-minute days;
//! - 14:00 an emergency repair lead from phone, routed to dev, accepted after 3 minutes on
//!   even days and 7 on odd ones (`escalate-check` at 14:06 on those), left open;
//! - on i = 0 and 10, 11:00 a standard inspection lead from phone: dev rejects it at 11:02
//!   ("wrong address", missing service_address), ana hands it to sam at 11:05, sam accepts
//!   at 11:09; left open.
//!
//! QA: olive reviews the first two leads of the month.

use std::path::Path;
use std::process::Command as Std;
use std::sync::OnceLock;

use serde_json::Value;

use super::{TestEnv, stderr};

const DAYS: [u32; 20] = [2, 3, 4, 5, 6, 9, 10, 11, 12, 13, 16, 17, 18, 19, 20, 23, 24, 25, 26, 27];
const END: &str = "2026-11-30T18:00:00-06:00";

fn at(day: u32, hm: &str) -> String {
    format!("2026-11-{day:02}T{hm}:00-06:00")
}

fn plus(hm: &str, minutes: u32) -> String {
    let (h, m) = hm.split_once(':').unwrap();
    let total = h.parse::<u32>().unwrap() * 60 + m.parse::<u32>().unwrap() + minutes;
    format!("{:02}:{:02}", total / 60, total % 60)
}

/// Run `handoff --as WHO ARGS` at `now`; returns stdout, asserting success.
fn run_at(env: &TestEnv, now: &str, who: &str, args: &[&str]) -> String {
    let out = env.as_(who, args).env("HANDOFF_NOW", now).output().expect("run");
    assert!(out.status.success(), "handoff {args:?} at {now}: {}", stderr(&out));
    String::from_utf8(out.stdout).expect("utf8")
}

fn capture(env: &TestEnv, now: &str, name: &str, phone: &str, service: &str, urgency: &str, source: &str) -> String {
    let args = [
        "capture",
        "--name",
        name,
        "--phone",
        phone,
        "--address",
        "12 Elm St, Springfield",
        "--service",
        service,
        "--urgency",
        urgency,
        "--source",
        source,
        "--notes",
        "seeded",
        "--route",
    ];
    run_at(env, now, "ana", &args).lines().next().expect("id").to_owned()
}

struct Month {
    env: TestEnv,
    /// The 09:00 standard leads, by day index.
    standard: Vec<String>,
    /// The two rejected-then-reassigned leads.
    rejected: Vec<String>,
}

/// The month, seeded once per test run and shared (the tests only read it). It lives under
/// cargo's target tmp directory, not the system's, as a static is never dropped.
fn month() -> &'static Month {
    static MONTH: OnceLock<Month> = OnceLock::new();
    MONTH.get_or_init(seeded_month)
}

fn seeded_month() -> Month {
    let dir =
        tempfile::Builder::new().prefix("stats-month-").tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("temp dir");
    let env = TestEnv { dir, now: super::NOW.to_owned() };
    env.cmd(&["init", ".", "--timezone", "America/Chicago"]).assert().success();
    env.set_rules(&env.rules().replace("git: true", "git: false"));
    let mut standard = Vec::new();
    let mut rejected = Vec::new();
    for (i, &day) in DAYS.iter().enumerate() {
        let source = ["phone", "web-form", "ads"][i % 3];
        let name = format!("Standard Customer {i:02}");
        let id = capture(
            &env,
            &at(day, "09:00"),
            &name,
            &format!("(312) 555-{:04}", 1000 + i),
            "repair",
            "standard",
            source,
        );
        let delay = [4, 8, 12, 16, 20][i % 5];
        if delay == 20 {
            run_at(&env, &at(day, "09:16"), "system", &["escalate-check"]);
        }
        run_at(&env, &at(day, &plus("09:00", delay)), "dev", &["accept", &id, "--yes"]);
        let outcome = ["booked", "won", "lost", "no-response"][i % 4];
        run_at(&env, &at(day, "10:00"), "dev", &["close", &id, "--outcome", outcome]);
        standard.push(id);

        if i % 10 == 0 {
            let name = format!("Rejected Customer {i:02}");
            let id = capture(
                &env,
                &at(day, "11:00"),
                &name,
                &format!("(312) 555-{:04}", 3000 + i),
                "inspection",
                "standard",
                "phone",
            );
            let reject = ["reject", id.as_str(), "--reason", "wrong address", "--missing", "service_address"];
            run_at(&env, &at(day, "11:02"), "dev", &reject);
            run_at(&env, &at(day, "11:05"), "ana", &["assign", &id, "--to", "sam"]);
            run_at(&env, &at(day, "11:09"), "sam", &["accept", &id, "--yes"]);
            rejected.push(id);
        }

        let name = format!("Emergency Customer {i:02}");
        let id = capture(
            &env,
            &at(day, "14:00"),
            &name,
            &format!("(312) 555-{:04}", 2000 + i),
            "repair",
            "emergency",
            "phone",
        );
        let delay = if i % 2 == 0 { 3 } else { 7 };
        if delay == 7 {
            run_at(&env, &at(day, "14:06"), "system", &["escalate-check"]);
        }
        run_at(&env, &at(day, &plus("14:00", delay)), "dev", &["accept", &id, "--yes"]);
    }
    for (id, answers) in [
        (
            &standard[0],
            [
                "owner-correct=yes",
                "notes-sufficient=yes",
                "waited-too-long=no",
                "customer-repeated=no",
                "outcome-matched=yes",
            ],
        ),
        (
            &standard[1],
            [
                "owner-correct=yes",
                "notes-sufficient=no",
                "waited-too-long=no",
                "customer-repeated=no",
                "outcome-matched=no",
            ],
        ),
    ] {
        let mut args = vec!["qa-record", id.as_str()];
        for a in &answers {
            args.extend(["--answer", a]);
        }
        run_at(&env, &at(6, "16:00"), "olive", &args);
    }
    Month { env, standard, rejected }
}

fn json(env: &TestEnv, args: &[&str]) -> Value {
    let out = run_at(env, END, "olive", args);
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"))
}

#[test]
fn a_month_of_figures_matches_the_hand_count() {
    let m = month();
    let s = json(&m.env, &["stats", "--month", "2026-11", "--json"]);
    assert_eq!(s["since"], "2026-11-01");
    assert_eq!(s["until"], "2026-11-30");
    assert_eq!(s["captured"], 42);

    // Capture → acceptance, 42 waits sorted: 3×10, 4×4, 7×10, 8×4, 9×2, 12×4, 16×4, 20×4.
    // Median = mean of the 21st and 22nd = 7; p90 = the 38th (⌈37.8⌉) = 16. All within
    // business hours, so business minutes are the same.
    let a = &s["speed_to_accept"];
    assert_eq!(
        (a["count"].as_u64(), a["median_minutes"].as_f64(), a["p90_minutes"].as_f64()),
        (Some(42), Some(7.0), Some(16.0))
    );
    assert_eq!((a["median_business_minutes"].as_f64(), a["p90_business_minutes"].as_f64()), (Some(7.0), Some(16.0)));
    // First movement: the rejected leads' first owner event is dev's rejection after 2 min.
    let f = &s["speed_to_first_movement"];
    assert_eq!((f["median_minutes"].as_f64(), f["p90_minutes"].as_f64()), (Some(7.0), Some(16.0)));

    // Within the window: standard 12 (4, 8, 12 min) + 2 (9 min) of 22; emergency 10 of 20.
    let w = &s["accepted_in_window"];
    assert_eq!((w["within"].as_u64(), w["total"].as_u64()), (Some(24), Some(42)));
    assert_eq!(w["share"].as_f64(), Some(0.5714));
    let by: Vec<(String, u64, u64, u64)> = w["by_urgency"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| {
            let n = |k: &str| u[k].as_u64().unwrap();
            (u["urgency"].as_str().unwrap().to_owned(), n("window_minutes"), n("within"), n("total"))
        })
        .collect();
    assert_eq!(by, [("emergency".to_owned(), 5, 10, 20), ("standard".to_owned(), 15, 14, 22)]);

    // Open at each day's end: every emergency lead from its day to Nov 30 (Σ 31 − day = 330),
    // the rejected ones from Nov 2 (29) and Nov 16 (15); all with a next action.
    let e = &s["next_action_at_eod"];
    assert_eq!((e["count"].as_u64(), e["total"].as_u64(), e["share"].as_f64()), (Some(374), Some(374), Some(1.0)));

    // Escalations: 4 standard leads unaccepted at 09:16, 10 emergencies at 14:06.
    assert_eq!(s["escalations"], 14);
    let owner = |id: &str| s["by_owner"].as_array().unwrap().iter().find(|o| o["owner"] == id).unwrap().clone();
    let dev = owner("dev");
    assert_eq!(dev["name"], "Dev Dispatch");
    let n = |o: &Value, k: &str| o[k].as_u64().unwrap();
    assert_eq!(
        [n(&dev, "handed"), n(&dev, "accepted"), n(&dev, "rejections"), n(&dev, "escalations")],
        [42, 40, 2, 14]
    );
    let sam = owner("sam");
    assert_eq!([n(&sam, "handed"), n(&sam, "accepted")], [2, 2]);
    assert_eq!(sam["median_minutes_to_accept"].as_f64(), Some(4.0));

    let rej = s["rejections"].as_array().unwrap();
    assert_eq!(rej.len(), 2);
    assert_eq!(rej[0]["id"], m.rejected[0].as_str());
    assert_eq!(rej[0]["customer"], "Rejected Customer 00");
    assert_eq!(rej[0]["reason"], "wrong address");
    assert_eq!(rej[0]["missing"], serde_json::json!(["service_address"]));

    // Conversion (booked/won of booked/won/lost/no-response): phone 3 of 7, web-form 4 of 7,
    // ads 3 of 6; phone also holds the 20 emergencies and 2 inspections, all open.
    let src: Vec<(String, u64, u64, u64, Option<f64>)> = s["by_source"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            let n = |k: &str| x[k].as_u64().unwrap();
            (
                x["source"].as_str().unwrap().to_owned(),
                n("captured"),
                n("open"),
                n("converted"),
                x["conversion"].as_f64(),
            )
        })
        .collect();
    assert_eq!(
        src,
        [
            ("phone".to_owned(), 29, 22, 3, Some(0.4286)),
            ("web-form".to_owned(), 7, 0, 4, Some(0.5714)),
            ("ads".to_owned(), 6, 0, 3, Some(0.5)),
        ]
    );

    let qa: Vec<(String, u64, u64)> = s["qa"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| (q["key"].as_str().unwrap().to_owned(), q["yes"].as_u64().unwrap(), q["no"].as_u64().unwrap()))
        .collect();
    assert_eq!(qa[0], ("owner-correct".to_owned(), 2, 0));
    assert_eq!(qa[1], ("notes-sufficient".to_owned(), 1, 1));
    assert_eq!(qa[4], ("outcome-matched".to_owned(), 1, 1));
    assert_eq!(s["qa"][1]["yes_rate"].as_f64(), Some(0.5));

    // The longest waits are the 20-minute standard leads, named.
    assert_eq!(s["slowest"][0]["minutes"], 20);
    assert_eq!(s["slowest"][0]["customer"], "Standard Customer 04");
    assert_eq!(s["slowest"][0]["owner_name"], "Dev Dispatch");

    // One week: W45 holds days 0–4 (Nov 2–6): 5 + 5 + 1 leads.
    let w45 = json(&m.env, &["stats", "--week", "2026-W45", "--json"]);
    assert_eq!(
        (w45["since"].as_str(), w45["until"].as_str(), w45["captured"].as_u64()),
        (Some("2026-11-02"), Some("2026-11-08"), Some(11))
    );
    // --since/--until: the two days Nov 2–3 hold 5 leads; waits 4, 3, 9, 8, 7 → median 7, p90 9.
    let two = json(&m.env, &["stats", "--since", "2026-11-02", "--until", "2026-11-03", "--json"]);
    assert_eq!(two["captured"], 5);
    assert_eq!(two["speed_to_accept"]["median_minutes"], 7);
    assert_eq!(two["speed_to_accept"]["p90_minutes"], 9);
}

#[test]
fn stats_by_key_and_in_every_format() {
    let m = month();
    let s = json(&m.env, &["stats", "--month", "2026-11", "--by", "urgency", "--json"]);
    let groups = s["groups"].as_array().unwrap();
    let keys: Vec<&str> = groups.iter().map(|g| g["key"].as_str().unwrap()).collect();
    assert_eq!(keys, ["emergency", "standard"]);
    // Emergency waits: ten 3s and ten 7s → median 5, p90 7.
    assert_eq!(groups[0]["speed_to_accept"]["median_minutes"], 5);
    assert_eq!(groups[0]["speed_to_accept"]["p90_minutes"], 7);
    assert_eq!(groups[0]["escalations"], 10);

    let s = json(&m.env, &["stats", "--month", "2026-11", "--by", "week", "--json"]);
    let weeks: Vec<(&str, u64)> = s["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| (g["key"].as_str().unwrap(), g["captured"].as_u64().unwrap()))
        .collect();
    assert_eq!(weeks, [("2026-W45", 11), ("2026-W46", 10), ("2026-W47", 11), ("2026-W48", 10)]);

    let s = json(&m.env, &["stats", "--month", "2026-11", "--by", "owner", "--json"]);
    let owners: Vec<(&str, &str, u64)> = s["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| (g["key"].as_str().unwrap(), g["name"].as_str().unwrap(), g["captured"].as_u64().unwrap()))
        .collect();
    assert_eq!(owners, [("dev", "Dev Dispatch", 40), ("sam", "Sam Sales", 2)]);

    let table = run_at(&m.env, END, "olive", &["stats", "--month", "2026-11", "--by", "source"]);
    assert!(table.contains("Accepted in SOP window"), "{table}");
    assert!(table.contains("57% (24/42)"), "{table}");
    assert!(table.contains("Rejected Customer 10"), "customer names where people read: {table}");
    assert!(table.contains("Dev Dispatch (dev)"), "{table}");
    assert!(table.contains('█'), "bars: {table}");

    let csv = run_at(&m.env, END, "olive", &["stats", "--month", "2026-11", "--format", "csv"]);
    assert!(csv.starts_with("section,key,name,metric,value\r\n"), "{csv}");
    assert!(csv.contains("speed_to_accept,,,p90_minutes,16\r\n"), "{csv}");
    assert!(csv.contains("by_source,ads,,conversion,0.5\r\n"), "{csv}");
    let md = run_at(&m.env, END, "olive", &["stats", "--month", "2026-11", "--format", "md"]);
    assert!(md.contains("- Accepted within the SOP window: **57%** (24 of 42)"), "{md}");
    assert!(md.contains("| Rejected Customer 00 | "), "{md}");
}

#[test]
fn bad_periods_are_refused_with_the_fix() {
    let env = TestEnv::new();
    for (args, code, says) in [
        (vec!["stats", "--month", "2026-13"], 1, "YYYY-MM"),
        (vec!["stats", "--week", "2026-48"], 1, "YYYY-Www"),
        (vec!["stats", "--since", "2026-11-20", "--until", "2026-11-01"], 1, "swap"),
        (vec!["stats", "--since", "someday"], 1, "--since"),
        (vec!["stats", "--week", "2026-W48", "--since", "2026-11-01"], 2, "cannot be used with"),
        (vec!["stats", "--by", "colour"], 2, "owner"),
        (vec!["report", "--format", "html"], 2, "stats"),
    ] {
        let out = env.run("olive", &args);
        assert_eq!(out.status.code(), Some(code), "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(says), "{args:?}: {}", stderr(&out));
        assert!(out.stdout.is_empty(), "{args:?} printed {:?}", String::from_utf8_lossy(&out.stdout));
    }
}

fn tighten_unaccepted(rules: &str, window: &str) -> String {
    let from = "    status: [intake, assigned]\n    clock: capture\n    after: 15m\n";
    assert_eq!(rules.matches(from).count(), 1, "the default `unaccepted` rule");
    rules.replace(from, &format!("    status: [intake, assigned]\n    clock: capture\n    after: {window}\n"))
}

#[test]
fn simulate_a_tighter_window_adds_the_known_escalations() {
    let m = month();
    let scratch = tempfile::tempdir().unwrap();
    let proposed = scratch.path().join("proposed.yaml");
    std::fs::write(&proposed, tighten_unaccepted(&m.env.rules(), "10m")).unwrap();
    let p = proposed.to_str().unwrap();

    // Same rules: nothing changes (a cron that did not run at 15 minutes for the 16-minute
    // leads is not a difference).
    let same = json(&m.env, &["simulate", "--rules", "rules.yaml", "--json"]);
    assert_eq!(same["routed_differently"], serde_json::json!([]));
    assert_eq!(same["escalations_added"], serde_json::json!([]));
    assert_eq!(same["escalations_removed"], serde_json::json!([]));
    assert_eq!(same["leads"], 42);

    // 10 minutes instead of 15: the standard leads accepted after 12 minutes (i = 2, 7, 12,
    // 17) now escalate, at 09:10; the 16- and 20-minute ones escalated (or were owed) anyway.
    let sim = json(&m.env, &["simulate", "--rules", p, "--json"]);
    let added: Vec<(String, String, String)> = sim["escalations_added"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let s = |k: &str| e[k].as_str().unwrap().to_owned();
            (s("id"), s("rule"), s("at"))
        })
        .collect();
    let expected: Vec<(String, String, String)> = [2usize, 7, 12, 17]
        .iter()
        .map(|&i| (m.standard[i].clone(), "unaccepted".to_owned(), at(DAYS[i], "09:10")))
        .collect();
    assert_eq!(added, expected);
    assert_eq!(sim["escalations_added"][0]["customer"], "Standard Customer 02");
    assert_eq!(sim["escalations_removed"], serde_json::json!([]));
    let rule = sim["by_rule"].as_array().unwrap().iter().find(|r| r["rule"] == "unaccepted").unwrap().clone();
    // Before: the 4 recorded (20 min) and the 4 owed (16 min); after: those and the 4 new.
    assert_eq!([&rule["before"], &rule["after"], &rule["added"], &rule["removed"]], [8, 12, 4, 0]);

    // --since narrows the replay to the last week (days 15–19: i = 17 is the one added).
    let late = json(&m.env, &["simulate", "--rules", p, "--since", "2026-11-23", "--json"]);
    assert_eq!(late["leads"], 10);
    assert_eq!(late["escalations_added"].as_array().unwrap().len(), 1);

    // Routing everything by default to sam: the 20 standard leads the rules routed move.
    let text = m.env.rules().replace("  - name: default\n    to: dev\n", "  - name: default\n    to: sam\n");
    std::fs::write(&proposed, text).unwrap();
    let sim = json(&m.env, &["simulate", "--rules", p, "--json"]);
    let moved = sim["routed_differently"].as_array().unwrap();
    // The 20 repairs and the 2 inspections were routed by `default`; emergencies stay with dev.
    assert_eq!(moved.len(), 22);
    assert!(moved.iter().all(|r| r["actual"] == "dev" && r["proposed"] == "sam" && r["proposed_rule"] == "default"));

    let table = run_at(&m.env, END, "olive", &["simulate", "--rules", p]);
    assert!(table.contains("Routed differently (22)"), "{table}");
    assert!(table.contains("Sam Sales (sam)"), "{table}");
}

#[test]
fn simulate_refuses_a_bad_rules_file_and_names_the_line() {
    let env = TestEnv::new();
    let bad = env.rules().replace("    to: olive\n", "    to: nobody\n");
    std::fs::write(env.root().join("bad.yaml"), bad).unwrap();
    let out = env.run("olive", &["simulate", "--rules", "bad.yaml"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("bad.yaml:") && stderr(&out).contains("nobody"), "{}", stderr(&out));
    let out = env.run("olive", &["simulate", "--rules", "missing.yaml"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("missing.yaml"), "{}", stderr(&out));
}

fn headless(browser: &str, profile: &Path) -> Std {
    let mut cmd = Std::new(browser);
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
        "--window-size=1280,800",
        "--force-device-scale-factor=1",
    ])
    .arg(format!("--user-data-dir={}", profile.display()));
    cmd
}

#[test]
fn the_html_page_renders_in_a_real_browser() {
    // Debian's chromium; under CI a missing browser fails the test (.ci/run installs it).
    if !super::require("chromium") {
        return;
    }
    let browser = "chromium";
    let m = month();
    let page = run_at(&m.env, END, "olive", &["stats", "--month", "2026-11", "--by", "owner", "--format", "html"]);
    assert!(!page.contains("<script"), "no scripts");
    assert!(!page.contains("http://") && !page.contains("https://") && !page.contains("src="), "nothing fetched");
    let scratch = tempfile::tempdir().unwrap();
    let file = scratch.path().join("stats.html");
    std::fs::write(&file, &page).unwrap();
    let url = format!("file://{}", file.display());
    let profile = tempfile::tempdir().unwrap();

    let out = headless(browser, profile.path()).arg("--dump-dom").arg(&url).output().expect("chromium");
    assert!(out.status.success(), "chromium --dump-dom: {}", stderr(&out));
    let dom = String::from_utf8_lossy(&out.stdout);
    for id in [
        "kpis",
        "captured-per-day",
        "time-to-accept",
        "window-by-urgency",
        "conversion-by-source",
        "qa",
        "by-owner",
        "slowest",
        "rejections",
        "groups",
    ] {
        assert!(dom.contains(&format!("id=\"{id}\"")), "section {id} missing from the DOM");
    }
    assert!(dom.contains("<svg"), "charts are inline SVG");
    assert!(dom.contains("Rejected Customer 00") && dom.contains("Dev Dispatch"), "names next to ids");
    assert!(dom.contains("57%"), "the in-window share is on the page");

    let shot = scratch.path().join("stats.png");
    let out = headless(browser, profile.path())
        .arg(format!("--screenshot={}", shot.display()))
        .arg(&url)
        .output()
        .expect("chromium");
    assert!(out.status.success(), "chromium --screenshot: {}", stderr(&out));
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(&shot).expect("screenshot written")));
    let mut reader = decoder.read_info().expect("a PNG");
    let mut pixels = vec![0; reader.output_buffer_size().expect("size")];
    let info = reader.next_frame(&mut pixels).expect("PNG frame");
    assert_eq!((info.width, info.height), (1280, 800));
    let channels = info.line_size / info.width as usize;
    assert!(channels >= 3, "colour PNG");
    let px: Vec<&[u8]> = pixels[..info.buffer_size()].chunks(channels).collect();
    let background = [0xf4, 0xf6, 0xf8];
    let ink = px.iter().filter(|p| p[..3] != background && p[..3] != [0xff, 0xff, 0xff]).count();
    assert!(ink * 20 > px.len(), "more than 5 % of the screen is drawn ({ink} of {} pixels)", px.len());
    // The chart bars' blue is on screen: the SVG charts rendered, above the fold.
    let bar = px.iter().filter(|p| p[..3] == [0x25, 0x63, 0xa8]).count();
    assert!(bar > 500, "chart bars visible ({bar} bar-coloured pixels)");
}

#[test]
fn names_stand_next_to_ids_where_people_read_but_never_in_git() {
    let env = TestEnv::with_git();
    let id = env.capture(&["--route"]);
    let table = run_at(&env, "2026-11-24T07:20:00-06:00", "system", &["escalate-check"]);
    // Tables show the id's short unique prefix (issue 21).
    let row = table.lines().find(|l| l.contains(&format!(" {} ", &id[9..13]))).unwrap_or_else(|| panic!("{table}"));
    assert!(row.contains("Maria Lopez") && row.contains("Olive Office (olive)"), "{table}");
    let out = run_at(&env, "2026-11-24T07:21:00-06:00", "system", &["escalate-check", "--dry-run", "--json"]);
    assert!(!out.contains("Maria Lopez"), "the escalation JSON (the --notify payload) is unchanged: {out}");

    let report = run_at(&env, "2026-11-24T17:30:00-06:00", "olive", &["report"]);
    let line = report.lines().find(|l| l.contains(&id) && l.contains("waiting")).unwrap_or_else(|| panic!("{report}"));
    assert!(line.contains("Maria Lopez"), "{report}");
    assert!(report.contains("Dev Dispatch"), "owner names in the per-owner block: {report}");
    let report = json(&env, &["report", "--json", "--date", "2026-11-24"]);
    assert_eq!(report["unaccepted"][0]["customer"], "Maria Lopez");
    assert_eq!(report["escalations"][0]["customer"], "Maria Lopez");
    let md = run_at(&env, "2026-11-24T17:30:00-06:00", "olive", &["report", "--format", "md"]);
    assert!(md.contains("| unaccepted | ") && md.contains("Maria Lopez"), "{md}");

    let log = env.git(&["log", "--format=%s%n%b"]);
    assert!(log.contains(&id) && !log.contains("Maria") && !log.contains("Lopez"), "{log}");
}
