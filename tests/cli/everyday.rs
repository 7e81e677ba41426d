//! Everyday use: help, completions, man page, colour, interactive capture, import/export.

use std::process::Command;

use crate::{NOW, TestEnv, stderr};

fn handoff_bin() -> std::path::PathBuf {
    assert_cmd::cargo::cargo_bin("handoff")
}

use crate::require as have;

/// The subcommands `handoff --help` lists (hidden ones are not listed).
fn subcommands(env: &TestEnv) -> Vec<String> {
    let help = String::from_utf8(env.cmd(&["--help"]).output().unwrap().stdout).unwrap();
    help.lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .filter(|l| l.starts_with("  ") && !l.starts_with("   "))
        .map(|l| l.split_whitespace().next().unwrap().to_owned())
        .filter(|c| c != "help")
        .collect()
}

#[test]
fn every_subcommand_has_help_with_examples_and_exit_codes() {
    let env = TestEnv::new();
    let subs = subcommands(&env);
    assert!(subs.len() >= 20, "{subs:?}");
    for sub in &subs {
        let out = env.cmd(&[sub, "--help"]).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{sub}");
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(text.contains(&format!("Usage: handoff {sub}")), "{sub}: {text}");
        assert!(text.contains("Exit codes: 0 ok"), "{sub}: {text}");
        assert!(text.contains("Example") || text.contains("Install") || text.contains("handoff "), "{sub}");
    }
    let flags: &[(&str, &[&str])] = &[
        (
            "capture",
            &[
                "--name",
                "--phone",
                "--address",
                "--market",
                "--service",
                "--urgency",
                "--source",
                "--notes",
                "--fit",
                "--referral",
                "--next-action",
                "--due",
                "--to",
                "--route",
                "--partial",
            ],
        ),
        ("update", &["--name", "--phone", "--notes"]),
        ("assign", &["--to", "--next-action", "--due", "--follow-up"]),
        ("accept", &["--yes"]),
        ("reject", &["--reason", "--missing"]),
        ("transfer", &["--to", "--reason"]),
        ("next", &["--action", "--due"]),
        ("close", &["--outcome", "--note"]),
        ("list", &["--status", "--owner", "--overdue"]),
        ("escalate-check", &["--dry-run", "--notify"]),
        ("report", &["--date"]),
        ("qa-sample", &["--week", "--size", "--seed"]),
        ("qa-record", &["--answer", "--comment"]),
        ("qa-report", &["--week"]),
        ("import", &["--dry-run"]),
        ("init", &["--timezone"]),
    ];
    for (sub, want) in flags {
        let text = String::from_utf8(env.cmd(&[sub, "--help"]).output().unwrap().stdout).unwrap();
        for flag in *want {
            assert!(text.contains(flag), "{sub} --help lacks {flag}");
        }
        for global in ["--root", "--as", "--now", "--format", "--json"] {
            assert!(text.contains(global), "{sub} --help lacks {global}");
        }
    }
}

#[test]
fn no_arguments_prints_short_usage_and_typos_get_a_suggestion() {
    let env = TestEnv::new();
    let out = env.cmd(&[]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("capture") && err.contains("report") && err.lines().count() < 25, "{err}");
    let out = env.cmd(&["lsit"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("similar subcommand") && stderr(&out).contains("'list'"), "{}", stderr(&out));
    let out = env.cmd(&["capture", "--nmae", "x"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn completion_scripts_are_valid_and_list_live_ids() {
    let env = TestEnv::new();
    let id = env.capture_standard();
    let bash = env.cmd(&["completions", "bash"]).output().unwrap();
    assert!(bash.status.success());
    let path = env.root().join("handoff.bash");
    std::fs::write(&path, &bash.stdout).unwrap();
    let check = Command::new("bash").arg("-n").arg(&path).output().unwrap();
    assert!(check.status.success(), "{}", stderr(&check));
    assert!(String::from_utf8_lossy(&bash.stdout).contains("__complete ids"));
    for shell in ["zsh", "fish", "powershell"] {
        env.cmd(&["completions", shell]).assert().success();
    }
    // zsh completes lead ids and staff ids from the workspace, not from file names.
    let zsh = String::from_utf8(env.cmd(&["completions", "zsh"]).output().unwrap().stdout).unwrap();
    assert!(zsh.contains("__complete ids") && zsh.contains("__complete staff"));
    assert!(zsh.contains("Lead id, or a unique prefix") && !zsh.contains(":STAFF:_default'"), "{zsh}");
    assert!(!zsh.lines().any(|l| l.starts_with("':id -- Lead id") && l.ends_with(":_default' \\")));
    if have("zsh") {
        let path = env.root().join("_handoff");
        std::fs::write(&path, &zsh).unwrap();
        let check = Command::new("zsh").arg("-n").arg(&path).output().unwrap();
        assert!(check.status.success(), "{}", stderr(&check));
    } else {
        eprintln!("notice: zsh not installed; zsh completion syntax not checked");
    }
    let ids = String::from_utf8(env.cmd(&["__complete", "ids"]).output().unwrap().stdout).unwrap();
    assert_eq!(ids.trim(), id);
    let staff = String::from_utf8(env.cmd(&["__complete", "staff"]).output().unwrap().stdout).unwrap();
    assert_eq!(staff, "ana\ndev\nolive\nsam\n");
    // Outside a workspace completion prints nothing and never an error.
    let out = Command::new(handoff_bin())
        .args(["__complete", "ids"])
        .current_dir("/")
        .env_remove("HANDOFF_ROOT")
        .output()
        .unwrap();
    assert!(out.status.success() && out.stdout.is_empty() && out.stderr.is_empty());
}

#[test]
fn man_page_renders_without_warnings() {
    let env = TestEnv::new();
    let out = env.cmd(&["man"]).output().unwrap();
    assert!(out.status.success());
    let page = env.root().join("handoff.1");
    std::fs::write(&page, &out.stdout).unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains(".TH handoff"));
    if !have("groff") {
        eprintln!("notice: groff not installed; man page rendering not checked");
        return;
    }
    let render = Command::new("groff").args(["-man", "-Tutf8", "-ww"]).arg(&page).output().unwrap();
    assert!(render.status.success());
    assert!(render.stderr.is_empty(), "groff warnings: {}", stderr(&render));
    assert!(String::from_utf8_lossy(&render.stdout).contains("capture"));
    let dir = env.root().join("man1");
    env.cmd(&["man", "--dir", dir.to_str().unwrap()]).assert().success();
    assert!(dir.join("handoff-capture.1").exists());
}

/// Run `handoff ARGS` on a pseudo-terminal (util-linux `script`), feeding `input`.
fn on_terminal(env: &TestEnv, args: &str, input: &str, extra_env: &[(&str, &str)]) -> Option<String> {
    if !have("script") {
        eprintln!("notice: `script` (util-linux) not installed; terminal behaviour not checked");
        return None;
    }
    let mut cmd = Command::new("script");
    cmd.args(["-qec", &format!("{} {args}", handoff_bin().display()), "/dev/null"])
        .current_dir(env.root())
        .env("HANDOFF_NOW", NOW)
        .env("HANDOFF_USER", "ana")
        .env_remove("NO_COLOR")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped());
    for (k, v) in extra_env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap();
    use std::io::Write;
    child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn colour_only_on_a_terminal_and_never_with_no_color() {
    let env = TestEnv::new();
    env.capture(&["--to", "dev", "--next-action", "Call", "--due", "06:00", "--allow-past"]);
    let piped = env.cmd(&["list"]).env_remove("NO_COLOR").output().unwrap();
    assert!(!piped.stdout.contains(&0x1b), "escape codes in piped output");
    let Some(tty) = on_terminal(&env, "list", "", &[]) else { return };
    assert!(tty.contains('\u{1b}'), "no colour on a terminal: {tty}");
    let Some(plain) = on_terminal(&env, "list", "", &[("NO_COLOR", "1")]) else { return };
    assert!(!plain.contains('\u{1b}'), "escape codes despite NO_COLOR: {plain:?}");
    assert!(plain.contains("OVERDUE"));
}

#[test]
fn interactive_capture_writes_the_same_file_as_the_flag_form() {
    let env = TestEnv::new();
    let flags = env.capture(&["--urgency", "urgent", "--fit", "premium", "--source", "web-form", "--route"]);
    // The same lead typed at the prompts: a bad phone first, vocabulary by number and by name.
    // HANDOFF_INTERACTIVE=1 asks as on a terminal, so no pseudo-terminal tool is needed.
    let answers =
        "Maria Lopez\ncall me\n(312) 555-0142\n12 Elm St, Springfield\n1\nurgent\n1\n2\nKitchen sink drains slowly\n";
    let typed_out =
        env.as_("ana", &["capture", "--route"]).env("HANDOFF_INTERACTIVE", "1").write_stdin(answers).output().unwrap();
    assert!(typed_out.status.success(), "{}", stderr(&typed_out));
    let screen = stderr(&typed_out);
    assert!(screen.contains("urgency [1) emergency"), "{screen}");
    assert!(screen.contains("not a phone number"), "{screen}");
    let typed = String::from_utf8(typed_out.stdout).unwrap().lines().next().unwrap().to_owned();
    assert_ne!(typed, flags);
    assert_eq!(env.lead_text(&typed).replace(&typed, "ID"), env.lead_text(&flags).replace(&flags, "ID"));
    // End of input at a prompt saves nothing.
    let before = env.lead_files().len();
    let cut =
        env.as_("ana", &["capture"]).env("HANDOFF_INTERACTIVE", "1").write_stdin("Half a name\n").output().unwrap();
    assert_eq!(cut.status.code(), Some(1), "{}", stderr(&cut));
    assert_eq!(env.lead_files().len(), before);
    // The same answers on a real terminal (util-linux `script`) give the same prompts.
    let Some(tty) = on_terminal(&env, "capture --route", answers, &[]) else { return };
    assert!(tty.contains("urgency [1) emergency"), "{tty}");
    assert_eq!(env.lead_files().len(), before + 1);
}

#[test]
fn a_seed_pins_the_ids_and_a_clash_takes_the_next_one() {
    let env = TestEnv::new();
    let first = env.as_("ana", &env.capture_args(&[])).env("HANDOFF_SEED", "7").output().unwrap();
    let second = env.as_("ana", &env.capture_args(&[])).env("HANDOFF_SEED", "7").output().unwrap();
    let id =
        |o: &std::process::Output| String::from_utf8_lossy(&o.stdout).lines().next().unwrap_or_default().to_owned();
    let again = TestEnv::new();
    let replay = again.as_("ana", &again.capture_args(&[])).env("HANDOFF_SEED", "7").output().unwrap();
    assert_eq!(id(&first), id(&replay), "the same seed gives the same id in another workspace");
    assert!(id(&first).starts_with("20261124-") && id(&first).len() == 18, "{}", id(&first));
    assert_ne!(id(&first), id(&second), "a clash with an existing lead takes the next id");
    assert_eq!(env.lead_files().len(), 2);
}

#[test]
fn csv_import_takes_good_rows_and_names_bad_ones() {
    let env = TestEnv::new();
    let csv = "full_name,primary_phone,service_address,market,service_type,urgency,source,notes,owner,next_action,next_action_due\r\n\
        Ann One,312-555-0101,1 Main St,,repair,standard,web-form,Leaky tap,,,\r\n\
        Bob Two,312-555-0102,,North,install,low,ads,\"Dishwasher, new\",,,\r\n\
        Cy Three,312-555-0103,3 Main St,,repair,urgency?,phone,x,,,\r\n\
        Di Four,312-555-0104,4 Main St,,estimate,standard,phone,\"Quote for \"\"new\"\" roof\",sam,Book visit,+2h\r\n\
        Ed Five,not a phone,5 Main St,,repair,low,phone,x,,,\r\n\
        Fay Six,312-555-0106,6 Main St,,repair,low,phone,\"two\nlines\",,,\r\n\
        Gus Seven,312-555-0107,,,repair,low,phone,x,,,\r\n\
        Hal Eight,312-555-0108,8 Main St,,maintenance,emergency,phone,Boiler out,,,\r\n";
    let file = env.root().join("in.csv");
    std::fs::write(&file, csv).unwrap();
    let dry = env.run("ana", &["import", "in.csv", "--dry-run", "--json"]);
    assert_eq!(dry.status.code(), Some(1));
    assert_eq!(env.lead_files().len(), 0);
    // --strict: one bad row refuses the file, nothing is written.
    let strict = env.run("ana", &["import", "in.csv", "--strict", "--json"]);
    assert_eq!(strict.status.code(), Some(1), "{}", stderr(&strict));
    assert!(stderr(&strict).contains("nothing was imported"), "{}", stderr(&strict));
    assert!(stderr(&strict).contains("imported 0 row(s): 5 good, refused 3"), "{}", stderr(&strict));
    assert_eq!(env.lead_files().len(), 0);
    // By default the good rows are saved (exit 0) and the bad ones named.
    let out = env.run("ana", &["import", "in.csv", "--skip-bad", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stderr(&out).contains("3 row(s) refused"), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let rows =
        |key: &str| -> Vec<u64> { v[key].as_array().unwrap().iter().map(|r| r["row"].as_u64().unwrap()).collect() };
    assert_eq!(rows("imported"), [2, 3, 5, 7, 9]);
    assert_eq!(rows("refused"), [4, 6, 8]);
    assert!(v["refused"][0]["reason"].as_str().unwrap().contains("urgency?"));
    assert!(v["refused"][1]["reason"].as_str().unwrap().contains("--phone"));
    assert!(v["refused"][2]["reason"].as_str().unwrap().contains("service_address/market"));
    assert_eq!(env.lead_files().len(), 5);
    let quote = &v["imported"][2]["id"];
    let lead = env.lead_json(quote.as_str().unwrap());
    assert_eq!(lead["notes"], "Quote for \"new\" roof");
    assert_eq!(lead["owner"], "sam");
    let boiler = env.lead_json(v["imported"][4]["id"].as_str().unwrap());
    assert_eq!(boiler["owner"], "dev", "an emergency import is routed at once");
    // Export round-trips into a spreadsheet.
    let export = String::from_utf8(env.cmd(&["export"]).output().unwrap().stdout).unwrap();
    assert!(export.starts_with("id,status,created_at,captured_by,full_name,primary_phone"), "{export}");
    assert_eq!(crate_csv_rows(&export), 6);
    assert!(export.contains("\"two\nlines\""));
    let json: serde_json::Value =
        serde_json::from_slice(&env.cmd(&["export", "--json"]).output().unwrap().stdout).unwrap();
    assert_eq!(json.as_array().unwrap().len(), 5);
    assert!(json[0]["history"].is_array());
    // A clean file imports under --strict.
    let good: String = csv
        .split("\r\n")
        .enumerate()
        .filter(|(i, _)| [0, 1, 2].contains(i))
        .map(|(_, l)| l.to_owned() + "\r\n")
        .collect();
    std::fs::write(&file, good).unwrap();
    let out = env.run("ana", &["import", "in.csv", "--strict"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(env.lead_files().len(), 7);
}

/// Records in CSV text (a newline inside quotes does not end a record).
fn crate_csv_rows(text: &str) -> usize {
    let mut quoted = false;
    let mut rows = 0;
    for c in text.chars() {
        match c {
            '"' => quoted = !quoted,
            '\n' if !quoted => rows += 1,
            _ => {}
        }
    }
    rows
}

#[test]
fn html_is_refused_before_a_command_writes_anything() {
    let env = TestEnv::with_git();
    let commits = env.git(&["rev-list", "--count", "HEAD"]);
    let args = env.capture_args(&["--urgency", "emergency"]);
    let mut with_html = args.clone();
    with_html.extend(["--format", "html"]);
    let out = env.run("ana", &with_html);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("handoff stats"), "{}", stderr(&out));
    assert!(env.lead_files().is_empty(), "a refused command wrote a lead");
    let out = env.cmd(&["escalate-check", "--format", "html"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert_eq!(env.git(&["rev-list", "--count", "HEAD"]), commits, "a refused command committed");
}
