//! Local state that is never committed: round-robin turns, `edit`'s scratch files.

use std::fs;

use anyhow::{Context, Result};

use std::path::{Path, PathBuf};

use super::{LEAD_FILE_MODE, Workspace, read_limited, write_atomic, write_atomic_mode};

/// Largest scratch file read back (an edited lead form is a few KiB).
const MAX_SCRATCH_BYTES: u64 = 1024 * 1024;

impl Workspace {
    /// How many leads a round-robin routing rule has handed out (local state, not committed).
    pub fn turn(&self, rule: &str) -> Result<u64> {
        Ok(self.read_turns()?.get(rule).copied().unwrap_or(0))
    }

    /// Advance a round-robin rule's turn. The caller holds the workspace lock.
    pub fn bump_turn(&self, rule: &str) -> Result<()> {
        let mut turns = self.read_turns()?;
        *turns.entry(rule.to_owned()).or_insert(0) += 1;
        fs::create_dir_all(self.state_dir())
            .with_context(|| format!("cannot create {}", self.state_dir().display()))?;
        let text = serde_norway::to_string(&turns).context("cannot serialise round-robin turns")?;
        write_atomic(&self.state_dir().join("round-robin.yaml"), text.as_bytes())
    }

    /// Write a scratch file `name` in the state directory (owner-only: it may hold a
    /// customer's details), replacing an older one; returns its path.
    pub fn write_scratch(&self, name: &str, text: &str) -> Result<PathBuf> {
        fs::create_dir_all(self.state_dir())
            .with_context(|| format!("cannot create {}", self.state_dir().display()))?;
        let path = self.state_dir().join(name);
        write_atomic_mode(&path, text.as_bytes(), LEAD_FILE_MODE)?;
        Ok(path)
    }

    /// Read a scratch file back.
    pub fn read_scratch(&self, path: &Path) -> Result<String> {
        read_limited(path, MAX_SCRATCH_BYTES)
    }

    /// Remove a scratch file (already gone is fine).
    pub fn remove_scratch(&self, path: &Path) {
        let _ = fs::remove_file(path);
    }

    fn read_turns(&self) -> Result<std::collections::BTreeMap<String, u64>> {
        let path = self.state_dir().join("round-robin.yaml");
        if !path.exists() {
            return Ok(Default::default());
        }
        let text = read_limited(&path, 64 * 1024)?;
        // A damaged state file only resets the rotation; it never blocks a capture.
        Ok(serde_norway::from_str(&text).unwrap_or_default())
    }
}
