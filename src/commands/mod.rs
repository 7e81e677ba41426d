//! The verbs of `handoff`: one file per subcommand, dispatched from one `match`.

use anyhow::Result;
use clap::Subcommand;

use crate::context::{Ctx, Options};
use crate::error::Failure;
use crate::error::workspace;
use crate::output::Format;
use crate::store::ScanError;

mod accept;
mod assign;
mod away;
mod back;
mod bench_generate;
mod calendar;
mod capture;
mod clone;
mod close;
mod completions;
mod edit;
mod escalate_check;
mod export;
mod import;
mod init;
mod list;
mod log;
mod man;
mod merge_driver;
mod migrate;
mod next;
mod note;
mod notify;
pub(crate) mod oncall;
mod oncall_override;
mod qa_record;
mod qa_report;
mod qa_sample;
mod queue;
mod record;
mod reject;
mod reopen;
mod report;
mod search;
mod show;
mod simulate;
mod stats;
mod status;
mod sync;
mod transfer;
mod update;
mod validate;

#[derive(Debug, Subcommand)]
pub enum Command {
    Init(init::InitArgs),
    Capture(capture::CaptureArgs),
    List(list::ListArgs),
    Show(show::ShowArgs),
    Update(update::UpdateArgs),
    Note(note::NoteArgs),
    Assign(assign::AssignArgs),
    Accept(accept::AcceptArgs),
    Reject(reject::RejectArgs),
    Transfer(transfer::TransferArgs),
    Next(next::NextArgs),
    Close(close::CloseArgs),
    Reopen(reopen::ReopenArgs),
    Queue(queue::QueueArgs),
    Search(search::SearchArgs),
    Edit(edit::EditArgs),
    EscalateCheck(escalate_check::EscalateCheckArgs),
    Notify(notify::NotifyArgs),
    Report(report::ReportArgs),
    QaSample(qa_sample::QaSampleArgs),
    QaRecord(qa_record::QaRecordArgs),
    QaReport(qa_report::QaReportArgs),
    Stats(stats::StatsArgs),
    Simulate(simulate::SimulateArgs),
    Validate(validate::ValidateArgs),
    Oncall(oncall::OncallArgs),
    Away(away::AwayArgs),
    Back(back::BackArgs),
    Calendar(calendar::CalendarArgs),
    Log(log::LogArgs),
    Import(import::ImportArgs),
    Export(export::ExportArgs),
    Migrate(migrate::MigrateArgs),
    Sync(sync::SyncArgs),
    Clone(clone::CloneArgs),
    Status(status::StatusArgs),
    Completions(completions::CompletionsArgs),
    Man(man::ManArgs),
    #[command(hide = true)]
    BenchGenerate(bench_generate::BenchGenerateArgs),
    #[command(hide = true)]
    MergeDriver(merge_driver::MergeDriverArgs),
    #[command(name = "__complete", hide = true)]
    Complete(completions::CompleteArgs),
}

/// Run one command. `cli` builds the whole command-line tree (for completions and the man
/// page); it is handed down so that nothing here imports the command line's top.
pub fn run(global: &Options, command: Command, cli: fn() -> clap::Command) -> Result<()> {
    let command = match command {
        Command::Init(args) => return init::run(global, args),
        Command::Clone(args) => return clone::run(args),
        Command::Status(args) => return status::run(global, args),
        Command::MergeDriver(args) => return merge_driver::run(args),
        Command::Completions(args) => return completions::run(args, cli()),
        Command::Man(args) => return man::run(args, cli()),
        Command::Complete(args) => return completions::complete(global, args),
        other => other,
    };
    // A format the command cannot print is refused before anything runs, so a command
    // that writes never saves and then fails at the end.
    if global.format == Format::Html && !matches!(command, Command::Stats(_)) {
        return Err(Failure::Usage(
            "--format html is a page for `handoff stats`; this command prints table, json, yaml, csv or md".to_owned(),
        )
        .into());
    }
    let ctx = Ctx::load(global)?;
    if ctx.rules.git && !matches!(command, Command::Sync(_)) {
        // No command reads or writes a workspace whose leads git left unmerged; sync
        // is the way out (it merges them).
        crate::sync::refuse_unmerged(&ctx.ws)?;
    }
    match command {
        Command::Init(_)
        | Command::Clone(_)
        | Command::Status(_)
        | Command::MergeDriver(_)
        | Command::Completions(_)
        | Command::Man(_)
        | Command::Complete(_) => unreachable!("handled above"),
        Command::Capture(args) => capture::run(&ctx, args),
        Command::Update(args) => update::run(&ctx, args),
        Command::Note(args) => note::run(&ctx, args),
        Command::Assign(args) => assign::run(&ctx, args),
        Command::Accept(args) => accept::run(&ctx, args),
        Command::Reject(args) => reject::run(&ctx, args),
        Command::Transfer(args) => transfer::run(&ctx, args),
        Command::Next(args) => next::run(&ctx, args),
        Command::Close(args) => close::run(&ctx, args),
        Command::Reopen(args) => reopen::run(&ctx, args),
        Command::Queue(args) => queue::run(&ctx, args),
        Command::Search(args) => search::run(&ctx, args),
        Command::Edit(args) => edit::run(&ctx, args),
        Command::Show(args) => show::run(&ctx, args),
        Command::EscalateCheck(args) => escalate_check::run(&ctx, args),
        Command::Notify(args) => notify::run(&ctx, args),
        Command::Report(args) => report::run(&ctx, args),
        Command::QaSample(args) => qa_sample::run(&ctx, args),
        Command::QaRecord(args) => qa_record::run(&ctx, args),
        Command::QaReport(args) => qa_report::run(&ctx, args),
        Command::Stats(args) => stats::run(&ctx, args),
        Command::Simulate(args) => simulate::run(&ctx, args),
        Command::List(args) => list::run(&ctx, args),
        Command::Validate(args) => validate::run(&ctx, args),
        Command::Oncall(args) => oncall::run(&ctx, args),
        Command::Away(args) => away::run(&ctx, args),
        Command::Back(args) => back::run(&ctx, args),
        Command::Calendar(args) => calendar::run(&ctx, args),
        Command::Log(args) => log::run(&ctx, args),
        Command::Import(args) => import::run(&ctx, args),
        Command::Export(args) => export::run(&ctx, args),
        Command::Migrate(args) => migrate::run(&ctx, args),
        Command::BenchGenerate(args) => bench_generate::run(&ctx, args),
        Command::Sync(args) => sync::run(&ctx, args),
    }
}

/// After a scan's output: name each lead file that could not be read on stderr, and fail
/// with exit 3 so a script (or cron) notices that the output above leaves them out.
pub fn skipped(errors: &[ScanError]) -> Result<()> {
    for e in errors {
        // A parse error already starts `file:line:`; the file is named once.
        if e.message.starts_with(&e.file) {
            eprintln!("error: {}", e.message);
        } else {
            eprintln!("error: {}: {}", e.file, e.message);
        }
    }
    if errors.is_empty() {
        return Ok(());
    }
    Err(workspace(format!(
        "{} lead file{} could not be read and {} left out; fix {} (`handoff validate` shows every problem)",
        errors.len(),
        if errors.len() == 1 { "" } else { "s" },
        if errors.len() == 1 { "is" } else { "are" },
        if errors.len() == 1 { "it" } else { "them" },
    )))
}
