//! The desk (issue 21): queue, search, edit, reopen, import that maps columns, output for
//! an 80-column terminal, and the small defects found on a simulated office day.

use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Stdio;

use serde_json::Value;

use crate::{TestEnv, events, stderr};

/// `--now` for a command run at `hh:mm` on the test day.
fn at(hhmm: &str) -> String {
    format!("2026-11-24T{hhmm}:00-06:00")
}

fn json(out: &str) -> Value {
    serde_json::from_str(out).unwrap_or_else(|e| panic!("not JSON ({e}): {out}"))
}

/// A lead captured by ana and handed to `owner` with a next action due at `due`.
fn assigned(env: &TestEnv, extra: &[&str], owner: &str, due: &str) -> String {
    let mut args = vec!["--to", owner, "--next-action", "Call the customer", "--due", due];
    args.extend_from_slice(extra);
    env.capture(&args)
}

/// [`assigned`], then accepted by the owner.
fn accepted(env: &TestEnv, extra: &[&str], owner: &str, due: &str) -> String {
    let id = assigned(env, extra, owner, due);
    env.ok(owner, &["accept", &id, "--yes"]);
    id
}

/// Write an executable script into the workspace; returns its path.
fn script(env: &TestEnv, name: &str, body: &str) -> PathBuf {
    let path = env.root().join(name);
    std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).expect("write script");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    path
}

/// Give a captured lead another id (file name and `id:` line), as if it had been captured
/// with that id; returns the new id.
fn rename_lead(env: &TestEnv, id: &str, new_id: &str) -> String {
    let text = env.lead_text(id).replace(&format!("id: {id}"), &format!("id: {new_id}"));
    std::fs::remove_file(env.lead_path(id)).expect("remove");
    std::fs::write(env.lead_path(new_id), text).expect("write");
    new_id.to_owned()
}

// ---------------------------------------------------------------- queue

#[test]
fn queue_lists_what_waits_for_me_most_urgent_first() {
    let env = TestEnv::new();
    // sam: one to accept, one overdue, one due later today, one follow-up that has come,
    // one due tomorrow (not in the queue), one closed.
    let to_accept = assigned(&env, &["--name", "Ada Accept"], "sam", "+2h");
    let overdue = accepted(&env, &["--name", "Otto Overdue"], "sam", "+30m");
    let today = accepted(&env, &["--name", "Tia Today", "--urgency", "urgent"], "sam", "16:00");
    let follow = accepted(
        &env,
        &["--name", "Fay Follow", "--service", "estimate", "--follow-up", "today"],
        "sam",
        "2026-11-26 10:00",
    );
    let _later = accepted(&env, &["--name", "Len Later"], "sam", "2026-11-25 10:00");
    let closed = accepted(&env, &["--name", "Cy Closed"], "sam", "+10m");
    env.ok("sam", &["close", &closed, "--outcome", "booked"]);
    let _other = assigned(&env, &["--name", "Dee Dev"], "dev", "+1h");

    let out = env.ok("sam", &["queue", "--json", "--now", &at("08:00")]);
    let q = json(&out);
    assert_eq!(q["who"], "sam");
    assert_eq!(q["count"], 4);
    let items = q["items"].as_array().expect("items");
    let got: Vec<(&str, &str)> =
        items.iter().map(|i| (i["id"].as_str().unwrap(), i["reason"].as_str().unwrap())).collect();
    // Urgent first; then standard by due time: overdue 07:30, to accept 09:00, the
    // follow-up (due on the 26th) last.
    assert_eq!(
        got,
        [
            (today.as_str(), "due-today"),
            (overdue.as_str(), "overdue"),
            (to_accept.as_str(), "accept"),
            (follow.as_str(), "follow-up")
        ],
        "{out}"
    );
    for key in ["id", "reason", "owner", "status", "urgency", "full_name", "next_action", "due", "follow_up_on"] {
        assert!(items[0].get(key).is_some(), "missing key {key}: {out}");
    }

    let table = env.ok("sam", &["queue", "--now", &at("08:00")]);
    assert!(table.contains("OVERDUE") && table.contains("to accept") && table.contains("Tia Today"), "{table}");
    assert!(!table.contains("Len Later") && !table.contains("Dee Dev"), "{table}");
}

#[test]
fn queue_count_gives_a_number_and_a_status_for_a_shell_prompt() {
    let env = TestEnv::new();
    assigned(&env, &[], "sam", "+1h");
    let out = env.run("sam", &["queue", "--count"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "1\n");

    // An empty queue: "0", exit 1 like grep finding nothing, and nothing on stderr.
    let out = env.run("dev", &["queue", "--count"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "0\n");
    assert_eq!(stderr(&out), "");
    assert_eq!(
        json(&env.run("dev", &["queue", "--count", "--json"]).stdout.iter().map(|b| *b as char).collect::<String>())["count"],
        0
    );

    // Whose queue? Without --as (and without --all) it is refused.
    let out = env.cmd(&["queue"]).output().expect("run");
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("--as"), "{}", stderr(&out));
}

#[test]
fn queue_all_is_a_managers_view_by_person() {
    let env = TestEnv::new();
    let s = assigned(&env, &["--name", "For Sam"], "sam", "+1h");
    let d = assigned(&env, &["--name", "For Dev"], "dev", "+1h");
    let q =
        json(&env.cmd(&["queue", "--all", "--json"]).output().map(|o| String::from_utf8(o.stdout).unwrap()).unwrap());
    assert_eq!(q["count"], 2);
    let owners: Vec<&str> = q["items"].as_array().unwrap().iter().map(|i| i["owner"].as_str().unwrap()).collect();
    assert_eq!(owners, ["dev", "sam"]);
    assert_eq!(q["by_owner"], serde_json::json!([{"owner": "dev", "count": 1}, {"owner": "sam", "count": 1}]));
    let table = env.ok("olive", &["queue", "--all"]);
    assert!(table.contains("owner") && table.contains("For Sam") && table.contains("For Dev"), "{table}");
    let _ = (s, d);
}

// ---------------------------------------------------------------- search

#[test]
fn search_finds_a_caller_by_phone_as_they_say_it_name_address_and_notes() {
    let env = TestEnv::new();
    let maria = env.capture(&[]); // Maria Lopez, (312) 555-0142, 12 Elm St, "Kitchen sink drains slowly"
    let tom = env.capture(&[
        "--name",
        "Tom Becker",
        "--phone",
        "708-555-0199",
        "--address",
        "9 Oak Ave",
        "--notes",
        "Water heater",
    ]);
    let ids = |q: &[&str]| -> Vec<String> {
        let mut args = vec!["search"];
        args.extend_from_slice(q);
        args.push("--json");
        let v = json(&env.ok("ana", &args));
        v["results"].as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap().to_owned()).collect()
    };
    for phone in ["555-0142", "(312) 555-0142", "+1 312 555 0142", "3125550142", "312.555.0142"] {
        assert_eq!(ids(&[phone]), vec![maria.clone()], "{phone}");
    }
    assert_eq!(ids(&["lopez"]), vec![maria.clone()]);
    assert_eq!(ids(&["ELM st"]), vec![maria.clone()]);
    assert_eq!(ids(&["sink"]), vec![maria.clone()]);
    assert_eq!(ids(&["oak"]), vec![tom.clone()]);
    // Three digits are too few for a phone query: a word, found in both numbers' text.
    assert_eq!(ids(&["555"]).len(), 2);
    let v = json(&env.ok("ana", &["search", "555-0199", "--json"]));
    assert_eq!(v["results"][0]["matched"], serde_json::json!(["primary_phone"]));
    for key in ["id", "status", "owner", "full_name", "primary_phone", "service_address", "market", "created_at"] {
        assert!(v["results"][0].get(key).is_some(), "{key}");
    }

    // Closed leads only with --all or --status closed.
    env.ok("ana", &["close", &tom, "--outcome", "spam"]);
    assert!(ids(&["becker"]).is_empty());
    assert_eq!(ids(&["becker", "--all"]), vec![tom.clone()]);
    assert_eq!(ids(&["becker", "--status", "closed"]), vec![tom.clone()]);
    assert!(ids(&["lopez", "--status", "closed"]).is_empty());

    // No match is not an error; an empty query is refused.
    let out = env.run("ana", &["search", "nobody"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(stderr(&out).contains("no lead matches"), "{}", stderr(&out));
    assert_eq!(env.run("ana", &["search", "  "]).status.code(), Some(1));
}

#[test]
fn search_skips_nothing_it_should_find_in_hand_written_yaml() {
    let env = TestEnv::new();
    let id = env.capture(&["--name", "Seán O'Brien"]);
    // A hand edit in another YAML style (double quotes with an escape) still matches.
    let text = env.lead_text(&id).replace("full_name: Seán O'Brien", "full_name: \"Se\\u00e1n O'Brien\"");
    std::fs::write(env.lead_path(&id), text).unwrap();
    let v = json(&env.ok("ana", &["search", "seán", "--json"]));
    assert_eq!(v["count"], 1, "{v}");
    let v = json(&env.ok("ana", &["search", "o'brien", "--json"]));
    assert_eq!(v["count"], 1, "{v}");
}

// ---------------------------------------------------------------- edit

#[test]
fn edit_saves_a_changed_record_as_an_updated_event_with_old_and_new_values() {
    let env = TestEnv::new();
    let id = env.capture(&[]);
    let editor =
        script(&env, "ed.sh", "sed -i 's/^urgency: standard$/urgency: urgent/; s/^market:$/market: North/' \"$1\"");
    let out = env.as_("ana", &["edit", &id]).env("EDITOR", &editor).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let lead = env.lead_json(&id);
    assert_eq!(lead["urgency"], "urgent");
    assert_eq!(lead["market"], "North");
    let last = lead["history"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["event"], "updated");
    assert_eq!(last["by"], "ana");
    assert_eq!(last["changed"], serde_json::json!(["market", "urgency"]));
    assert_eq!(last["old"], serde_json::json!({"urgency": "standard"}));
    assert_eq!(last["new"], serde_json::json!({"urgency": "urgent", "market": "North"}));
    // The file is still canonical and valid; show tells the story.
    env.ok("ana", &["validate"]);
    let show = env.ok("ana", &["show", &id]);
    assert!(show.contains("urgency (standard → urgent)"), "{show}");
    // No scratch file is left behind.
    let leftovers: Vec<_> = std::fs::read_dir(env.root().join(".handoff"))
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with("edit-"))
        .collect();
    assert!(leftovers.is_empty());
}

#[test]
fn edit_reopens_the_form_with_the_errors_until_it_is_valid() {
    let env = TestEnv::new();
    let id = env.capture(&[]);
    // First save: a bad urgency and a bad phone. Second: sees the errors as comments, fixes.
    let editor = script(
        &env,
        "ed.sh",
        &format!(
            "n=$(cat {count} 2>/dev/null || echo 0); echo $((n+1)) > {count}\n\
             if [ \"$n\" = 0 ]; then sed -i 's/^urgency: standard$/urgency: soonish/; s/^primary_phone: .*/primary_phone: call me/' \"$1\"; exit 0; fi\n\
             cp \"$1\" {seen}\n\
             sed -i 's/^urgency: soonish$/urgency: urgent/; s/^primary_phone: .*/primary_phone: 312-555-0100/' \"$1\"",
            count = env.root().join("count").display(),
            seen = env.root().join("seen.yaml").display()
        ),
    );
    let before = env.lead_text(&id);
    let out = env.as_("ana", &["edit", &id]).env("EDITOR", &editor).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let seen = std::fs::read_to_string(env.root().join("seen.yaml")).unwrap();
    assert!(seen.starts_with("# ERROR: "), "{seen}");
    assert!(seen.contains("soonish") && seen.contains("emergency, active-loss"), "{seen}");
    assert!(seen.contains("# ERROR: primary_phone"), "{seen}");
    let lead = env.lead_json(&id);
    assert_eq!(lead["urgency"], "urgent");
    assert_eq!(lead["primary_phone"], "+13125550100");
    assert_ne!(env.lead_text(&id), before);
    assert_eq!(events(&lead).iter().filter(|e| *e == "updated").count(), 1);
}

#[test]
fn edit_abandoned_writes_nothing() {
    let env = TestEnv::with_git();
    let id = env.capture(&[]);
    let before = env.lead_text(&id);
    let commits = env.git(&["rev-list", "--count", "HEAD"]);
    // Emptied form, failing editor, and a form saved again unchanged after an error.
    let emptied = script(&env, "empty.sh", ": > \"$1\"");
    let failing = script(&env, "fail.sh", "exit 1");
    let stubborn = script(
        &env,
        "stubborn.sh",
        "grep -q '^# ERROR' \"$1\" || sed -i 's/^urgency: standard$/urgency: soonish/' \"$1\"",
    );
    for editor in [emptied, failing, stubborn] {
        let out = env.as_("ana", &["edit", &id]).env("EDITOR", &editor).output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{}: {}", editor.display(), stderr(&out));
        assert!(stderr(&out).contains("abandoned"), "{}", stderr(&out));
        assert_eq!(env.lead_text(&id), before);
    }
    assert_eq!(env.git(&["rev-list", "--count", "HEAD"]), commits);
    // An editor that changes nothing: exit 0, nothing written.
    let out = env.as_("ana", &["edit", &id]).env("EDITOR", "true").output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stderr(&out).contains("nothing changed"));
    assert_eq!(env.lead_text(&id), before);
}

#[test]
fn edit_corrects_the_next_action_with_old_and_new_values() {
    let env = TestEnv::new();
    let id = accepted(&env, &[], "sam", "+1h");
    let editor = script(
        &env,
        "ed.sh",
        "sed -i 's/^next_action: .*/next_action: Call after 5pm/; s/^next_action_due: .*/next_action_due: tomorrow 17:30/' \"$1\"",
    );
    let out = env.as_("sam", &["edit", &id]).env("EDITOR", &editor).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let lead = env.lead_json(&id);
    assert_eq!(lead["next_action"], "Call after 5pm");
    assert_eq!(lead["next_action_due"], "2026-11-25T17:30:00-06:00");
    let last = lead["history"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["old"]["next_action"], "Call the customer");
    assert_eq!(last["new"]["next_action_due"], "2026-11-25T17:30:00-06:00");
    // The owner, status and history are not in the form.
    let show_form = script(&env, "cat.sh", &format!("cp \"$1\" {}", env.root().join("form.yaml").display()));
    env.as_("sam", &["edit", &id]).env("EDITOR", &show_form).assert().success();
    let form = std::fs::read_to_string(env.root().join("form.yaml")).unwrap();
    assert!(
        !form.lines().any(|l| l.starts_with("owner:") || l.starts_with("status:") || l.starts_with("history:")),
        "{form}"
    );
    assert!(form.contains(&format!("lead {id} (accepted, owner sam)")), "{form}");
}

#[test]
fn edit_keeps_the_contract_of_an_owned_lead_and_refuses_closed_ones() {
    let env = TestEnv::new();
    let id = accepted(&env, &[], "sam", "+1h");
    // Clearing the notes of an accepted lead would break the handoff contract.
    let clear = script(&env, "clear.sh", "grep -q '^# ERROR' \"$1\" && exit 1; sed -i 's/^notes: .*/notes:/' \"$1\"");
    let out = env.as_("sam", &["edit", &id]).env("EDITOR", &clear).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("notes is required"), "{}", stderr(&out));
    assert_eq!(env.lead_json(&id)["notes"], "Kitchen sink drains slowly");
    env.ok("sam", &["close", &id, "--outcome", "booked"]);
    let out = env.as_("sam", &["edit", &id]).env("EDITOR", "true").output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("reopen"), "{}", stderr(&out));
}

// ---------------------------------------------------------------- reopen, closing a duplicate

#[test]
fn reopen_returns_a_lead_closed_by_mistake_to_where_it_was() {
    let env = TestEnv::with_git();
    let id = accepted(&env, &[], "sam", "+1h");
    env.ok("sam", &["close", &id, "--outcome", "lost"]);
    // Not by someone unrelated; a reason is required.
    let out = env.run("dev", &["reopen", &id, "--reason", "oops"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(env.run("sam", &["reopen", &id]).status.code(), Some(2));
    assert_eq!(env.run("sam", &["reopen", &id, "--reason", " "]).status.code(), Some(1));

    env.ok("sam", &["reopen", &id, "--reason", "Closed the wrong lead"]);
    let lead = env.lead_json(&id);
    assert_eq!(lead["status"], "accepted");
    assert_eq!(lead["owner"], "sam");
    let last = lead["history"].as_array().unwrap().last().unwrap().clone();
    assert_eq!((last["event"].as_str(), last["reason"].as_str()), (Some("reopened"), Some("Closed the wrong lead")));
    assert!(env.git(&["log", "-1", "--format=%s"]).starts_with(&format!("reopen {id}")));
    // It is open again: listed, and the owner can carry on.
    assert!(env.ok("sam", &["list"]).contains(&id[9..13]));
    env.ok("sam", &["next", &id, "--action", "Send the quote", "--due", "+1d"]);
    // Reopening an open lead is refused; a manager may reopen any closed lead.
    assert_eq!(env.run("sam", &["reopen", &id, "--reason", "again"]).status.code(), Some(1));
    env.ok("sam", &["close", &id, "--outcome", "won"]);
    env.ok("olive", &["reopen", &id, "--reason", "Customer called back"]);
    assert_eq!(env.lead_json(&id)["status"], "accepted");
    env.ok("ana", &["validate"]);
}

#[test]
fn intake_closes_a_duplicate_it_captured_while_the_lead_is_unaccepted() {
    let env = TestEnv::new();
    let dup = assigned(&env, &[], "dev", "+1h");
    // Only as a duplicate, and only its capturer.
    let out = env.run("ana", &["close", &dup, "--outcome", "lost"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("duplicate"), "{}", stderr(&out));
    assert_eq!(env.run("sam", &["close", &dup, "--outcome", "duplicate"]).status.code(), Some(1));
    env.ok("ana", &["close", &dup, "--outcome", "duplicate", "--note", "Same caller as this morning"]);
    assert_eq!(env.lead_json(&dup)["status"], "closed");
    // Once the owner has accepted, it is the owner's to close.
    let taken = accepted(&env, &[], "dev", "+1h");
    assert_eq!(env.run("ana", &["close", &taken, "--outcome", "duplicate"]).status.code(), Some(1));
}

// ---------------------------------------------------------------- import with mapping

const CRM: &str = "First Name,Last Name,Phone,Email,Address,Lead Source,Notes\r\n\
Maria,Lopez,(312) 555-0142,maria@example.com,12 Elm St,Web Form,Leaky tap\r\n\
Tom,Becker,708-555-0199,,9 Oak Ave,Referral,Repipe quote\r\n";

#[test]
fn import_recognises_a_crm_export_and_sets_constants() {
    let env = TestEnv::new();
    std::fs::write(env.root().join("crm.csv"), CRM).unwrap();
    let out = env.ok(
        "ana",
        &[
            "import",
            "crm.csv",
            "--set",
            "service_type=repair",
            "--set",
            "urgency=standard",
            "--set",
            "source=ads",
            "--json",
        ],
    );
    let v = json(&out);
    assert_eq!(v["imported"].as_array().unwrap().len(), 2, "{out}");
    let maria = v["imported"][0]["id"].as_str().unwrap().to_owned();
    let lead = env.lead_json(&maria);
    assert_eq!(lead["full_name"], "Maria Lopez");
    assert_eq!(lead["primary_phone"], "+13125550142");
    assert_eq!(lead["service_address"], "12 Elm St");
    assert_eq!(lead["source"], "ads", "--set wins over the column");
    assert_eq!(lead["notes"], "Email: maria@example.com\nLeaky tap");
    assert!(v["mapping"].as_array().unwrap().iter().any(|m| m == "full_name ← First Name + Last Name"), "{out}");

    // Without --set source, 'Web Form' is read as web-form; referral needs its context.
    let env = TestEnv::new();
    std::fs::write(env.root().join("crm.csv"), CRM).unwrap();
    let out = env.run(
        "ana",
        &["import", "crm.csv", "--set", "service_type=repair", "--set", "urgency=standard", "--skip-bad", "--json"],
    );
    let v = json(&String::from_utf8_lossy(&out.stdout));
    let maria = v["imported"][0]["id"].as_str().unwrap();
    assert_eq!(env.lead_json(maria)["source"], "web-form");
    assert_eq!(v["refused"][0]["row"], 3);
    assert!(v["refused"][0]["reason"].as_str().unwrap().contains("referral"), "{v}");
}

#[test]
fn import_map_names_columns_and_unknown_ones_are_refused_with_the_fix() {
    let env = TestEnv::new();
    let csv = "Given,Family,Tel,Created,Where\nAda,King,312-555-0177,2026-01-02,North\n";
    std::fs::write(env.root().join("x.csv"), csv).unwrap();
    let set = [
        "--set",
        "service_type=repair",
        "--set",
        "urgency=low",
        "--set",
        "source=ads",
        "--set",
        "notes=From the old CRM",
    ];
    let mut args = vec!["import", "x.csv"];
    args.extend_from_slice(&set);
    let out = env.run("ana", &args);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("`Given`") && err.contains("--map"), "{err}");
    assert!(env.lead_files().is_empty());

    let mut args = vec!["import", "x.csv", "--map", "Given+Family=full_name,Tel=primary_phone,Created=-,Where=market"];
    args.extend_from_slice(&set);
    env.ok("ana", &args);
    let files = env.lead_files();
    assert_eq!(files.len(), 1);
    let text = std::fs::read_to_string(&files[0]).unwrap();
    assert!(text.contains("full_name: Ada King") && text.contains("market: North"), "{text}");

    // A bad spec or --set is refused before anything is read.
    for bad in [&["--map", "Given"][..], &["--map", "Given=colour"], &["--set", "colour=red"], &["--map", "Nope=notes"]]
    {
        let mut args = vec!["import", "x.csv"];
        args.extend_from_slice(bad);
        assert_eq!(env.run("ana", &args).status.code(), Some(1), "{bad:?}");
    }
}

#[test]
fn import_dry_run_previews_the_records_and_the_same_phone_check() {
    let env = TestEnv::new();
    let open = env.capture(&[]); // (312) 555-0142
    let csv = format!("{CRM}Maria,L.,312 555 0142,,12 Elm St,Phone,Second call\r\n");
    std::fs::write(env.root().join("crm.csv"), csv).unwrap();
    let args =
        ["import", "crm.csv", "--set", "service_type=repair", "--set", "urgency=standard", "--set", "source=phone"];
    let mut dry = args.to_vec();
    dry.extend(["--dry-run", "--json"]);
    let out = env.run("ana", &dry);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v = json(&String::from_utf8_lossy(&out.stdout));
    assert_eq!(v["dry_run"], true);
    assert_eq!(v["imported"][0]["fields"]["full_name"], "Maria Lopez");
    assert_eq!(v["imported"][0]["fields"]["primary_phone"], "+13125550142");
    assert_eq!(v["imported"][0]["same_phone"], serde_json::json!([open.clone()]));
    assert_eq!(v["imported"][2]["same_phone"], serde_json::json!([open.clone(), "row 2"]));
    assert_eq!(env.lead_files().len(), 1, "a dry run writes nothing");
    let table = env.ok("ana", &dry[..dry.len() - 1]);
    assert!(
        table.contains("would import") && table.contains("Maria Lopez") && table.contains("same phone as"),
        "{table}"
    );

    // The real import warns as capture does, naming the open lead.
    let out = env.run("ana", &args);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stderr(&out).contains(&format!("row 2 has the same phone number as {open}")), "{}", stderr(&out));
    assert_eq!(env.lead_files().len(), 4);
}

// ---------------------------------------------------------------- 80 columns

#[test]
fn tables_show_short_unique_ids_that_resolve() {
    let env = TestEnv::new();
    let a = rename_lead(&env, &env.capture(&["--name", "Ann"]), "20261124-k3f9qx2ab");
    let b = rename_lead(&env, &env.capture(&["--name", "Ben"]), "20261124-k3f9zz7cd");
    let c = rename_lead(&env, &env.capture(&["--name", "Cal"]), "20261124-mm2wq8r4t");
    let list = env.ok("ana", &["list"]);
    for short in ["k3f9q ", "k3f9z ", "mm2w "] {
        assert!(list.contains(short), "{short:?} in\n{list}");
    }
    assert!(!list.contains("20261124-"), "{list}");
    for (short, id) in [("k3f9q", &a), ("k3f9z", &b), ("mm2w", &c)] {
        assert_eq!(env.lead_json(short)["id"], id.as_str());
    }
    // JSON and CSV keep the full id for scripts.
    assert!(env.ok("ana", &["list", "--json"]).contains(&a));
    assert!(env.ok("ana", &["list", "--format", "csv"]).contains(&a));
}

#[test]
fn log_wraps_at_80_columns() {
    let env = TestEnv::with_git();
    let id = assigned(&env, &["--notes", "A long story"], "sam", "+1h");
    env.ok(
        "sam",
        &[
            "reject",
            &id,
            "--reason",
            "The address is missing the unit number and the customer wants a callback after five",
            "--missing",
            "service_address,notes",
        ],
    );
    env.ok("ana", &["note", &id, "Called back, left a voicemail about the unit number and the preferred time window"]);
    let log = env.ok("ana", &["log", &id]);
    for line in log.lines() {
        assert!(line.chars().count() <= 80, "{} columns: {line}\n{log}", line.chars().count());
    }
    assert!(log.contains("voicemail"), "{log}");
}

#[test]
fn tables_fit_the_width_columns_gives_and_keep_short_words_whole() {
    let env = TestEnv::new();
    accepted(&env, &["--urgency", "emergency", "--name", "Maria Lopez-Hernandez"], "dev", "+10m");
    env.capture(&["--notes", "A very long note that nobody would want to read in a table anyway"]);
    let out = env.as_("ana", &["list"]).env("COLUMNS", "80").output().unwrap();
    let list = String::from_utf8(out.stdout).unwrap();
    for line in list.lines() {
        assert!(line.chars().count() <= 80, "{} columns: {line}\n{list}", line.chars().count());
    }
    // Short columns are never broken mid-word; the long text wraps instead.
    assert!(list.contains(" emergency ") && list.contains(" accepted "), "{list}");
}

#[test]
fn times_of_another_year_show_the_year() {
    let env = TestEnv::new();
    let id = accepted(&env, &[], "sam", "2027-01-05 10:00");
    let list = env.ok("ana", &["list"]);
    assert!(list.contains("Tue 05 Jan 2027 10:00"), "{list}");
    let this_year = accepted(&env, &[], "dev", "2026-11-25 10:00");
    let list = env.ok("ana", &["list", "--owner", "dev"]);
    assert!(list.contains("Wed 25 Nov 10:00") && !list.contains("2026 10:00"), "{list}");
    let show = env.ok("ana", &["show", &id]);
    assert!(show.contains("2027"), "{show}");
    let _ = this_year;
}

#[test]
fn a_due_time_in_the_past_is_refused_unless_allowed() {
    let env = TestEnv::new();
    let id = accepted(&env, &[], "sam", "+1h");
    let before = env.lead_text(&id);
    let out = env.run("sam", &["next", &id, "--action", "Call", "--due", "06:00"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("--allow-past") && stderr(&out).contains("past"), "{}", stderr(&out));
    assert_eq!(env.lead_text(&id), before);
    env.ok("sam", &["next", &id, "--action", "Call", "--due", "06:00", "--allow-past"]);
    assert_eq!(env.lead_json(&id)["next_action_due"], "2026-11-24T06:00:00-06:00");
    let out = env.capture_output(&["--to", "dev", "--next-action", "Call", "--due", "2026-11-23 09:00"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let new = env.capture(&[]);
    assert_eq!(env.run("ana", &["assign", &new, "--to", "dev", "--due", "-1h"]).status.code(), Some(1));
}

// ---------------------------------------------------------------- the smaller defects

#[test]
fn next_due_takes_tomorrow_at_a_time() {
    let env = TestEnv::new();
    let id = accepted(&env, &[], "sam", "+1h");
    env.ok("sam", &["next", &id, "--action", "Send the estimate", "--due", "tomorrow 10:00"]);
    assert_eq!(env.lead_json(&id)["next_action_due"], "2026-11-25T10:00:00-06:00");
}

#[test]
fn to_help_says_what_capture_does_without_it() {
    let env = TestEnv::new();
    let help = String::from_utf8(env.cmd(&["capture", "--help"]).output().unwrap().stdout).unwrap();
    assert!(help.contains("stays in intake"), "{help}");
    // And without --to, capture indeed leaves a standard lead in intake.
    let id = env.capture(&[]);
    assert_eq!(env.lead_json(&id)["status"], "intake");
}

#[test]
fn a_seven_digit_number_is_the_same_caller_as_the_full_number() {
    let env = TestEnv::new();
    let full = env.capture(&[]); // (312) 555-0142
    // Captured without the area code: saved, flagged, and matched with the open lead.
    let out = env.capture_output(&["--name", "M. Lopez", "--phone", "555-0142"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let local = String::from_utf8_lossy(&out.stdout).lines().next().unwrap().to_owned();
    let err = stderr(&out);
    assert!(err.contains(&format!("open lead {full}")) && err.contains("same phone number"), "{err}");
    assert!(err.contains("no area code"), "{err}");
    // And the other way round: the full number finds the local one.
    let out = env.capture_output(&["--name", "Maria L.", "--phone", "312.555.0142"]);
    assert!(stderr(&out).contains(&format!("open lead {local}")), "{}", stderr(&out));
    // Search finds both from either form.
    for q in ["555-0142", "(312) 555-0142"] {
        let v = json(&env.ok("ana", &["search", q, "--json"]));
        assert_eq!(v["count"], 3, "{q}: {v}");
    }
    // A number that is neither 7 nor 10 digits is still refused.
    assert_eq!(env.capture_output(&["--phone", "555-01423"]).status.code(), Some(1));
}

#[test]
fn list_csv_has_data_not_display_text() {
    let env = TestEnv::new();
    let id = accepted(&env, &[], "sam", "+30m");
    let out = env.ok("ana", &["list", "--format", "csv", "--now", &at("08:00")]);
    let mut lines = out.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let row: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = |name: &str| row[header.iter().position(|h| *h == name).unwrap_or_else(|| panic!("{name}: {out}"))];
    assert_eq!(col("id"), id);
    assert_eq!(col("next_action_due"), "2026-11-24T07:30:00-06:00");
    assert_eq!(col("overdue"), "true");
}

#[test]
fn a_reader_that_stops_early_is_not_an_error() {
    let env = TestEnv::new();
    let id = env.capture(&[]);
    for args in [&["man"][..], &["list"], &["completions", "bash"], &["show", &id], &["report"], &["search", "lopez"]] {
        // The reading end is closed before the command starts: every write hits EPIPE.
        let (reader, writer) = std::io::pipe().expect("pipe");
        drop(reader);
        let out = std::process::Command::new(assert_cmd::cargo::cargo_bin("handoff"))
            .args(args)
            .current_dir(env.root())
            .env_clear()
            .env("HOME", env.root())
            .env("HANDOFF_NOW", crate::NOW)
            .env("HANDOFF_USER", "ana")
            .stdout(Stdio::from(writer))
            .stderr(Stdio::piped())
            .output()
            .expect("run");
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr(&out));
    }
}

// ---------------------------------------------------------------- every example runs

/// Fake `mail`, `nano`, `vi` and `jq` so examples that mail or open an editor run offline.
fn fake_tools(env: &TestEnv) -> PathBuf {
    let bin = env.root().join("fake-bin");
    std::fs::create_dir_all(&bin).unwrap();
    for tool in ["mail", "nano", "vi", "jq"] {
        let path = bin.join(tool);
        std::fs::write(&path, "#!/bin/sh\ncat >/dev/null 2>&1 </dev/null; exit 0\n").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    bin
}

/// The example lines of `handoff [SUB] --help`: `handoff …` commands, continuation lines
/// joined.
fn help_examples(env: &TestEnv, sub: Option<&str>) -> Vec<String> {
    let mut args: Vec<&str> = sub.into_iter().collect();
    args.push("--help");
    let help = String::from_utf8(env.cmd(&args).output().unwrap().stdout).unwrap();
    let mut examples = Vec::new();
    let mut in_examples = false;
    let mut pending = String::new();
    for line in help.lines() {
        if line.starts_with("Example") {
            in_examples = true;
            continue;
        }
        if !in_examples {
            continue;
        }
        if line.trim().is_empty() && pending.is_empty() {
            in_examples = false;
            continue;
        }
        let t = line.trim();
        if pending.is_empty() && !(t.starts_with("handoff ") || t.contains(" handoff ")) {
            continue;
        }
        pending.push_str(t.trim_end_matches('\\'));
        pending.push(' ');
        if !t.ends_with('\\') {
            examples.push(std::mem::take(&mut pending));
        }
    }
    examples
}

/// The state the example lead `20261124-k3f9qx2ab` must be in for `sub`'s examples, and
/// who runs them.
fn example_setup(sub: &str) -> (&'static str, &'static str) {
    match sub {
        "accept" | "reject" => ("assigned-dev", "dev"),
        "next" | "close" | "transfer" => ("accepted-dev", "dev"),
        "reopen" => ("closed-dev", "dev"),
        "qa-record" => ("accepted-dev", "olive"),
        "update" | "assign" | "note" | "edit" => ("intake", "ana"),
        "top" => ("assigned-dev", "ana"),
        "queue" => ("assigned-sam", "olive"),
        _ => ("accepted-dev", "olive"),
    }
}

fn seed_example_lead(env: &TestEnv, state: &str) {
    let id = match state {
        "intake" => env.capture(&[]),
        "assigned-dev" => assigned(env, &[], "dev", "+1h"),
        "assigned-sam" => assigned(env, &[], "sam", "+1h"),
        _ => accepted(env, &[], "dev", "+1h"),
    };
    if state == "closed-dev" {
        env.ok("dev", &["close", &id, "--outcome", "lost"]);
    }
    rename_lead(env, &id, "20261124-k3f9qx2ab");
}

fn write_example_files(dir: &Path) {
    if let Ok(rules) = std::fs::read_to_string(dir.join("rules.yaml")) {
        std::fs::write(dir.join("proposed.yaml"), rules).unwrap();
    }
    let web = "full_name,primary_phone,service_address,service_type,urgency,source,notes\n\
               Ada King,312-555-0177,1 Main St,repair,standard,web-form,Dripping tap\n";
    std::fs::write(dir.join("web-leads.csv"), web).unwrap();
    std::fs::write(dir.join("crm.csv"), CRM.replace("Referral", "Phone")).unwrap();
    std::fs::write(
        dir.join("export.csv"),
        "Given,Family,Tel,Created,Address,Notes\nAda,King,312-555-0177,2026-01-02,1 Main St,Dripping tap\n",
    )
    .unwrap();
}

#[test]
fn every_help_example_runs() {
    let probe = TestEnv::new();
    let help = String::from_utf8(probe.cmd(&["--help"]).output().unwrap().stdout).unwrap();
    let subs: Vec<String> = help
        .lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        .filter_map(|l| l.split_whitespace().next().map(str::to_owned))
        .filter(|s| s != "help")
        .collect();
    assert!(subs.contains(&"queue".to_owned()) && subs.contains(&"search".to_owned()), "{subs:?}");
    let mut ran = 0;
    for sub in subs.iter().map(String::as_str).chain(["top"]) {
        if ["sync", "clone", "status"].contains(&sub) {
            continue; // they need a shared remote and clones: tests/cli/sync.rs runs them
        }
        let examples = help_examples(&probe, if sub == "top" { None } else { Some(sub) });
        for example in examples {
            let env = if sub == "init" { TestEnv::bare() } else { TestEnv::new() };
            let (state, who) = example_setup(sub);
            if sub != "init" && sub != "capture" {
                seed_example_lead(&env, state);
            }
            write_example_files(env.root());
            let bin = fake_tools(&env);
            // `validate && git push`: the push needs a remote this test does not have.
            let command = example.split(" && git push").next().unwrap_or(&example).to_owned();
            let path = format!("{}:{}", bin.display(), crate::path_with_handoff().to_string_lossy());
            let out = std::process::Command::new("sh")
                .arg("-c")
                .arg(&command)
                .current_dir(env.root())
                .env_clear()
                .env("PATH", path)
                .env("HOME", env.root())
                .env("NO_COLOR", "1")
                .env("HANDOFF_NOW", crate::NOW)
                .env("HANDOFF_USER", who)
                .env("GIT_CONFIG_NOSYSTEM", "1")
                .env("GIT_AUTHOR_NAME", "Test")
                .env("GIT_AUTHOR_EMAIL", "t@example.com")
                .env("GIT_COMMITTER_NAME", "Test")
                .env("GIT_COMMITTER_EMAIL", "t@example.com")
                .stdin(Stdio::null())
                .output()
                .expect("sh");
            if example.contains("asks y/N") {
                // Without a terminal it cannot ask: refused, pointing to --yes.
                assert_eq!(out.status.code(), Some(1), "{command}: {}", stderr(&out));
                assert!(stderr(&out).contains("--yes"), "{command}: {}", stderr(&out));
                ran += 1;
                continue;
            }
            assert!(
                out.status.success(),
                "`{sub} --help` example failed ({:?}): {command}\n{}{}",
                out.status.code(),
                String::from_utf8_lossy(&out.stdout),
                stderr(&out)
            );
            ran += 1;
        }
    }
    assert!(ran >= 50, "only {ran} examples found");
}

/// The ```sh blocks of README.md under `heading` (up to the next `## `), joined.
fn readme_block(heading: &str) -> String {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).expect("README");
    let section = readme.split(&format!("{heading}\n")).nth(1).unwrap_or_else(|| panic!("README has no {heading}"));
    let section = section.split("\n## ").next().unwrap_or(section);
    let blocks: Vec<&str> =
        section.split("```sh\n").skip(1).map(|b| b.split("```").next().expect("closed block")).collect();
    assert!(!blocks.is_empty(), "no sh block under {heading}");
    blocks.concat()
}

/// Every `## ` heading of README.md that holds a ```sh block.
fn readme_sections_with_sh() -> Vec<String> {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).expect("README");
    readme
        .split("\n## ")
        .skip(1)
        .filter(|s| s.contains("```sh\n"))
        .map(|s| format!("## {}", s.lines().next().unwrap_or_default()))
        .collect()
}

fn run_shell(env: &TestEnv, script_text: &str) -> std::process::Output {
    let mut child = std::process::Command::new("bash")
        .arg("-euo")
        .arg("pipefail")
        .current_dir(env.root())
        .env_clear()
        .env("PATH", crate::path_with_handoff())
        .env("HOME", env.root())
        .env("NO_COLOR", "1")
        .env("HANDOFF_NOW", crate::NOW)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_COMMITTER_NAME", "Test")
        .env("GIT_COMMITTER_EMAIL", "t@example.com")
        .env("EDITOR", "true")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("bash");
    child.stdin.take().expect("stdin").write_all(script_text.as_bytes()).expect("write");
    child.wait_with_output().expect("wait")
}

#[test]
fn readme_install_lines_work_in_a_fresh_home() {
    let env = TestEnv::bare();
    let block = readme_block("## Install");
    let lines: String = block.lines().filter(|l| !l.starts_with("cargo install")).map(|l| format!("{l}\n")).collect();
    assert!(lines.contains("mkdir -p"), "{lines}");
    let out = run_shell(&env, &lines);
    assert!(out.status.success(), "{lines}\n{}", stderr(&out));
    for file in
        [".local/share/bash-completion/completions/handoff", ".zfunc/_handoff", ".local/share/man/man1/handoff.1"]
    {
        let len = std::fs::metadata(env.root().join(file)).map(|m| m.len()).unwrap_or(0);
        assert!(len > 100, "{file} missing or empty");
    }
}

#[test]
fn readme_first_session_runs() {
    let env = TestEnv::bare();
    let block = readme_block("## A first session");
    let out = run_shell(&env, &block);
    assert!(out.status.success(), "{block}\n{}{}", String::from_utf8_lossy(&out.stdout), stderr(&out));
    assert!(env.root().join("leads/rules.yaml").is_file());
}

#[test]
fn readme_desk_and_qa_blocks_run() {
    // Which sections are run where: a new section with a sh block must be placed here.
    let sections = readme_sections_with_sh();
    let in_workspace = [
        "## The desk: your queue, search, corrections",
        "## Weekly QA",
        "## How the team is doing: stats and simulate",
        "## Who is on duty: on-call schedules, holidays and away periods",
    ];
    let elsewhere = [
        "## Install",                                     // readme_install_lines_work_in_a_fresh_home
        "## A first session",                             // readme_first_session_runs
        "## Git: the audit log, shared between machines", // needs a server: tests/cli/git.rs does it
        "## A team on several machines",                  // needs a server: tests/cli/sync.rs does it
    ];
    for s in &sections {
        assert!(
            in_workspace.contains(&s.as_str()) || elsewhere.contains(&s.as_str()),
            "README section {s} is run by no test"
        );
    }
    let env = TestEnv::new();
    let id = accepted(&env, &[], "sam", "16:00");
    rename_lead(&env, &id, "20261124-k3f9qx2ab");
    std::fs::write(env.root().join("crm-export.csv"), CRM.replace("Referral", "Phone")).unwrap();
    std::fs::write(
        env.root().join("leads.csv"),
        "Given,Family,Tel,Created,Address,Notes\nAda,King,312-555-0177,2026-01-02,1 Main St,Dripping tap\n",
    )
    .unwrap();
    for heading in in_workspace {
        let block = readme_block(heading);
        let out = run_shell(&env, &block);
        assert!(out.status.success(), "{heading}:\n{block}\n{}{}", String::from_utf8_lossy(&out.stdout), stderr(&out));
    }
    let lead = env.lead_json("k3f9");
    assert_eq!(events(&lead).iter().filter(|e| *e == "reopened").count(), 1);
    assert_eq!(events(&lead).last().map(String::as_str), Some("qa-review"));
    assert_eq!(env.lead_files().len(), 2, "the import block writes one lead");
}
