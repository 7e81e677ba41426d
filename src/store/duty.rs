//! `oncall.yaml`: the committed overrides and away periods, read with the rules and
//! written atomically by the commands that change them.

use std::path::PathBuf;

use anyhow::Result;

use super::{Workspace, read_limited, write_atomic};
use crate::error::workspace;
use crate::rules::{screen_yaml, yaml_problem};
use crate::schedule::duty::{Duty, FILE};

/// Largest oncall.yaml accepted (years of overrides are a few hundred KiB).
pub const MAX_DUTY_BYTES: u64 = 4 * 1024 * 1024;

impl Workspace {
    pub fn duty_path(&self) -> PathBuf {
        self.root.join(FILE)
    }

    /// The overrides and away periods; no file is none.
    pub fn load_duty(&self) -> Result<Duty> {
        let path = self.duty_path();
        if !path.exists() {
            return Ok(Duty::default());
        }
        let text = read_limited(&path, MAX_DUTY_BYTES)?;
        if let Some(p) = screen_yaml(&text, MAX_DUTY_BYTES) {
            return Err(workspace(p.render(FILE)));
        }
        Duty::parse(&text).map_err(|e| {
            workspace(format!(
                "{}; fix it by hand (see `git log -p {FILE}`) and run `handoff validate`",
                yaml_problem(&e).render(FILE)
            ))
        })
    }

    /// Write the overrides and away periods atomically; returns the path written.
    pub fn write_duty(&self, duty: &Duty) -> Result<PathBuf> {
        let path = self.duty_path();
        let text = duty.render().map_err(|e| workspace(format!("cannot write {FILE}: {e}")))?;
        write_atomic(&path, text.as_bytes())?;
        Ok(path)
    }
}
