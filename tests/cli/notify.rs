//! `handoff notify`: events addressed to people, delivered over real channels on loopback
//! (an HTTP server in the test, a fake sendmail that records mail, a command), once each.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::{TestEnv, stderr};

/// How a test webhook answers.
#[derive(Clone, Copy)]
pub enum Answer {
    Ok,
    Fail,
    /// Read the request, then answer nothing for this long.
    Hang(Duration),
}

/// A webhook receiver on 127.0.0.1: records each POSTed body.
pub struct Hook {
    pub url: String,
    bodies: Arc<Mutex<Vec<String>>>,
}

impl Hook {
    pub fn start(answer: Answer) -> Hook {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let url = format!("http://{}/hook", listener.local_addr().expect("addr"));
        let bodies = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&bodies);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let seen = Arc::clone(&seen);
                std::thread::spawn(move || {
                    let Some(body) = read_request(&mut stream) else { return };
                    seen.lock().expect("lock").push(body);
                    let status = match answer {
                        Answer::Ok => "200 OK",
                        Answer::Fail => "500 Internal Server Error",
                        Answer::Hang(d) => {
                            std::thread::sleep(d);
                            "200 OK"
                        }
                    };
                    let _ = write!(stream, "HTTP/1.1 {status}\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok");
                });
            }
        });
        Hook { url, bodies }
    }

    /// The JSON bodies received so far.
    pub fn received(&self) -> Vec<Value> {
        self.bodies.lock().expect("lock").iter().map(|b| serde_json::from_str(b).expect("JSON body")).collect()
    }
}

fn read_request(stream: &mut std::net::TcpStream) -> Option<String> {
    let mut reader = BufReader::new(stream.try_clone().ok()?);
    let mut length = 0;
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    if !line.starts_with("POST ") {
        return None;
    }
    loop {
        line.clear();
        reader.read_line(&mut line).ok()?;
        let l = line.trim_end();
        if l.is_empty() {
            break;
        }
        if let Some((k, v)) = l.split_once(':')
            && k.eq_ignore_ascii_case("content-length")
        {
            length = v.trim().parse().ok()?;
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    String::from_utf8(body).ok()
}

/// A fake sendmail that appends each message to `mail.txt` in the workspace, then `----`.
pub fn fake_sendmail(env: &TestEnv) -> String {
    let path = env.root().join("fake-sendmail");
    let mbox = env.root().join("mail.txt");
    std::fs::write(
        &path,
        format!(
            "#!/bin/sh\n[ \"$1\" = -t ] || exit 64\ncat >> '{}'\necho ---- >> '{}'\n",
            mbox.display(),
            mbox.display()
        ),
    )
    .expect("write script");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    format!("{} -t", path.display())
}

/// The mails the fake sendmail received.
pub fn mails(env: &TestEnv) -> Vec<String> {
    let text = std::fs::read_to_string(env.root().join("mail.txt")).unwrap_or_default();
    text.split("----\n").filter(|m| !m.trim().is_empty()).map(str::to_owned).collect()
}

/// rules.yaml without its `notifications:` section (the last one in the default file).
pub fn rules_without_notifications(env: &TestEnv) -> String {
    let rules = env.rules();
    match rules.find("\nnotifications:\n") {
        Some(at) => rules[..=at].to_owned(),
        None => rules,
    }
}

/// Set the `notifications:` section (YAML lines, indented two spaces under it).
pub fn add_notifications(env: &TestEnv, body: &str) {
    env.set_rules(&format!("{}\nnotifications:\n{body}", rules_without_notifications(env)));
}

/// Give a staff member contacts (YAML lines under `contacts:`, four-space indented).
pub fn add_contacts(env: &TestEnv, who: &str, roles_line: &str, contacts: &str) {
    let rules = env.rules();
    let anchor = format!("  - id: {who}\n");
    let at = rules.find(&anchor).expect("staff entry");
    let roles_at = at + rules[at..].find(roles_line).expect("roles line") + roles_line.len();
    env.set_rules(&format!("{}    contacts:\n{contacts}{}", &rules[..roles_at], &rules[roles_at..]));
}

fn notify(env: &TestEnv, args: &[&str]) -> (i32, Value, String) {
    let mut argv = vec!["notify", "--json"];
    argv.extend(args);
    let out = env.run("ana", &argv);
    let json = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    (out.status.code().unwrap_or(-1), json, stderr(&out))
}

#[test]
fn a_handoff_tells_the_new_owner_once_by_webhook_and_mail() {
    let env = TestEnv::new();
    let hook = Hook::start(Answer::Ok);
    let sendmail = fake_sendmail(&env);
    add_notifications(
        &env,
        &format!(
            "  channels:\n    - name: office-chat\n      type: webhook\n      url: {}\n    - name: mail\n      type: email\n      sendmail: {sendmail}\n      from: handoff@example.com\n",
            hook.url
        ),
    );
    let id = env.capture(&["--to", "sam", "--next-action", "Call back", "--due", "+1h"]);

    let (code, out, err) = notify(&env, &[]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out["delivered"].as_array().map(Vec::len), Some(2), "{out}");
    let got = hook.received();
    assert_eq!(got.len(), 1);
    let p = &got[0];
    assert_eq!(p["event"], "assigned");
    assert_eq!(p["id"], id.as_str());
    assert_eq!(p["to"], "sam");
    assert_eq!(p["customer"]["name"], "Maria Lopez");
    assert_eq!(p["customer"]["phone"], "+13125550142");
    assert_eq!(p["customer"]["address"], "12 Elm St, Springfield");
    assert_eq!(p["urgency"], "standard");
    assert_eq!(p["next_action"], "Call back");
    assert_eq!(p["due"], "2026-11-24T08:00:00-06:00");
    let key = p["key"].as_str().expect("key");
    assert!(key.starts_with(&format!("{id}/20261124T130000Z/assigned/sam")), "{key}");
    assert!(
        p["text"].as_str().is_some_and(|t| t.contains("Maria Lopez") && t.contains("assigned to you by ana")),
        "{p}"
    );

    let mail = mails(&env);
    assert_eq!(mail.len(), 1, "{mail:?}");
    assert!(mail[0].contains("To: sam@example.com\n"), "{}", mail[0]);
    assert!(mail[0].contains(&format!("X-Handoff-Key: {key}\n")), "{}", mail[0]);
    assert!(mail[0].contains("Phone: +13125550142"), "{}", mail[0]);

    // A second run, and a later one, send nothing again.
    let (code, out, _) = notify(&env, &[]);
    assert_eq!((code, out["delivered"].as_array().map(Vec::len)), (0, Some(0)), "{out}");
    let mut env = env;
    env.now = "2026-11-24T07:30:00-06:00".into();
    let (code, _, _) = notify(&env, &[]);
    assert_eq!(code, 0);
    assert_eq!(hook.received().len(), 1);
    assert_eq!(mails(&env).len(), 1);
    // The payload never reaches the ledger: it holds keys, not customers.
    let ledger = std::fs::read_to_string(env.root().join(".handoff/notify/delivered.tsv")).expect("ledger");
    assert!(ledger.contains(key) && !ledger.contains("Maria") && !ledger.contains("555"), "{ledger}");
}

#[test]
fn failing_and_hanging_webhooks_exit_3_and_are_retried_with_backoff() {
    let mut env = TestEnv::new();
    let failing = Hook::start(Answer::Fail);
    let hanging = Hook::start(Answer::Hang(Duration::from_secs(20)));
    let good = Hook::start(Answer::Ok);
    let rules_before = rules_without_notifications(&env);
    let channels = |fail: &str, hang: &str| {
        format!(
            "  channels:\n    - name: flaky\n      type: webhook\n      url: {fail}\n    - name: slow\n      type: webhook\n      url: {hang}\n      timeout_seconds: 1\n    - name: good\n      type: webhook\n      url: {}\n",
            good.url
        )
    };
    add_notifications(&env, &channels(&failing.url, &hanging.url));
    let id = env.capture(&["--to", "sam"]);

    let started = Instant::now();
    let (code, out, err) = notify(&env, &[]);
    assert_eq!(code, 3, "{out}\n{err}");
    assert!(started.elapsed() < Duration::from_secs(10), "the hanging webhook was cut off by its timeout");
    assert!(err.contains("2 deliveries failed") && err.contains("notify --pending"), "{err}");
    assert!(err.contains("HTTP 500"), "{err}");
    assert_eq!(out["delivered"].as_array().map(Vec::len), Some(1), "{out}");
    assert_eq!(out["failed"].as_array().map(Vec::len), Some(2), "{out}");
    assert_eq!((failing.received().len(), good.received().len()), (1, 1));

    // --pending lists both, waiting to retry a minute later; nothing is sent.
    let (code, out, _) = notify(&env, &["--pending"]);
    assert_eq!(code, 0);
    let pending = out["pending"].as_array().expect("pending");
    assert_eq!(pending.len(), 2, "{out}");
    for p in pending {
        assert_eq!(p["state"], "retry", "{p}");
        assert_eq!(p["id"], id.as_str());
        assert_eq!(p["attempts"], 1);
        assert_eq!(p["next_try"], "2026-11-24T07:01:00-06:00");
    }
    assert_eq!(failing.received().len(), 1);

    // Within the backoff nothing is tried; after it, both go again and fail again (2 min next).
    env.now = "2026-11-24T07:00:30-06:00".into();
    assert_eq!(notify(&env, &[]).0, 0);
    assert_eq!(failing.received().len(), 1);
    env.now = "2026-11-24T07:01:00-06:00".into();
    let (code, out, _) = notify(&env, &[]);
    assert_eq!(code, 3);
    assert_eq!(failing.received().len(), 2);
    assert_eq!(out["pending"][0]["next_try"], "2026-11-24T07:03:00-06:00", "{out}");

    // The receivers come back: the next due run delivers, once, and nothing is pending.
    env.set_rules(&format!(
        "{rules_before}\nnotifications:\n{}",
        channels(&good.url, &good.url).replace("timeout_seconds: 1", "timeout_seconds: 5")
    ));
    env.now = "2026-11-24T07:03:00-06:00".into();
    let (code, out, err) = notify(&env, &[]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out["delivered"].as_array().map(Vec::len), Some(2), "{out}");
    assert_eq!(good.received().len(), 3);
    let keys: Vec<Value> = good.received().iter().map(|p| p["key"].clone()).collect();
    assert!(keys.iter().all(|k| *k == keys[0]), "one event, one key on every channel: {keys:?}");
    let (_, out, _) = notify(&env, &["--pending"]);
    assert_eq!(out["pending"], Value::Array(vec![]));
}

#[test]
fn a_rejection_goes_back_to_whoever_assigned_and_a_transfer_to_the_new_owner() {
    let mut env = TestEnv::new();
    let hook = Hook::start(Answer::Ok);
    add_notifications(
        &env,
        &format!(
            "  tell_assigner: [accepted]\n  channels:\n    - name: chat\n      type: webhook\n      url: {}\n",
            hook.url
        ),
    );
    let id = env.capture(&[]);
    env.ok("olive", &["assign", &id, "--to", "dev"]);
    env.now = "2026-11-24T07:05:00-06:00".into();
    env.ok("dev", &["reject", &id, "--reason", "No address on file", "--missing", "service_address"]);
    let events = |hook: &Hook| -> Vec<(String, String)> {
        hook.received()
            .iter()
            .map(|p| (p["event"].as_str().unwrap_or("").to_owned(), p["to"].as_str().unwrap_or("").to_owned()))
            .collect()
    };
    // dev's handoff was answered (rejected) before the run: no longer news for dev; the
    // rejection goes to olive, who assigned it.
    assert_eq!(notify(&env, &[]).0, 0);
    assert_eq!(events(&hook), [("rejected".into(), "olive".into())]);
    env.now = "2026-11-24T07:10:00-06:00".into();
    env.ok("olive", &["assign", &id, "--to", "sam"]);
    env.ok("sam", &["accept", &id, "--yes"]);
    env.ok("sam", &["transfer", &id, "--to", "dev", "--reason", "Needs a plumber"]);
    let (code, _, err) = notify(&env, &[]);
    assert_eq!(code, 0, "{err}");
    // sam accepted before the run (no news for sam); olive hears of the acceptance, dev of
    // the transfer; the rejection is not sent again.
    assert_eq!(
        events(&hook),
        [
            ("rejected".into(), "olive".into()),
            ("transferred".into(), "dev".into()),
            ("accepted".into(), "olive".into())
        ]
    );
    let rejected = &hook.received()[0];
    assert!(rejected["reason"].as_str().is_some_and(|r| r.contains("No address")), "{rejected}");
}

#[test]
fn quiet_hours_hold_a_standard_lead_but_not_an_emergency() {
    let mut env = TestEnv::new();
    let hook = Hook::start(Answer::Ok);
    add_contacts(
        &env,
        "sam",
        "    roles: [sales]\n",
        "      phone: \"+13125550100\"\n      quiet_hours: {from: \"21:00\", until: \"07:00\"}\n",
    );
    add_notifications(&env, &format!("  channels:\n    - name: chat\n      type: webhook\n      url: {}\n", hook.url));
    env.now = "2026-11-24T23:00:00-06:00".into();
    env.capture(&["--to", "sam"]);
    let urgent = env.capture(&["--to", "sam", "--urgency", "emergency", "--name", "Night Caller"]);
    let (code, out, err) = notify(&env, &[]);
    assert_eq!(code, 0, "{err}");
    let got = hook.received();
    assert_eq!(got.len(), 1, "{out}");
    assert_eq!(got[0]["id"], urgent.as_str());
    let pending = &out["pending"];
    assert_eq!(pending[0]["state"], "quiet-hours", "{out}");
    assert_eq!(pending[0]["until"], "2026-11-25T07:00:00-06:00");
    env.now = "2026-11-25T07:00:00-06:00".into();
    let (code, out, _) = notify(&env, &[]);
    assert_eq!(code, 0);
    assert_eq!(hook.received().len(), 2, "{out}");
}

#[test]
fn a_run_killed_mid_delivery_loses_nothing_and_repeats_nothing_delivered() {
    let env = TestEnv::new();
    let hook = Hook::start(Answer::Ok);
    let script = env.root().join("pager");
    let marker = env.root().join("paged.jsonl");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\nif [ -e '{0}.slow' ]; then sleep 20; exit 75; fi\ncat >> '{0}'\necho >> '{0}'\n",
            marker.display()
        ),
    )
    .expect("script");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    std::fs::write(format!("{}.slow", marker.display()), "").expect("slow marker");
    add_notifications(
        &env,
        &format!(
            "  channels:\n    - name: chat\n      type: webhook\n      url: {}\n    - name: pager\n      type: command\n      command: {}\n      timeout_seconds: 60\n",
            hook.url,
            script.display()
        ),
    );
    env.capture(&["--to", "sam"]);
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("handoff"));
    child
        .current_dir(env.root())
        .env_clear()
        .env("PATH", crate::path_with_handoff())
        .env("HANDOFF_NOW", &env.now)
        .args(["notify"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    let mut running = child.spawn().expect("spawn");
    let deadline = Instant::now() + Duration::from_secs(20);
    while hook.received().is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(hook.received().len(), 1, "the webhook went first");
    std::thread::sleep(Duration::from_millis(200));
    running.kill().expect("kill");
    running.wait().expect("reap");

    // The pager never got it; the next run sends it there, and not again to the chat.
    std::fs::remove_file(format!("{}.slow", marker.display())).expect("fast again");
    let (code, out, err) = notify(&env, &[]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out["delivered"].as_array().map(Vec::len), Some(1), "{out}");
    assert_eq!(out["delivered"][0]["channel"], "pager");
    assert_eq!(hook.received().len(), 1);
    let paged = std::fs::read_to_string(&marker).expect("paged");
    assert_eq!(paged.lines().filter(|l| !l.is_empty()).count(), 1, "{paged}");
}

#[test]
fn bad_notification_settings_are_named_with_their_line() {
    let env = TestEnv::new();
    add_notifications(
        &env,
        "  channels:\n    - name: chat\n      type: webhook\n      url: hooks.example.com/x\n    - name: pager\n      type: carrier-pigeon\n",
    );
    let out = env.run("ana", &["notify"]);
    assert_eq!(out.status.code(), Some(3));
    let err = stderr(&out);
    assert!(err.contains("carrier-pigeon") && err.contains("rules.yaml:"), "{err}");
    let env = TestEnv::new();
    add_notifications(&env, "  channels:\n    - name: chat\n      type: webhook\n      url: hooks.example.com/x\n");
    let out = env.run("ana", &["notify"]);
    assert_eq!(out.status.code(), Some(3));
    let err = stderr(&out);
    assert!(err.contains("not an http:// or https:// URL"), "{err}");
    let line = env.rules().lines().position(|l| l.contains("url: hooks.example.com")).expect("line") + 1;
    assert!(err.contains(&format!("rules.yaml:{line}:")), "{err}");
}

/// `escalate-check` then `notify`, as cron runs them, at `now`; `notify`'s exit code.
fn cron_minute(env: &TestEnv) -> i32 {
    let out = env.run("ana", &["escalate-check", "--json"]);
    assert!(out.status.success(), "escalate-check at {}: {}", env.now, stderr(&out));
    env.run("ana", &["notify", "--json"]).status.code().unwrap_or(-1)
}

#[test]
fn a_saturday_night_emergency_climbs_and_is_rerouted_each_step_told_once() {
    let mut env = TestEnv::new();
    let hook = Hook::start(Answer::Ok);
    let sendmail = fake_sendmail(&env);
    // Everyone sleeps at night; an emergency overrides quiet hours (the default override).
    for (who, roles) in [("dev", "    roles: [dispatch, on-call]\n"), ("olive", "    roles: [office-lead, manager]\n")]
    {
        add_contacts(&env, who, roles, "      quiet_hours: {from: \"22:00\", until: \"07:00\"}\n");
    }
    let slow_mail = env.root().join("mail.slow");
    add_notifications(
        &env,
        &format!(
            "  channels:\n    - name: office-chat\n      type: webhook\n      url: {}\n    - name: mail\n      type: email\n      sendmail: \"if [ -e '{}' ]; then sleep 20; exit 75; fi; {sendmail}\"\n      timeout_seconds: 60\n",
            hook.url,
            slow_mail.display()
        ),
    );
    let minute = |m: u32| format!("2026-11-28T02:{m:02}:00-06:00");
    env.now = minute(0);
    let id = env.capture(&[
        "--urgency",
        "emergency",
        "--name",
        "Night Caller",
        "--notes",
        "Water pouring through the ceiling",
    ]);

    for m in 0..=36 {
        env.now = minute(m);
        if m == 15 {
            // The 02:15 run is killed while the mail server hangs: the chat got olive's
            // message, the mail did not go. The next minute's run sends the mail, once.
            assert_eq!(env.run("ana", &["escalate-check"]).status.code(), Some(0));
            std::fs::write(&slow_mail, "").expect("slow mail");
            let mut run = std::process::Command::new(assert_cmd::cargo::cargo_bin("handoff"))
                .current_dir(env.root())
                .env_clear()
                .env("PATH", crate::path_with_handoff())
                .env("HANDOFF_NOW", &env.now)
                .arg("notify")
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .spawn()
                .expect("spawn notify");
            let deadline = Instant::now() + Duration::from_secs(20);
            while hook.received().len() < 3 && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(50));
            }
            std::thread::sleep(Duration::from_millis(300));
            run.kill().expect("kill");
            run.wait().expect("reap");
            std::fs::remove_file(&slow_mail).expect("mail back");
            continue;
        }
        assert_eq!(cron_minute(&env), 0, "notify at 02:{m:02}");
    }

    // What the chat saw, in order: each step once, the re-route collapsed with its alert.
    let seen: Vec<(String, String, Vec<String>)> = hook
        .received()
        .iter()
        .map(|p| {
            let events = p["events"]
                .as_array()
                .expect("events")
                .iter()
                .map(|e| e["event"].as_str().unwrap_or("").to_owned())
                .collect();
            (p["at"].as_str().unwrap_or("").to_owned(), p["to"].as_str().unwrap_or("").to_owned(), events)
        })
        .collect();
    let step = |m: u32, to: &str, events: &[&str]| {
        (minute(m), to.to_owned(), events.iter().map(|e| (*e).to_owned()).collect::<Vec<_>>())
    };
    assert_eq!(
        seen,
        [
            step(0, "dev", &["assigned"]),                 // on-call told at 0 min (the handoff)
            step(5, "dev", &["escalated"]),                // reminded at 5
            step(15, "olive", &["escalated"]),             // the manager at 15
            step(30, "olive", &["escalated", "assigned"]), // re-routed at 30, in one message
            step(35, "dev", &["escalated"]),               // olive has not accepted: on-call told
        ],
        "{:#?}",
        hook.received()
    );
    let keys: std::collections::BTreeSet<String> =
        hook.received().iter().map(|p| p["key"].as_str().unwrap_or("").to_owned()).collect();
    assert_eq!(keys.len(), 5, "no key twice");
    for p in hook.received() {
        assert_eq!(p["customer"]["name"], "Night Caller");
        assert_eq!(p["urgency"], "emergency");
    }
    // The mail went to the same people the same number of times, the killed run's included.
    let to: Vec<String> =
        mails(&env).iter().filter_map(|m| m.lines().find_map(|l| l.strip_prefix("To: ")).map(str::to_owned)).collect();
    assert_eq!(to, ["dev@example.com", "dev@example.com", "olive@example.com", "olive@example.com", "dev@example.com"]);

    // The history records each step, the re-route as an assignment by system with its reason.
    let lead = env.lead_json(&id);
    let history = lead["history"].as_array().expect("history");
    let steps: Vec<(String, String, String)> = history
        .iter()
        .filter(|e| e["by"] == "system")
        .map(|e| {
            (
                e["event"].as_str().unwrap_or("").to_owned(),
                e["rule"].as_str().unwrap_or("").to_owned(),
                e["to"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    let s = |e: &str, r: &str, t: &str| (e.to_owned(), r.to_owned(), t.to_owned());
    assert_eq!(
        steps,
        [
            s("escalated", "hot-unaccepted", "dev"),
            s("escalated", "hot-climb", "olive"),
            s("escalated", "hot-climb/2", "olive"),
            s("assigned", "hot-climb/2", "olive"),
            s("escalated", "hot-unaccepted", "dev"),
        ]
    );
    let reroute = history.iter().find(|e| e["event"] == "assigned" && e["by"] == "system").expect("re-route");
    assert_eq!(reroute["from"], "dev");
    assert!(reroute["reason"].as_str().is_some_and(|r| r.starts_with("re-routed from dev to olive")), "{reroute}");
    assert_eq!(lead["owner"], "olive");
}

#[test]
fn an_event_pulled_from_another_clone_is_delivered_once_by_the_machine_that_runs_notify() {
    let mut office = TestEnv::with_git();
    let hook = Hook::start(Answer::Ok);
    add_notifications(
        &office,
        &format!("  channels:\n    - name: chat\n      type: webhook\n      url: {}\n", hook.url),
    );
    office.git(&["commit", "--quiet", "-am", "notifications"]);
    let bare = tempfile::tempdir().expect("bare");
    crate::git_in(bare.path(), &["init", "--quiet", "--bare", "-b", "main"]);
    office.git(&["remote", "add", "origin", bare.path().to_str().expect("path")]);
    office.git(&["push", "--quiet", "-u", "origin", "main"]);
    let laptop_dir = tempfile::tempdir().expect("laptop");
    crate::git_in(laptop_dir.path(), &["clone", "--quiet", bare.path().to_str().expect("path"), "ws"]);
    let laptop = laptop_dir.path().join("ws");
    crate::git_in(&laptop, &["config", "user.name", "Laptop"]);
    crate::git_in(&laptop, &["config", "user.email", "laptop@example.com"]);

    // Intake on the laptop hands a lead to sam and pushes; the laptop runs no deliveries.
    let out = std::process::Command::new(assert_cmd::cargo::cargo_bin("handoff"))
        .current_dir(&laptop)
        .env_clear()
        .env("PATH", crate::path_with_handoff())
        .env("HOME", &laptop)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HANDOFF_USER", "ana")
        .env("HANDOFF_NOW", "2026-11-24T07:05:00-06:00")
        .args(office.capture_args(&["--to", "sam", "--name", "Laptop Caller"]))
        .output()
        .expect("capture on the laptop");
    assert!(out.status.success(), "{}", stderr(&out));
    crate::git_in(&laptop, &["push", "--quiet", "origin", "main"]);

    office.now = "2026-11-24T07:06:00-06:00".into();
    assert_eq!(notify(&office, &[]).0, 0);
    assert!(hook.received().is_empty(), "not pulled yet");
    office.git(&["pull", "--quiet", "--no-rebase", "origin", "main"]);
    office.now = "2026-11-24T07:07:00-06:00".into();
    let (code, out, err) = notify(&office, &[]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out["delivered"].as_array().map(Vec::len), Some(1), "{out}");
    assert_eq!(hook.received()[0]["customer"]["name"], "Laptop Caller");
    assert_eq!(hook.received()[0]["at"], "2026-11-24T07:05:00-06:00");
    office.now = "2026-11-24T07:08:00-06:00".into();
    notify(&office, &[]);
    assert_eq!(hook.received().len(), 1, "delivered once");
    // Deliveries stay local: nothing of them is tracked or left to commit.
    assert!(!office.git(&["ls-files"]).contains(".handoff"));
    assert_eq!(office.git(&["status", "--porcelain"]), "");
}
